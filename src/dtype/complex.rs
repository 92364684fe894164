//! Complex elements: [`Complex`] (NumPy's `complex64` and `complex128`), its arithmetic
//! and its elementary functions.
//!
//! A complex number is two floats, real part first, as NumPy and zarr lay it out. The
//! elementary functions (`exp`, `log`, `sqrt`, the trigonometric and hyperbolic ones)
//! come from the `num-complex` crate, with the C99 Annex G special cases NumPy follows
//! for infinite and NaN parts added here where `num-complex` does not give them.
//! Complex numbers have no natural order; spillway orders them lexicographically (real
//! part, then imaginary part), as NumPy's `sort`, `maximum` and `minimum` do.

use super::{DType, Element, Numeric};
use std::cmp::Ordering;
use std::fmt::{Debug, Display};

/// A complex number: NumPy's `complex64` (`Complex<f32>`) or `complex128`
/// (`Complex<f64>`).
///
/// ```
/// use spillway::dtype::Complex128;
/// let z = Complex128::new(1.0, 2.0);
/// assert_eq!(z * z, Complex128::new(-3.0, 4.0));
/// assert_eq!(z.to_string(), "(1+2j)");
/// ```
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq)]
pub struct Complex<F> {
    /// The real part.
    pub re: F,
    /// The imaginary part.
    pub im: F,
}

/// NumPy's `complex64`: two `f32`.
///
/// ```
/// assert_eq!(std::mem::size_of::<spillway::dtype::Complex64>(), 8);
/// ```
pub type Complex64 = Complex<f32>;

/// NumPy's `complex128`: two `f64`.
///
/// ```
/// assert_eq!(std::mem::size_of::<spillway::dtype::Complex128>(), 16);
/// ```
pub type Complex128 = Complex<f64>;

// SAFETY: `Complex<F>` is `repr(C)` with two fields of the same `Pod` type, so it has no
// padding, every bit pattern is a value, and all-zero bytes are `0 + 0j`.
unsafe impl<F: bytemuck::Zeroable> bytemuck::Zeroable for Complex<F> {}
// SAFETY: as above.
unsafe impl<F: bytemuck::Pod> bytemuck::Pod for Complex<F> {}

/// The float types a [`Complex`] is made of, with the conversions the complex code needs.
///
/// ```
/// use spillway::dtype::ComplexPart;
/// assert_eq!(<f32 as ComplexPart>::narrow(0.5), 0.5f32);
/// ```
pub trait ComplexPart: super::FloatElement + PartConsts + bytemuck::Pod {
    /// The dtype of a complex number made of this float.
    const COMPLEX_DTYPE: DType;
    /// From `f64` (rounding).
    fn narrow(value: f64) -> Self;
    /// As `f64` (exact).
    fn widen(self) -> f64;
}

impl ComplexPart for f32 {
    const COMPLEX_DTYPE: DType = DType::Complex64;
    fn narrow(value: f64) -> Self {
        value as f32
    }
    fn widen(self) -> f64 {
        self as f64
    }
}

impl ComplexPart for f64 {
    const COMPLEX_DTYPE: DType = DType::Complex128;
    fn narrow(value: f64) -> Self {
        value
    }
    fn widen(self) -> f64 {
        self
    }
}

impl<F: ComplexPart> Complex<F> {
    /// `re + im·j`.
    ///
    /// ```
    /// let z = spillway::dtype::Complex64::new(1.0, -1.0);
    /// assert_eq!((z.re, z.im), (1.0, -1.0));
    /// ```
    pub const fn new(re: F, im: F) -> Self {
        Complex { re, im }
    }

    fn nc(self) -> num_complex::Complex<F> {
        num_complex::Complex::new(self.re, self.im)
    }

    fn of(z: num_complex::Complex<F>) -> Self {
        Complex::new(z.re, z.im)
    }

    /// The magnitude `|z|` (NumPy's `abs`), without overflow for large parts.
    ///
    /// ```
    /// assert_eq!(spillway::dtype::Complex128::new(3.0, 4.0).abs(), 5.0);
    /// ```
    pub fn abs(self) -> F {
        if self.re.is_infinite() || self.im.is_infinite() {
            return F::infinity();
        }
        self.re.hypot(self.im)
    }

    /// The complex conjugate `re - im·j`.
    ///
    /// ```
    /// use spillway::dtype::Complex128;
    /// assert_eq!(Complex128::new(1.0, 2.0).conj(), Complex128::new(1.0, -2.0));
    /// ```
    pub fn conj(self) -> Self {
        Complex::new(self.re, -self.im)
    }

    /// The argument (phase angle) in radians, `atan2(im, re)`.
    ///
    /// ```
    /// let z = spillway::dtype::Complex128::new(0.0, 1.0);
    /// assert_eq!(z.arg(), std::f64::consts::FRAC_PI_2);
    /// ```
    pub fn arg(self) -> F {
        self.im.atan2(self.re)
    }

    /// True when either part is NaN.
    ///
    /// ```
    /// assert!(spillway::dtype::Complex128::new(0.0, f64::NAN).is_nan());
    /// ```
    pub fn is_nan(self) -> bool {
        self.re.is_nan() || self.im.is_nan()
    }

    /// True when either part is infinite (NumPy's `isinf`).
    ///
    /// ```
    /// assert!(spillway::dtype::Complex128::new(f64::INFINITY, f64::NAN).is_infinite());
    /// ```
    pub fn is_infinite(self) -> bool {
        self.re.is_infinite() || self.im.is_infinite()
    }

    /// True when both parts are finite.
    ///
    /// ```
    /// assert!(spillway::dtype::Complex64::new(1.0, 2.0).is_finite());
    /// ```
    pub fn is_finite(self) -> bool {
        self.re.is_finite() && self.im.is_finite()
    }

    /// `e^z`, with C99's special cases for infinite and NaN parts.
    ///
    /// ```
    /// let z = spillway::dtype::Complex128::new(0.0, std::f64::consts::PI).exp();
    /// assert!((z.re + 1.0).abs() < 1e-15 && z.im.abs() < 1e-15);
    /// ```
    pub fn exp(self) -> Self {
        let (x, y) = (self.re, self.im);
        if y == F::zero() && !x.is_nan() {
            return Complex::new(x.exp(), y);
        }
        if x.is_infinite() && !y.is_finite() {
            // e^(-inf + i·(inf|nan)) = ±0 ± 0j; e^(+inf + i·(inf|nan)) = inf + nan·j
            return if x < F::zero() {
                Complex::new(F::zero(), F::zero().copysign(y))
            } else {
                Complex::new(x, F::nan())
            };
        }
        Self::of(self.nc().exp())
    }

    /// The principal natural logarithm; `log(0) = -inf + 0j`. Near the unit circle the
    /// real part is `log1p(|z|² - 1) / 2` (no cancellation), and subnormal parts are
    /// scaled first (no lost digits).
    ///
    /// ```
    /// let z = spillway::dtype::Complex128::new(-1.0, 0.0).ln();
    /// assert_eq!((z.re, z.im), (0.0, std::f64::consts::PI));
    /// let near_one = spillway::dtype::Complex128::new(1.0, 1e-8).ln();
    /// assert!((near_one.re - 5e-17).abs() < 1e-31); // log1p(1e-16) / 2; the naive log gives 0
    /// ```
    pub fn ln(self) -> Self {
        let (x, y) = (self.re, self.im);
        if x.is_infinite() || y.is_infinite() {
            return Complex::new(F::infinity(), self.arg());
        }
        if x.is_nan() || y.is_nan() {
            return Complex::new(F::nan(), F::nan());
        }
        let (a, b) = if x.abs() >= y.abs() {
            (x.abs(), y.abs())
        } else {
            (y.abs(), x.abs())
        };
        let half = F::narrow(0.5);
        let re = if a == F::zero() {
            F::neg_infinity()
        } else if a >= half && a <= F::narrow(2.0) {
            half * ((a - F::one()) * (a + F::one()) + b * b).ln_1p()
        } else if a < F::min_positive_value() / F::epsilon() {
            let scale = F::one() / (F::epsilon() * F::epsilon());
            (a * scale).hypot(b * scale).ln() - scale.ln()
        } else {
            a.hypot(b).ln()
        };
        Complex::new(re, self.arg())
    }

    /// The principal square root; its real part is never negative. Computed as
    /// `t = sqrt((|x| + |z|) / 2)`, scaled away from overflow and from subnormals.
    ///
    /// ```
    /// use spillway::dtype::Complex128;
    /// assert_eq!(Complex128::new(-4.0, 0.0).sqrt(), Complex128::new(0.0, 2.0));
    /// assert_eq!(Complex128::new(-1e300, 1.0).sqrt().im, 1e150);
    /// ```
    pub fn sqrt(self) -> Self {
        let (x, y) = (self.re, self.im);
        if y.is_infinite() {
            return Complex::new(F::infinity(), y);
        }
        if x.is_nan() {
            return Complex::new(F::nan(), F::nan());
        }
        if x.is_infinite() {
            if y.is_nan() {
                return if x > F::zero() {
                    Complex::new(x, y)
                } else {
                    Complex::new(y, F::infinity())
                };
            }
            return if x > F::zero() {
                Complex::new(x, F::zero().copysign(y))
            } else {
                Complex::new(F::zero(), F::infinity().copysign(y))
            };
        }
        if y.is_nan() {
            return Complex::new(F::nan(), F::nan());
        }
        if x == F::zero() && y == F::zero() {
            return Complex::new(F::zero(), y);
        }
        let big = F::max_value() / F::narrow(4.0);
        let tiny = F::min_positive_value() / F::epsilon();
        let (scale_in, scale_out) = if x.abs() >= big || y.abs() >= big {
            (F::narrow(0.25), F::narrow(2.0))
        } else if x.abs() < tiny && y.abs() < tiny {
            (F::one() / (F::epsilon() * F::epsilon()), F::epsilon())
        } else {
            (F::one(), F::one())
        };
        let (sx, sy) = (x * scale_in, y * scale_in);
        let t = num_traits::Float::sqrt((sx.abs() + sx.hypot(sy)) * F::narrow(0.5));
        let other = sy.abs() / (t + t);
        if sx >= F::zero() {
            Complex::new(t * scale_out, (other * scale_out).copysign(y))
        } else {
            Complex::new(other * scale_out, (t * scale_out).copysign(y))
        }
    }

    /// `sinh(z)` with C99's special cases (Annex G): `sinh(inf + 0j) = inf + 0j`,
    /// `sinh(±0 + inf·j) = ±0 + NaN·j`, ...
    ///
    /// ```
    /// use spillway::dtype::Complex128;
    /// let z = Complex128::new(f64::INFINITY, 0.0).sinh();
    /// assert_eq!(z, Complex128::new(f64::INFINITY, 0.0));
    /// ```
    pub fn sinh(self) -> Self {
        let (x, y) = (self.re, self.im);
        if x.is_finite() && y.is_finite() {
            if y == F::zero() {
                return Complex::new(x.sinh(), y);
            }
            return Complex::new(x.sinh() * y.cos(), x.cosh() * y.sin());
        }
        if x == F::zero() {
            return Complex::new(x, F::nan());
        }
        if y == F::zero() {
            return Complex::new(x, y);
        }
        if x.is_infinite() {
            if y.is_finite() {
                return Complex::new(x * y.cos(), F::infinity() * y.sin());
            }
            return Complex::new(x * x, F::nan());
        }
        Complex::new(F::nan(), F::nan())
    }

    /// `cosh(z)` with C99's special cases (Annex G).
    ///
    /// ```
    /// use spillway::dtype::Complex128;
    /// assert_eq!(Complex128::new(f64::NEG_INFINITY, 0.0).cosh().re, f64::INFINITY);
    /// ```
    pub fn cosh(self) -> Self {
        let (x, y) = (self.re, self.im);
        if x.is_finite() && y.is_finite() {
            if y == F::zero() {
                return Complex::new(x.cosh(), x * y);
            }
            return Complex::new(x.cosh() * y.cos(), x.sinh() * y.sin());
        }
        if x == F::zero() {
            return Complex::new(F::nan(), F::zero());
        }
        if y == F::zero() {
            // a NaN's sign is no sign: NumPy's +0 times y
            let zero = if x.is_nan() {
                F::zero()
            } else {
                F::zero().copysign(x)
            };
            return Complex::new(x * x, zero * y);
        }
        if x.is_infinite() {
            if y.is_finite() {
                return Complex::new(F::infinity() * y.cos(), x * y.sin());
            }
            return Complex::new(x * x, F::nan());
        }
        Complex::new(F::nan(), F::nan())
    }

    /// `tanh(z)`, by Kahan's formula (no overflow for large real parts) with C99's
    /// special cases: `tanh(±inf + y·j) = ±1 ± 0j`.
    ///
    /// ```
    /// use spillway::dtype::Complex128;
    /// assert_eq!(Complex128::new(1e300, 1.0).tanh(), Complex128::new(1.0, 0.0));
    /// ```
    pub fn tanh(self) -> Self {
        let (x, y) = (self.re, self.im);
        if x.is_nan() {
            return Complex::new(x, if y == F::zero() { y } else { x });
        }
        if x.is_infinite() {
            let sign = if y.is_finite() { y.sin() * y.cos() } else { y };
            return Complex::new(F::one().copysign(x), F::zero().copysign(sign));
        }
        if !y.is_finite() {
            return if x == F::zero() {
                Complex::new(x, F::nan())
            } else {
                Complex::new(F::nan(), F::nan())
            };
        }
        if x.abs() >= F::narrow(22.0) {
            let e = (-x.abs()).exp();
            return Complex::new(
                F::one().copysign(x),
                F::narrow(4.0) * y.sin() * y.cos() * e * e,
            );
        }
        let t = y.tan();
        let beta = F::one() + t * t;
        let s = x.sinh();
        let rho = num_traits::Float::sqrt(F::one() + s * s);
        let denom = F::one() + beta * s * s;
        Complex::new(beta * rho * s / denom, t / denom)
    }

    /// `sin(z) = -i·sinh(i·z)`.
    ///
    /// ```
    /// let z = spillway::dtype::Complex128::new(0.0, 1.0).sin();
    /// assert_eq!((z.re, z.im), (0.0, 1f64.sinh()));
    /// ```
    pub fn sin(self) -> Self {
        let w = Complex::new(-self.im, self.re).sinh();
        if w.re.is_infinite() && w.im.is_nan() {
            // the sign C99 leaves unspecified, as NumPy gives it
            return Complex::new(w.im, F::infinity());
        }
        Complex::new(w.im, -w.re)
    }

    /// `cos(z) = cosh(i·z)`.
    ///
    /// ```
    /// let z = spillway::dtype::Complex128::new(0.0, 1.0).cos();
    /// assert_eq!((z.re, z.im), (1f64.cosh(), -0.0));
    /// ```
    pub fn cos(self) -> Self {
        Complex::new(-self.im, self.re).cosh()
    }

    /// `tan(z) = -i·tanh(i·z)`.
    ///
    /// ```
    /// let z = spillway::dtype::Complex128::new(0.0, 1e300).tan();
    /// assert_eq!((z.re, z.im), (0.0, 1.0));
    /// ```
    pub fn tan(self) -> Self {
        let w = Complex::new(-self.im, self.re).tanh();
        Complex::new(w.im, -w.re)
    }

    /// `self` to the power `w`, `exp(w·log(self))`; `0 ** w` is 0 for `w` with a positive
    /// real part, and `z ** 0` is 1.
    ///
    /// ```
    /// use spillway::dtype::Complex128;
    /// let z = Complex128::new(0.0, 1.0).powc(Complex128::new(2.0, 0.0));
    /// assert!((z.re + 1.0).abs() < 1e-15 && z.im.abs() < 1e-15);
    /// ```
    pub fn powc(self, w: Self) -> Self {
        if w.re == F::zero() && w.im == F::zero() {
            return Complex::new(F::one(), F::zero());
        }
        if w.re == F::narrow(2.0) && w.im == F::zero() {
            // NumPy's `z ** 2` is `square(z)`: the product, signed zeros included
            return <Self as Numeric>::mul(self, self);
        }
        if self.re == F::zero() && self.im == F::zero() && w.im == F::zero() && w.re > F::zero() {
            return Complex::new(F::zero(), F::zero());
        }
        if w.im == F::zero() && w.re.fract() == F::zero() && w.re.abs() <= F::narrow(100.0) {
            // whole exponents by repeated multiplication, as NumPy does for small ones
            return <Self as Numeric>::powi(self, w.re.widen() as i32);
        }
        Self::of(self.nc().powc(w.nc()))
    }

    /// `e^z - 1`, accurate for small `z`: `expm1(x)·cos(y) - 2·sin²(y/2)` and
    /// `e^x·sin(y)`.
    ///
    /// ```
    /// let z = spillway::dtype::Complex128::new(1e-20, 1e-20).exp_m1();
    /// assert_eq!((z.re, z.im), (1e-20, 1e-20));
    /// ```
    pub fn exp_m1(self) -> Self {
        let (x, y) = (self.re, self.im);
        if !self.is_finite() {
            // the standard's special cases are exp's, less one (expm1(inf + 0j) is
            // inf + 0j; NumPy's formula gives inf + NaN j there)
            let e = self.exp();
            return Complex::new(e.re - F::one(), e.im);
        }
        let half = (y / F::narrow(2.0)).sin();
        Complex::new(
            x.exp_m1() * y.cos() - F::narrow(2.0) * half * half,
            x.exp() * y.sin(),
        )
    }

    /// `log(1 + z)`, accurate for small `z`: `log1p(2x + x² + y²) / 2` and
    /// `atan2(y, 1 + x)` while both parts are within 1/2 (`log(1 + z)` beyond).
    ///
    /// ```
    /// let z = spillway::dtype::Complex128::new(1e-20, 0.0).ln_1p();
    /// assert_eq!((z.re, z.im), (1e-20, 0.0));
    /// ```
    pub fn ln_1p(self) -> Self {
        let (x, y) = (self.re, self.im);
        // beyond, 1 + x is exact enough (exact by Sterbenz near x = -1, where the formula
        // below cancels) and `ln` takes care near the unit circle
        let big = F::narrow(0.5);
        if !self.is_finite() || x.abs() > big || y.abs() > big {
            return Complex::new(F::one() + x, y).ln();
        }
        let t = F::narrow(2.0) * x + x * x + y * y;
        Complex::new(t.ln_1p() / F::narrow(2.0), y.atan2(F::one() + x))
    }

    /// `z / |z|` (NumPy 2's `sign` of a complex number); `0` for zero, NaN parts when
    /// either part is NaN (the array API standard's table; NumPy gives `1 + 0j` for
    /// `inf + NaN j`), the direction of a single infinite part, NaN parts for two.
    ///
    /// ```
    /// use spillway::dtype::Complex128;
    /// assert_eq!(Complex128::new(0.0, -2.0).sign(), Complex128::new(0.0, -1.0));
    /// assert_eq!(Complex128::new(0.0, 0.0).sign(), Complex128::new(0.0, 0.0));
    /// ```
    pub fn sign(self) -> Self {
        if self.is_nan() {
            return Complex::new(F::nan(), F::nan());
        }
        let (ri, ii) = (self.re.is_infinite(), self.im.is_infinite());
        if ri && ii {
            return Complex::new(F::nan(), F::nan());
        }
        if ri {
            return Complex::new(F::one().copysign(self.re), F::zero());
        }
        if ii {
            return Complex::new(F::zero(), F::one().copysign(self.im));
        }
        // subnormal parts scaled up first, so |z| keeps its digits
        let tiny = F::min_positive_value() / F::epsilon();
        let z = if self.re.abs() < tiny && self.im.abs() < tiny {
            let up = F::one() / (F::epsilon() * F::epsilon());
            Complex::new(self.re * up, self.im * up)
        } else {
            self
        };
        let m = z.abs();
        if m == F::zero() {
            return Complex::new(F::zero(), F::zero());
        }
        Complex::new(z.re / m, z.im / m)
    }

    /// `arcsin(z)` by Kahan's formula: with `ξ = sqrt(1 - z)` and `η = sqrt(1 + z)`,
    /// `atan(x / Re(ξ·η)) + i·asinh(Im(conj(ξ)·η))`. The sign of a zero imaginary part
    /// picks the side of the branch cuts (`|x| > 1`), and small arguments keep their
    /// digits.
    ///
    /// ```
    /// use spillway::dtype::Complex128;
    /// let above = Complex128::new(2.0, 0.0).asin();
    /// let below = Complex128::new(2.0, -0.0).asin();
    /// assert!(above.im > 0.0 && below.im < 0.0);
    /// assert_eq!(Complex128::new(1e-40, 1e-10).asin().re, 1e-40);
    /// ```
    pub fn asin(self) -> Self {
        let one = F::one();
        let xi = Complex::new(one - self.re, -self.im).sqrt();
        let eta = Complex::new(one + self.re, self.im).sqrt();
        let re = (self.re / (xi.re * eta.re - xi.im * eta.im)).atan();
        let im = (xi.re * eta.im - xi.im * eta.re).asinh();
        self.zeros_signed_as_input(Complex::new(re, im))
    }

    /// `arccos(z)` by Kahan's formula: `2·atan(Re ξ / Re η) + i·asinh(Im(conj(η)·ξ))`
    /// with `ξ = sqrt(1 - z)`, `η = sqrt(1 + z)`.
    ///
    /// ```
    /// use spillway::dtype::Complex128;
    /// let z = Complex128::new(0.5, 0.0).acos();
    /// assert!((z.re - std::f64::consts::FRAC_PI_3).abs() < 1e-15 && z.im == 0.0);
    /// ```
    pub fn acos(self) -> Self {
        let one = F::one();
        let xi = Complex::new(one - self.re, -self.im).sqrt();
        let eta = Complex::new(one + self.re, self.im).sqrt();
        let re = F::narrow(2.0) * (xi.re / eta.re).atan();
        let im = (eta.re * xi.im - eta.im * xi.re).asinh();
        Complex::new(re, im)
    }

    /// `arctan(z) = (i/2)·(log1p(-i·z) - log1p(i·z))`, through the accurate `log1p`: the
    /// sign of a zero real part picks the side of the branch cuts (`|y| > 1`).
    ///
    /// ```
    /// use spillway::dtype::Complex128;
    /// assert!(Complex128::new(0.0, 2.0).atan().re > 0.0);
    /// assert!(Complex128::new(-0.0, 2.0).atan().re < 0.0);
    /// ```
    pub fn atan(self) -> Self {
        let iz = Complex::new(-self.im, self.re);
        let a = Complex::new(-iz.re, -iz.im).ln_1p();
        let b = iz.ln_1p();
        let half = F::narrow(0.5);
        self.zeros_signed_as_input(Complex::new(-(a.im - b.im) * half, (a.re - b.re) * half))
    }

    /// `w` with its zero parts signed as `self`'s parts: an odd function that commutes
    /// with conjugation (asin, atan) keeps the signs of zeros, as NumPy's do.
    fn zeros_signed_as_input(self, w: Self) -> Self {
        let sign = |v: F, of: F| {
            if v == F::zero() {
                F::zero().copysign(of)
            } else {
                v
            }
        };
        Complex::new(sign(w.re, self.re), sign(w.im, self.im))
    }
}

impl<F: ComplexPart> PartialOrd for Complex<F> {
    /// Lexicographic: real parts first, then imaginary parts (NumPy's order for sorting,
    /// `maximum` and `minimum`); `None` when a part involved is NaN.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match self.re.partial_cmp(&other.re)? {
            Ordering::Equal => self.im.partial_cmp(&other.im),
            o => Some(o),
        }
    }
}

impl<F: ComplexPart> Debug for Complex<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Display::fmt(self, f)
    }
}

impl<F: ComplexPart> Display for Complex<F> {
    /// NumPy's repr: `(1+2j)`, `(1-2j)`, `(nan+infj)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.im.is_sign_negative() && !self.im.is_nan() {
            "-"
        } else {
            "+"
        };
        write!(f, "({}{}{}j)", self.re, sign, self.im.abs())
    }
}

macro_rules! operator {
    ($trait:ident, $method:ident, $numeric:ident) => {
        impl<F: ComplexPart> std::ops::$trait for Complex<F> {
            type Output = Self;
            fn $method(self, rhs: Self) -> Self {
                <Self as Numeric>::$numeric(self, rhs)
            }
        }
    };
}

operator!(Add, add, add);
operator!(Sub, sub, sub);
operator!(Mul, mul, mul);
operator!(Div, div, div);

impl<F: ComplexPart> Element for Complex<F> {
    const DTYPE: DType = F::COMPLEX_DTYPE;
    type Sum = Self;
    /// Complex means are complex, which no [`FloatElement`](super::FloatElement) is:
    /// [`AnyArray`](crate::array::dynamic::AnyArray) takes the mean, variance and standard
    /// deviation of complex arrays part by part, and the typed statistics refuse them.
    type Float = F;
    fn to_f64(self) -> f64 {
        self.re.widen()
    }
    fn to_i128(self) -> i128 {
        self.re.widen() as i128
    }
    fn from_f64(value: f64) -> Self {
        Complex::new(F::narrow(value), F::zero())
    }
    fn from_i128(value: i128) -> Self {
        Complex::new(F::narrow(value as f64), F::zero())
    }
    fn to_complex(self) -> (f64, f64) {
        (self.re.widen(), self.im.widen())
    }
    fn from_complex(re: f64, im: f64) -> Self {
        Complex::new(F::narrow(re), F::narrow(im))
    }
    fn is_nonzero(self) -> bool {
        self.re != F::zero() || self.im != F::zero()
    }
    /// The real part's key: complex arrays are refused by the sorts, which need a total
    /// order over both parts.
    fn order_key(self) -> u64 {
        let x = self.re.widen();
        if x.is_nan() {
            return u64::MAX;
        }
        let bits = (x + 0.0).to_bits();
        if bits >> 63 != 0 {
            !bits
        } else {
            bits | 1 << 63
        }
    }
    fn bytes_mut(values: &mut [Self]) -> Option<&mut [u8]> {
        Some(bytemuck::cast_slice_mut(values))
    }
}

impl<F: ComplexPart> Numeric for Complex<F> {
    const ZERO: Self = Complex {
        re: F::ZERO_PART,
        im: F::ZERO_PART,
    };
    const ONE: Self = Complex {
        re: F::ONE_PART,
        im: F::ZERO_PART,
    };
    const MAX: Self = Complex {
        re: F::INF_PART,
        im: F::INF_PART,
    };
    const MIN: Self = Complex {
        re: F::NEG_INF_PART,
        im: F::NEG_INF_PART,
    };
    fn add(a: Self, b: Self) -> Self {
        Complex::new(a.re + b.re, a.im + b.im)
    }
    fn sub(a: Self, b: Self) -> Self {
        Complex::new(a.re - b.re, a.im - b.im)
    }
    fn mul(a: Self, b: Self) -> Self {
        Complex::new(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
    }
    /// Smith's algorithm (as NumPy): scales by the larger part of the divisor, so that
    /// `b.re² + b.im²` cannot overflow.
    fn div(a: Self, b: Self) -> Self {
        let (br, bi) = (b.re, b.im);
        if br.abs() >= bi.abs() {
            if br == F::zero() && bi == F::zero() {
                return Complex::new(a.re / br.abs(), a.im / br.abs());
            }
            let rat = bi / br;
            let scl = F::one() / (br + bi * rat);
            Complex::new((a.re + a.im * rat) * scl, (a.im - a.re * rat) * scl)
        } else {
            let rat = br / bi;
            let scl = F::one() / (bi + br * rat);
            Complex::new((a.re * rat + a.im) * scl, (a.im * rat - a.re) * scl)
        }
    }
    fn neg(a: Self) -> Self {
        Complex::new(-a.re, -a.im)
    }
    /// `|a| + 0j` (the magnitude, kept complex; `AnyArray`'s `absolute` gives the float).
    fn abs(a: Self) -> Self {
        Complex::new(a.abs(), F::zero())
    }
    /// Repeated squaring; a negative `n` is the reciprocal of `a^|n|`.
    fn powi(a: Self, n: i32) -> Self {
        if n < 0 {
            return Self::div(Self::ONE, Self::powi(a, n.saturating_neg()));
        }
        // the first factor is taken as it is (not multiplied by one, which would turn an
        // infinite part's zero partner into NaN)
        let mut out: Option<Self> = None;
        let mut base = a;
        let mut n = n as u32;
        while n > 0 {
            if n & 1 == 1 {
                out = Some(out.map_or(base, |o| Self::mul(o, base)));
            }
            n >>= 1;
            if n > 0 {
                base = Self::mul(base, base);
            }
        }
        out.unwrap_or(Self::ONE)
    }
    fn min_nan(a: Self, b: Self) -> Self {
        if a.is_nan() || (!b.is_nan() && a <= b) {
            a
        } else {
            b
        }
    }
    fn max_nan(a: Self, b: Self) -> Self {
        if a.is_nan() || (!b.is_nan() && a >= b) {
            a
        } else {
            b
        }
    }
}

/// The constants [`Numeric`]'s associated constants need (trait functions are not `const`).
pub trait PartConsts {
    /// `0.0`.
    const ZERO_PART: Self;
    /// `1.0`.
    const ONE_PART: Self;
    /// `inf`.
    const INF_PART: Self;
    /// `-inf`.
    const NEG_INF_PART: Self;
}

macro_rules! part_consts {
    ($($t:ty),*) => {$(
        impl PartConsts for $t {
            const ZERO_PART: Self = 0.0;
            const ONE_PART: Self = 1.0;
            const INF_PART: Self = <$t>::INFINITY;
            const NEG_INF_PART: Self = <$t>::NEG_INFINITY;
        }
    )*};
}

part_consts!(f32, f64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_matches_the_definitions() {
        let a = Complex128::new(1.5, -2.0);
        let b = Complex128::new(-0.5, 4.0);
        assert_eq!(a + b, Complex128::new(1.0, 2.0));
        assert_eq!(a * b, Complex128::new(1.5 * -0.5 + 8.0, 6.0 + 1.0));
        let q = a / b;
        let back = q * b;
        assert!((back.re - a.re).abs() < 1e-14 && (back.im - a.im).abs() < 1e-14);
        // Smith's division does not overflow where |b|² would
        let big = Complex128::new(1e300, 1e300);
        assert_eq!(big / big, Complex128::new(1.0, 0.0));
    }

    #[test]
    fn order_is_lexicographic_and_nan_wins_extremes() {
        let a = Complex128::new(1.0, 5.0);
        let b = Complex128::new(1.0, 6.0);
        assert!(a < b && Complex128::new(0.0, 9.0) < a);
        assert_eq!(<Complex128 as Numeric>::max_nan(a, b), b);
        assert!(<Complex128 as Numeric>::max_nan(a, Complex128::new(0.0, f64::NAN)).is_nan());
        assert!(<Complex128 as Numeric>::min_nan(Complex128::new(f64::NAN, 0.0), a).is_nan());
    }

    #[test]
    fn special_values_follow_c99() {
        let inf = f64::INFINITY;
        assert_eq!(Complex128::new(inf, 1.0).abs(), inf);
        assert_eq!(Complex128::new(f64::NAN, inf).abs(), inf);
        let z = Complex128::new(0.0, 0.0).ln();
        assert_eq!((z.re, z.im), (-inf, 0.0));
        assert_eq!(Complex128::new(-inf, 1.0).sqrt(), Complex128::new(0.0, inf));
        assert_eq!(
            Complex128::new(-0.0, -0.0).sqrt().im.to_bits(),
            (-0.0f64).to_bits()
        );
        assert_eq!(Complex128::new(-inf, inf).exp(), Complex128::new(0.0, 0.0));
        assert_eq!(
            Complex128::new(2.0, 0.0).exp(),
            Complex128::new(2f64.exp(), 0.0)
        );
    }

    #[test]
    fn casts_carry_both_parts_between_complex_types() {
        let z = Complex128::new(1.25, -3.5);
        assert_eq!(z.cast::<Complex64>(), Complex64::new(1.25, -3.5));
        assert_eq!(z.cast::<f64>(), 1.25);
        assert_eq!(z.cast::<i32>(), 1);
        assert!(Complex128::new(0.0, 1.0).cast::<bool>());
        assert_eq!(7i32.cast::<Complex64>(), Complex64::new(7.0, 0.0));
        assert_eq!(
            Complex128::new(2.0, 0.0)
                .powc(Complex128::new(-1.0, 0.0))
                .re,
            0.5
        );
    }
}
