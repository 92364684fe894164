//! Float ufuncs: exponentials, logarithms, trigonometry, rounding, classification.
//!
//! Results match Rust's `f64`/`f32` functions, which follow the C library as NumPy does;
//! `round` rounds half to even like `np.round`, `sign` keeps NaN and zero like `np.sign`.

use crate::array::Array;
use crate::dtype::FloatElement;

/// Rounds half to even (`np.round(x)`): 0.5 → 0, 1.5 → 2, 2.5 → 2, -2.5 → -2.
///
/// ```
/// use spillway::array::ufunc::float::round_half_even;
/// assert_eq!(round_half_even(2.5f64), 2.0);
/// assert_eq!(round_half_even(3.5f64), 4.0);
/// assert_eq!(round_half_even(-0.5f64), 0.0);
/// assert_eq!(round_half_even(1.4f64), 1.0);
/// ```
pub fn round_half_even<T: FloatElement>(x: T) -> T {
    let r = x.round();
    let half = T::from_f64(0.5);
    if (x - x.trunc()).abs() == half {
        // a tie: the even neighbour (x / 2 is exact for |x| >= 0.5)
        (x / T::from_f64(2.0)).round() * T::from_f64(2.0)
    } else {
        r
    }
}

/// `np.sign`: -1, 0 or 1 by sign; NaN stays NaN, zero stays zero.
///
/// ```
/// use spillway::array::ufunc::float::sign;
/// assert_eq!(sign(-3.0f64), -1.0);
/// assert_eq!(sign(0.0f64), 0.0);
/// assert!(sign(f64::NAN).is_nan());
/// ```
pub fn sign<T: FloatElement>(x: T) -> T {
    if x > T::zero() {
        T::one()
    } else if x < T::zero() {
        -T::one()
    } else {
        x
    }
}

/// `np.fmax`: the larger value, ignoring a NaN when the other is a number.
///
/// ```
/// use spillway::array::ufunc::float::fmax;
/// assert_eq!(fmax(f64::NAN, 1.0), 1.0);
/// assert!(fmax(f64::NAN, f64::NAN).is_nan());
/// ```
pub fn fmax<T: FloatElement>(a: T, b: T) -> T {
    if a.is_nan() || b > a { b } else { a }
}

/// `np.fmin`: the smaller value, ignoring a NaN when the other is a number.
///
/// ```
/// use spillway::array::ufunc::float::fmin;
/// assert_eq!(fmin(2.0, f64::NAN), 2.0);
/// ```
pub fn fmin<T: FloatElement>(a: T, b: T) -> T {
    if a.is_nan() || b < a { b } else { a }
}

macro_rules! unary_ufuncs {
    ($($(#[$doc:meta])* $name:ident => $label:literal, $f:expr;)*) => {
        impl<T: FloatElement> Array<T> {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> Array<T> {
                    self.unary($label, $f)
                }
            )*
        }
    };
}

unary_ufuncs! {
    /// Base-2 logarithm, elementwise.
    ///
    /// ```
    /// assert_eq!(spillway::full(2, 8.0, 1).log2().compute_vec().unwrap(), vec![3.0, 3.0]);
    /// ```
    log2 => "log2", |a: T| a.log2();
    /// Base-10 logarithm, elementwise.
    ///
    /// ```
    /// assert_eq!(spillway::full(1, 100.0, 1).log10().compute_vec().unwrap(), vec![2.0]);
    /// ```
    log10 => "log10", |a: T| a.log10();
    /// `2^x`, elementwise.
    ///
    /// ```
    /// assert_eq!(spillway::full(1, 3.0, 1).exp2().compute_vec().unwrap(), vec![8.0]);
    /// ```
    exp2 => "exp2", |a: T| a.exp2();
    /// `e^x - 1`, accurate near zero.
    ///
    /// ```
    /// assert_eq!(spillway::zeros::<f64>(1, 1).expm1().compute_vec().unwrap(), vec![0.0]);
    /// ```
    expm1 => "expm1", |a: T| a.exp_m1();
    /// `ln(1 + x)`, accurate near zero.
    ///
    /// ```
    /// assert_eq!(spillway::zeros::<f64>(1, 1).log1p().compute_vec().unwrap(), vec![0.0]);
    /// ```
    log1p => "log1p", |a: T| a.ln_1p();
    /// Cube root, elementwise (negative inputs give negative roots).
    ///
    /// ```
    /// assert_eq!(spillway::full(1, -27.0, 1).cbrt().compute_vec().unwrap(), vec![-3.0]);
    /// ```
    cbrt => "cbrt", |a: T| a.cbrt();
    /// Tangent, elementwise.
    ///
    /// ```
    /// assert_eq!(spillway::zeros::<f64>(1, 1).tan().compute_vec().unwrap(), vec![0.0]);
    /// ```
    tan => "tan", |a: T| a.tan();
    /// Inverse sine (NaN outside [-1, 1]).
    ///
    /// ```
    /// assert_eq!(spillway::zeros::<f64>(1, 1).arcsin().compute_vec().unwrap(), vec![0.0]);
    /// ```
    arcsin => "arcsin", |a: T| a.asin();
    /// Inverse cosine (NaN outside [-1, 1]).
    ///
    /// ```
    /// assert_eq!(spillway::ones::<f64>(1, 1).arccos().compute_vec().unwrap(), vec![0.0]);
    /// ```
    arccos => "arccos", |a: T| a.acos();
    /// Inverse tangent.
    ///
    /// ```
    /// assert_eq!(spillway::zeros::<f64>(1, 1).arctan().compute_vec().unwrap(), vec![0.0]);
    /// ```
    arctan => "arctan", |a: T| a.atan();
    /// Hyperbolic sine.
    ///
    /// ```
    /// assert_eq!(spillway::zeros::<f64>(1, 1).sinh().compute_vec().unwrap(), vec![0.0]);
    /// ```
    sinh => "sinh", |a: T| a.sinh();
    /// Hyperbolic cosine.
    ///
    /// ```
    /// assert_eq!(spillway::zeros::<f64>(1, 1).cosh().compute_vec().unwrap(), vec![1.0]);
    /// ```
    cosh => "cosh", |a: T| a.cosh();
    /// Hyperbolic tangent.
    ///
    /// ```
    /// assert_eq!(spillway::zeros::<f64>(1, 1).tanh().compute_vec().unwrap(), vec![0.0]);
    /// ```
    tanh => "tanh", |a: T| a.tanh();
    /// Rounds down.
    ///
    /// ```
    /// assert_eq!(spillway::full(1, -1.5, 1).floor().compute_vec().unwrap(), vec![-2.0]);
    /// ```
    floor => "floor", |a: T| a.floor();
    /// Rounds up.
    ///
    /// ```
    /// assert_eq!(spillway::full(1, -1.5, 1).ceil().compute_vec().unwrap(), vec![-1.0]);
    /// ```
    ceil => "ceil", |a: T| a.ceil();
    /// Rounds to the nearest integer, half to even, as `np.round` (`np.around`).
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![0.5, 1.5, 2.5, -2.5, 2.6], 2);
    /// assert_eq!(x.round().compute_vec().unwrap(), vec![0.0, 2.0, 2.0, -2.0, 3.0]);
    /// ```
    round => "round", round_half_even;
    /// Rounds toward zero.
    ///
    /// ```
    /// assert_eq!(spillway::full(1, -1.7, 1).trunc().compute_vec().unwrap(), vec![-1.0]);
    /// ```
    trunc => "trunc", |a: T| a.trunc();
    /// -1, 0 or 1 by sign (NaN stays NaN), as `np.sign`.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![-2.0, 0.0, 3.0], 2);
    /// assert_eq!(x.sign().compute_vec().unwrap(), vec![-1.0, 0.0, 1.0]);
    /// ```
    sign => "sign", sign;
}

impl<T: FloatElement> Array<T> {
    /// True where the element is NaN, as `np.isnan`.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![1.0, f64::NAN], 1);
    /// assert_eq!(x.isnan().compute_vec().unwrap(), vec![false, true]);
    /// ```
    pub fn isnan(&self) -> Array<bool> {
        self.unary("isnan", |a: T| a.is_nan())
    }

    /// True where the element is neither infinite nor NaN, as `np.isfinite`.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![1.0, f64::INFINITY, f64::NAN], 1);
    /// assert_eq!(x.isfinite().compute_vec().unwrap(), vec![true, false, false]);
    /// ```
    pub fn isfinite(&self) -> Array<bool> {
        self.unary("isfinite", |a: T| a.is_finite())
    }

    /// True where the element is +inf or -inf, as `np.isinf`.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![1.0, f64::NEG_INFINITY, f64::NAN], 1);
    /// assert_eq!(x.isinf().compute_vec().unwrap(), vec![false, true, false]);
    /// ```
    pub fn isinf(&self) -> Array<bool> {
        self.unary("isinf", |a: T| a.is_infinite())
    }

    /// `arctan(self / other)` with the quadrant of (other, self), as `np.arctan2(y, x)`.
    ///
    /// ```
    /// let y = spillway::ones::<f64>(1, 1);
    /// let x = spillway::zeros::<f64>(1, 1);
    /// assert_eq!(y.arctan2(&x).compute_vec().unwrap(), vec![std::f64::consts::FRAC_PI_2]);
    /// ```
    pub fn arctan2(&self, other: &Array<T>) -> Array<T> {
        self.binary("arctan2", other, |y: T, x: T| y.atan2(x))
    }

    /// `sqrt(self² + other²)` without overflow, as `np.hypot`.
    ///
    /// ```
    /// let a = spillway::full(1, 3.0, 1);
    /// let b = spillway::full(1, 4.0, 1);
    /// assert_eq!(a.hypot(&b).compute_vec().unwrap(), vec![5.0]);
    /// ```
    pub fn hypot(&self, other: &Array<T>) -> Array<T> {
        self.binary("hypot", other, |a: T, b: T| a.hypot(b))
    }

    /// Elementwise maximum ignoring NaN where the other value is a number, as `np.fmax`.
    ///
    /// ```
    /// let a = spillway::from_ndarray(ndarray::array![f64::NAN, 1.0], 1);
    /// let b = spillway::from_ndarray(ndarray::array![2.0, f64::NAN], 1);
    /// assert_eq!(a.fmax(&b).compute_vec().unwrap(), vec![2.0, 1.0]);
    /// ```
    pub fn fmax(&self, other: &Array<T>) -> Array<T> {
        self.binary("fmax", other, fmax)
    }

    /// Elementwise minimum ignoring NaN where the other value is a number, as `np.fmin`.
    ///
    /// ```
    /// let a = spillway::from_ndarray(ndarray::array![f64::NAN, 1.0], 1);
    /// let b = spillway::from_ndarray(ndarray::array![2.0, 0.5], 1);
    /// assert_eq!(a.fmin(&b).compute_vec().unwrap(), vec![2.0, 0.5]);
    /// ```
    pub fn fmin(&self, other: &Array<T>) -> Array<T> {
        self.binary("fmin", other, fmin)
    }
}
