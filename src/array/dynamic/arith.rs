//! Operators and ufuncs on [`AnyArray`]: operands are promoted to a common dtype by
//! NumPy's rules, then the typed operation runs (`+` of two `int32` arrays is the same
//! fused kernel as in typed Rust code).

use super::{AnyArray, AnyElement, Scalar};
use crate::array::ufunc::integer::Remainder;
use crate::array::{Array, ArrayError};
use crate::dtype::{Complex, ComplexPart, DType, Element, Numeric};

/// A binary operation, with the name NumPy's ufunc has.
///
/// ```
/// use spillway::array::dynamic::BinaryOp;
/// assert_eq!(BinaryOp::FloorDiv.name(), "floor_divide");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BinaryOp {
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// `a / b` (integers give float64).
    TrueDiv,
    /// `a // b`, rounding toward negative infinity.
    FloorDiv,
    /// `a % b`, with the sign of `b`.
    Mod,
    /// `a ** b`.
    Pow,
    /// `a < b`.
    Lt,
    /// `a <= b`.
    Le,
    /// `a > b`.
    Gt,
    /// `a >= b`.
    Ge,
    /// `a == b`.
    Eq,
    /// `a != b`.
    Ne,
    /// `a & b` (logical for bool, bitwise for integers).
    And,
    /// `a | b`.
    Or,
    /// `a ^ b`.
    Xor,
    /// `np.maximum(a, b)` (NaN wins).
    Maximum,
    /// `np.minimum(a, b)` (NaN wins).
    Minimum,
}

impl BinaryOp {
    /// NumPy's ufunc name.
    ///
    /// ```
    /// assert_eq!(spillway::array::dynamic::BinaryOp::Add.name(), "add");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "subtract",
            BinaryOp::Mul => "multiply",
            BinaryOp::TrueDiv => "true_divide",
            BinaryOp::FloorDiv => "floor_divide",
            BinaryOp::Mod => "remainder",
            BinaryOp::Pow => "power",
            BinaryOp::Lt => "less",
            BinaryOp::Le => "less_equal",
            BinaryOp::Gt => "greater",
            BinaryOp::Ge => "greater_equal",
            BinaryOp::Eq => "equal",
            BinaryOp::Ne => "not_equal",
            BinaryOp::And => "bitwise_and",
            BinaryOp::Or => "bitwise_or",
            BinaryOp::Xor => "bitwise_xor",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
        }
    }

    /// The dtype the operation computes in, given its operands' common dtype (true
    /// division of integers or bools computes in float64).
    ///
    /// ```
    /// use spillway::array::dynamic::BinaryOp;
    /// use spillway::DType;
    /// assert_eq!(BinaryOp::TrueDiv.compute_dtype(DType::Int32), DType::Float64);
    /// assert_eq!(BinaryOp::Add.compute_dtype(DType::Int32), DType::Int32);
    /// ```
    pub fn compute_dtype(self, common: DType) -> DType {
        match self {
            BinaryOp::TrueDiv if !common.is_float() && !common.is_complex() => DType::Float64,
            _ => common,
        }
    }
}

/// A unary operation, with NumPy's ufunc name.
///
/// ```
/// use spillway::array::dynamic::{AnyArray, FloatFn, UnaryOp};
/// let x = AnyArray::from(spillway::arange(0i32, 4, 1, 2));
/// assert_eq!(x.unary(UnaryOp::Float(FloatFn::Sqrt)).dtype(), spillway::DType::Float64);
/// assert_eq!(UnaryOp::from_name("arctanh"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnaryOp {
    /// `-x`.
    Negative,
    /// `+x`.
    Positive,
    /// `|x|`.
    Absolute,
    /// `~x` (logical not for bool, bitwise not for integers).
    Invert,
    /// `np.isnan`.
    IsNan,
    /// `np.isfinite`.
    IsFinite,
    /// `np.isinf`.
    IsInf,
    /// A float function (`sqrt`, `exp`, `sin`, ...): integers compute in float64,
    /// complex numbers in their own dtype.
    Float(FloatFn),
    /// `np.real`: the real part (real arrays are their own real part).
    Real,
    /// `np.imag`: the imaginary part (zeros for real arrays).
    Imag,
    /// `np.conj`: the complex conjugate (real arrays are their own).
    Conj,
    /// `np.angle`: the argument `atan2(imag, real)` in radians.
    Angle,
}

/// A floating-point function of one argument.
///
/// ```
/// assert_eq!(spillway::array::dynamic::arith::FloatFn::Log1p.name(), "log1p");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
#[non_exhaustive]
pub enum FloatFn {
    Sqrt,
    Exp,
    Log,
    Sin,
    Cos,
    Tan,
    Log2,
    Log10,
    Exp2,
    Expm1,
    Log1p,
    Cbrt,
    Arcsin,
    Arccos,
    Arctan,
    Sinh,
    Cosh,
    Tanh,
    Floor,
    Ceil,
    Round,
    Trunc,
    Sign,
}

const FLOAT_FNS: [(FloatFn, &str); 23] = [
    (FloatFn::Sqrt, "sqrt"),
    (FloatFn::Exp, "exp"),
    (FloatFn::Log, "log"),
    (FloatFn::Sin, "sin"),
    (FloatFn::Cos, "cos"),
    (FloatFn::Tan, "tan"),
    (FloatFn::Log2, "log2"),
    (FloatFn::Log10, "log10"),
    (FloatFn::Exp2, "exp2"),
    (FloatFn::Expm1, "expm1"),
    (FloatFn::Log1p, "log1p"),
    (FloatFn::Cbrt, "cbrt"),
    (FloatFn::Arcsin, "arcsin"),
    (FloatFn::Arccos, "arccos"),
    (FloatFn::Arctan, "arctan"),
    (FloatFn::Sinh, "sinh"),
    (FloatFn::Cosh, "cosh"),
    (FloatFn::Tanh, "tanh"),
    (FloatFn::Floor, "floor"),
    (FloatFn::Ceil, "ceil"),
    (FloatFn::Round, "rint"),
    (FloatFn::Trunc, "trunc"),
    (FloatFn::Sign, "sign"),
];

impl FloatFn {
    /// NumPy's name (`Round` is `rint`: halves to even).
    ///
    /// ```
    /// assert_eq!(spillway::array::dynamic::arith::FloatFn::Round.name(), "rint");
    /// ```
    pub fn name(self) -> &'static str {
        FLOAT_FNS
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("?", |(_, n)| n)
    }
}

impl UnaryOp {
    /// The op NumPy calls `name` (`"negative"`, `"sqrt"`, `"isnan"`, ...).
    ///
    /// ```
    /// use spillway::array::dynamic::UnaryOp;
    /// assert_eq!(UnaryOp::from_name("negative"), Some(UnaryOp::Negative));
    /// ```
    pub fn from_name(name: &str) -> Option<UnaryOp> {
        Some(match name {
            "negative" => UnaryOp::Negative,
            "positive" => UnaryOp::Positive,
            "absolute" | "abs" => UnaryOp::Absolute,
            "invert" | "bitwise_not" | "logical_not" => UnaryOp::Invert,
            "isnan" => UnaryOp::IsNan,
            "isfinite" => UnaryOp::IsFinite,
            "isinf" => UnaryOp::IsInf,
            "real" => UnaryOp::Real,
            "imag" => UnaryOp::Imag,
            "conj" | "conjugate" => UnaryOp::Conj,
            "angle" => UnaryOp::Angle,
            "round" | "around" => UnaryOp::Float(FloatFn::Round),
            _ => UnaryOp::Float(FLOAT_FNS.iter().find(|(_, n)| *n == name)?.0),
        })
    }
}

/// Per-type arithmetic NumPy defines differently for integers and floats.
trait Arith: Numeric + Remainder + AnyElement {
    /// `a // b` as NumPy's `floor_divide`.
    fn floor_div(a: Self, b: Self) -> Self;
    /// `a ** b` (integers: wrapping; a negative exponent gives 0 unless the base is ±1).
    fn power(a: Self, b: Self) -> Self;
    /// `a & b`, `a | b`, `a ^ b` for integers; `None` for floats.
    fn bits(op: BinaryOp) -> Option<fn(Self, Self) -> Self>;
    /// `!a` for integers; `None` for floats.
    fn not() -> Option<fn(Self) -> Self>;
}

macro_rules! float_arith {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            fn floor_div(a: Self, b: Self) -> Self {
                // NumPy's npy_divmod: floor of the exact quotient, from fmod.
                if b == 0.0 {
                    return a / b;
                }
                let m = a % b;
                let mut div = (a - m) / b;
                if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
                    div -= 1.0;
                }
                if div == 0.0 {
                    return (0.0 as $t).copysign(a / b);
                }
                let f = div.floor();
                if div - f > 0.5 { f + 1.0 } else { f }
            }
            fn power(a: Self, b: Self) -> Self {
                a.powf(b)
            }
            fn bits(_: BinaryOp) -> Option<fn(Self, Self) -> Self> {
                None
            }
            fn not() -> Option<fn(Self) -> Self> {
                None
            }
        }
    )*};
}

macro_rules! int_arith {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            fn floor_div(a: Self, b: Self) -> Self {
                <$t as Numeric>::div(a, b)
            }
            #[allow(unused_comparisons)]
            fn power(a: Self, b: Self) -> Self {
                if b < 0 {
                    // only ±1 have integer reciprocals; NumPy raises, arrays cannot
                    return match a as i128 { 1 => a, -1 => if (b as i128) % 2 == 0 { 1 as $t } else { a }, _ => 0 };
                }
                a.wrapping_pow(u32::try_from(b as u128).unwrap_or(u32::MAX))
            }
            fn bits(op: BinaryOp) -> Option<fn(Self, Self) -> Self> {
                match op {
                    BinaryOp::And => Some(|a, b| a & b),
                    BinaryOp::Or => Some(|a, b| a | b),
                    BinaryOp::Xor => Some(|a, b| a ^ b),
                    _ => None,
                }
            }
            fn not() -> Option<fn(Self) -> Self> {
                Some(|a| !a)
            }
        }
    )*};
}

float_arith!(f64, f32);
int_arith!(i64, i32, i16, i8, u64, u32, u16, u8);

/// Complex numbers: `**` is the principal power; `//`, `%` and the bitwise operators are
/// refused before they reach here ([`refused_for_complex`]).
macro_rules! complex_arith {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            fn floor_div(a: Self, b: Self) -> Self {
                <Self as Numeric>::div(a, b)
            }
            fn power(a: Self, b: Self) -> Self {
                a.powc(b)
            }
            fn bits(_: BinaryOp) -> Option<fn(Self, Self) -> Self> {
                None
            }
            fn not() -> Option<fn(Self) -> Self> {
                None
            }
        }
    )*};
}

complex_arith!(crate::dtype::Complex64, crate::dtype::Complex128);

/// The binary operations NumPy refuses for complex operands, with what to do instead.
fn refused_for_complex(op: BinaryOp) -> Option<&'static str> {
    match op {
        BinaryOp::FloorDiv | BinaryOp::Mod => {
            Some("take the real part first (real), or use true division")
        }
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => Some("use integer or bool operands"),
        _ => None,
    }
}

fn unsupported<T: crate::dtype::Element>(op: &'static str, dtype: DType, fix: &str) -> Array<T> {
    Array::invalid(ArrayError::UnsupportedDtype {
        op,
        dtype: dtype.name().into(),
        fix: fix.into(),
    })
}

fn numeric_binary<T: Arith>(op: BinaryOp, a: &Array<T>, b: &Array<T>) -> AnyArray {
    match op {
        BinaryOp::Add => (a + b).into(),
        BinaryOp::Sub => (a - b).into(),
        BinaryOp::Mul => (a * b).into(),
        BinaryOp::TrueDiv => (a / b).into(),
        BinaryOp::FloorDiv => a.binary("floor_divide", b, T::floor_div).into(),
        BinaryOp::Mod => (a % b).into(),
        BinaryOp::Pow => a.binary("power", b, T::power).into(),
        BinaryOp::Lt => a.lt(b).into(),
        BinaryOp::Le => a.le(b).into(),
        BinaryOp::Gt => a.gt(b).into(),
        BinaryOp::Ge => a.ge(b).into(),
        BinaryOp::Eq => a.eq(b).into(),
        BinaryOp::Ne => a.ne(b).into(),
        BinaryOp::Maximum => a.maximum(b).into(),
        BinaryOp::Minimum => a.minimum(b).into(),
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => match T::bits(op) {
            Some(f) => a.binary(op.name(), b, f).into(),
            None => unsupported::<T>(op.name(), T::DTYPE, "use integer or bool operands").into(),
        },
    }
}

/// `a op s` (or `s op a` when `reflected`) with the scalar already in `T`.
fn numeric_scalar<T: Arith>(op: BinaryOp, a: &Array<T>, s: T, reflected: bool) -> AnyArray {
    if reflected {
        return match op {
            BinaryOp::Add => (a + s).into(),
            BinaryOp::Mul => (a * s).into(),
            BinaryOp::Sub => a.unary("subtract", move |v| T::sub(s, v)).into(),
            BinaryOp::TrueDiv => a.unary("true_divide", move |v| T::div(s, v)).into(),
            BinaryOp::FloorDiv => a.unary("floor_divide", move |v| T::floor_div(s, v)).into(),
            BinaryOp::Mod => a.unary("remainder", move |v| T::remainder(s, v)).into(),
            BinaryOp::Pow => a.unary("power", move |v| T::power(s, v)).into(),
            BinaryOp::Lt => a.gt(s).into(),
            BinaryOp::Le => a.ge(s).into(),
            BinaryOp::Gt => a.lt(s).into(),
            BinaryOp::Ge => a.le(s).into(),
            _ => numeric_scalar(op, a, s, false),
        };
    }
    match op {
        BinaryOp::Add => (a + s).into(),
        BinaryOp::Sub => (a - s).into(),
        BinaryOp::Mul => (a * s).into(),
        BinaryOp::TrueDiv => (a / s).into(),
        BinaryOp::FloorDiv => a.unary("floor_divide", move |v| T::floor_div(v, s)).into(),
        BinaryOp::Mod => (a % s).into(),
        BinaryOp::Pow => a.unary("power", move |v| T::power(v, s)).into(),
        BinaryOp::Lt => a.lt(s).into(),
        BinaryOp::Le => a.le(s).into(),
        BinaryOp::Gt => a.gt(s).into(),
        BinaryOp::Ge => a.ge(s).into(),
        BinaryOp::Eq => a.eq(s).into(),
        BinaryOp::Ne => a.ne(s).into(),
        BinaryOp::Maximum => a.unary("maximum", move |v| T::max_nan(v, s)).into(),
        BinaryOp::Minimum => a.unary("minimum", move |v| T::min_nan(v, s)).into(),
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => match T::bits(op) {
            Some(f) => a.unary(op.name(), move |v| f(v, s)).into(),
            None => unsupported::<T>(op.name(), T::DTYPE, "use integer or bool operands").into(),
        },
    }
}

/// Two bool arrays: logical operators and comparisons stay bool; `+` and `*` are `or`
/// and `and` (as NumPy's bool arithmetic); other arithmetic is a dtype error.
fn bool_binary(op: BinaryOp, a: &Array<bool>, b: &Array<bool>) -> AnyArray {
    match op {
        BinaryOp::And | BinaryOp::Mul | BinaryOp::Minimum => a.logical_and(b).into(),
        BinaryOp::Or | BinaryOp::Add | BinaryOp::Maximum => a.logical_or(b).into(),
        BinaryOp::Xor | BinaryOp::Ne => a.logical_xor(b).into(),
        BinaryOp::Eq => a.eq(b).into(),
        BinaryOp::Lt => a.lt(b).into(),
        BinaryOp::Le => a.le(b).into(),
        BinaryOp::Gt => a.gt(b).into(),
        BinaryOp::Ge => a.ge(b).into(),
        _ => unsupported::<bool>(
            op.name(),
            DType::Bool,
            "cast to an integer dtype first (astype)",
        )
        .into(),
    }
}

/// A bool array with a bool scalar, as [`bool_binary`].
fn bool_scalar(op: BinaryOp, a: &Array<bool>, s: bool, reflected: bool) -> AnyArray {
    let f: fn(bool, bool) -> bool = match op {
        BinaryOp::And | BinaryOp::Mul | BinaryOp::Minimum => |v, s| v & s,
        BinaryOp::Or | BinaryOp::Add | BinaryOp::Maximum => |v, s| v | s,
        BinaryOp::Xor | BinaryOp::Ne => |v, s| v ^ s,
        BinaryOp::Eq => |v, s| v == s,
        BinaryOp::Lt => |v, s| !v & s,
        BinaryOp::Le => |v, s| v <= s,
        BinaryOp::Gt => |v, s| v & !s,
        BinaryOp::Ge => |v, s| v >= s,
        _ => {
            return unsupported::<bool>(
                op.name(),
                DType::Bool,
                "cast to an integer dtype first (astype)",
            )
            .into();
        }
    };
    if reflected {
        a.unary(op.name(), move |v| f(s, v)).into()
    } else {
        a.unary(op.name(), move |v| f(v, s)).into()
    }
}

impl AnyArray {
    /// `self op other`, elementwise with broadcasting, in NumPy's result dtype.
    ///
    /// ```
    /// use spillway::array::dynamic::{AnyArray, BinaryOp};
    /// let a = AnyArray::from(spillway::arange(1i64, 4, 1, 2));
    /// let q = a.binary(BinaryOp::TrueDiv, &AnyArray::from(spillway::full([3], 2i64, 3)));
    /// assert_eq!(q.typed::<f64>().compute_vec().unwrap(), vec![0.5, 1.0, 1.5]);
    /// ```
    pub fn binary(&self, op: BinaryOp, other: &AnyArray) -> AnyArray {
        let dtype = op.compute_dtype(self.dtype().promote(other.dtype()));
        if dtype.is_complex()
            && let Some(fix) = refused_for_complex(op)
        {
            return with_dtype!(dtype, T => unsupported::<T>(op.name(), dtype, fix).into());
        }
        with_numeric!(dtype, T => numeric_binary::<T>(op, &self.typed(), &other.typed()),
            bool => bool_binary(op, &self.typed(), &other.typed()))
    }

    /// `self op scalar`, or `scalar op self` when `reflected`, with the scalar's weak
    /// promotion (`int32_array * 2` stays int32).
    ///
    /// ```
    /// use spillway::array::dynamic::{AnyArray, BinaryOp, Scalar};
    /// let a = AnyArray::from(spillway::arange(1i32, 4, 1, 2));
    /// let r = a.binary_scalar(BinaryOp::Sub, Scalar::Int(10), true); // 10 - a
    /// assert_eq!(r.typed::<i32>().compute_vec().unwrap(), vec![9, 8, 7]);
    /// ```
    pub fn binary_scalar(&self, op: BinaryOp, scalar: Scalar, reflected: bool) -> AnyArray {
        // `x ** n` with a whole n keeps the typed power kernel (what `xy ** 2` fuses to)
        if op == BinaryOp::Pow
            && !reflected
            && let Some(n) = scalar.as_small_int()
            && (n >= 0 || self.dtype().is_float())
            && !self.dtype().is_complex()
            && !matches!(scalar, Scalar::Float(_) if !self.dtype().is_float())
        {
            return self.powi(n);
        }
        let dtype = op.compute_dtype(scalar.result_dtype(self.dtype()));
        if dtype.is_complex()
            && let Some(fix) = refused_for_complex(op)
        {
            return with_dtype!(dtype, T => unsupported::<T>(op.name(), dtype, fix).into());
        }
        with_numeric!(dtype, T => numeric_scalar::<T>(op, &self.typed(), scalar.to::<T>(), reflected),
            bool => bool_scalar(op, &self.typed(), scalar.to::<bool>(), reflected))
    }

    /// `self ** n` for a whole `n` (negative only for floats), in `self`'s dtype (bool
    /// computes in int64).
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let a = AnyArray::from(spillway::arange(1.0, 4.0, 1.0, 2));
    /// assert_eq!(a.powi(2).typed::<f64>().compute_vec().unwrap(), vec![1.0, 4.0, 9.0]);
    /// ```
    pub fn powi(&self, n: i32) -> AnyArray {
        with_numeric!(self.dtype(), T => self.typed::<T>().powi(n).into(),
            bool => self.typed::<i64>().powi(n).into())
    }

    /// A unary operation, in NumPy's result dtype (float functions of integers give
    /// float64; `isnan` of integers is all false).
    ///
    /// ```
    /// use spillway::array::dynamic::{AnyArray, UnaryOp};
    /// let a = AnyArray::from(spillway::arange(-1i32, 2, 1, 2));
    /// assert_eq!(a.unary(UnaryOp::Absolute).typed::<i32>().compute_vec().unwrap(), vec![1, 0, 1]);
    /// ```
    pub fn unary(&self, op: UnaryOp) -> AnyArray {
        let dtype = self.dtype();
        match op {
            UnaryOp::Positive => self.clone(),
            UnaryOp::Negative => with_numeric!(dtype, T => self.typed::<T>().neg().into(),
                bool => unsupported::<bool>("negative", dtype, "use ~x (logical not) for bool").into()),
            UnaryOp::Absolute => match self {
                AnyArray::Complex64(a) => a.map(|z| z.abs()).into(),
                AnyArray::Complex128(a) => a.map(|z| z.abs()).into(),
                _ => with_numeric!(dtype, T => self.typed::<T>().abs().into(),
                    bool => self.clone()),
            },
            UnaryOp::Invert => with_numeric!(dtype, T => match T::not() {
                    Some(f) => self.typed::<T>().unary("invert", f).into(),
                    None => unsupported::<T>("invert", dtype, "use integer or bool operands").into(),
                },
                bool => self.typed::<bool>().logical_not().into()),
            UnaryOp::IsNan | UnaryOp::IsFinite | UnaryOp::IsInf => match self {
                AnyArray::Float64(a) => float_test(a, op).into(),
                AnyArray::Float32(a) => float_test(a, op).into(),
                AnyArray::Complex64(a) => complex_test(a, op).into(),
                AnyArray::Complex128(a) => complex_test(a, op).into(),
                _ => each!(self, a => a.map(move |_| op == UnaryOp::IsFinite).into()),
            },
            UnaryOp::Float(f) => match self {
                AnyArray::Float32(a) => float_fn(a, f).into(),
                AnyArray::Complex64(a) => complex_fn(a, f).into(),
                AnyArray::Complex128(a) => complex_fn(a, f).into(),
                _ => float_fn(&self.typed::<f64>(), f).into(),
            },
            UnaryOp::Real | UnaryOp::Imag | UnaryOp::Conj | UnaryOp::Angle => match self {
                AnyArray::Complex64(a) => complex_part(a, op),
                AnyArray::Complex128(a) => complex_part(a, op),
                AnyArray::Float32(a) => real_part(a, op),
                AnyArray::Float64(a) => real_part(a, op),
                _ if op == UnaryOp::Angle => real_part(&self.typed::<f64>(), op),
                _ => each!(self, a => real_part(a, op)),
            },
        }
    }

    /// `re + im·j`: a complex array from its real and imaginary parts, broadcast together
    /// (`complex64` when both parts are at most `float32`, `complex128` otherwise).
    ///
    /// ```
    /// use spillway::array::dynamic::{AnyArray, UnaryOp};
    /// use spillway::dtype::Complex128;
    /// let re = AnyArray::from(spillway::arange(0.0, 3.0, 1.0, 2));
    /// let z = AnyArray::complex(&re, &AnyArray::from(spillway::full([3], -1.0, 3)));
    /// assert_eq!(z.dtype(), spillway::DType::Complex128);
    /// assert_eq!(z.typed::<Complex128>().compute_vec().unwrap()[2], Complex128::new(2.0, -1.0));
    /// let back = z.unary(UnaryOp::Imag).typed::<f64>().compute_vec().unwrap();
    /// assert_eq!(back, vec![-1.0; 3]);
    /// ```
    pub fn complex(re: &AnyArray, im: &AnyArray) -> AnyArray {
        let part = re.dtype().real().promote(im.dtype().real());
        if part == DType::Float32 {
            complex_of(&re.typed::<f32>(), &im.typed::<f32>()).into()
        } else {
            complex_of(&re.typed::<f64>(), &im.typed::<f64>()).into()
        }
    }
}

fn complex_of<F: ComplexPart>(re: &Array<F>, im: &Array<F>) -> Array<Complex<F>> {
    let i = im.map(|y| Complex::new(F::zero(), y));
    &re.map(|x| Complex::new(x, F::zero())) + &i
}

fn complex_test<F: ComplexPart>(a: &Array<Complex<F>>, op: UnaryOp) -> Array<bool> {
    match op {
        UnaryOp::IsNan => a.map(|z| z.is_nan()),
        UnaryOp::IsInf => a.map(|z| z.is_infinite()),
        _ => a.map(|z| z.is_finite()),
    }
}

/// `real`, `imag`, `conj` and `angle` of a complex array.
fn complex_part<F: ComplexPart + AnyElement>(a: &Array<Complex<F>>, op: UnaryOp) -> AnyArray
where
    Complex<F>: AnyElement,
{
    match op {
        UnaryOp::Real => a.map(|z| z.re).into(),
        UnaryOp::Imag => a.map(|z| z.im).into(),
        UnaryOp::Angle => a.map(|z| z.arg()).into(),
        _ => a.unary("conj", |z: Complex<F>| z.conj()).into(),
    }
}

/// `real`, `imag`, `conj` and `angle` of a real array, as NumPy: its own real part and
/// conjugate, zeros for the imaginary part, and 0 or pi for the angle.
fn real_part<T: AnyElement>(a: &Array<T>, op: UnaryOp) -> AnyArray {
    match op {
        UnaryOp::Imag => a.map(|_| T::from_i128(0)).into(),
        UnaryOp::Angle => a
            .map(|x: T| {
                let v = x.to_f64();
                T::from_f64(0.0f64.atan2(v).copysign(if v.is_nan() { v } else { 1.0 }))
            })
            .into(),
        _ => a.clone().into(),
    }
}

/// The float functions of a complex array, in its own dtype; those NumPy does not define
/// for complex numbers (`floor`, `ceil`, `trunc`, `cbrt`, `exp2`) are refused.
fn complex_fn<F: ComplexPart>(a: &Array<Complex<F>>, f: FloatFn) -> Array<Complex<F>> {
    let ln2 = F::narrow(std::f64::consts::LN_2);
    let ln10 = F::narrow(std::f64::consts::LN_10);
    let name = f.name();
    match f {
        FloatFn::Sqrt => a.unary(name, |z: Complex<F>| z.sqrt()),
        FloatFn::Exp => a.unary(name, |z: Complex<F>| z.exp()),
        FloatFn::Log => a.unary(name, |z: Complex<F>| z.ln()),
        FloatFn::Log2 => a.unary(name, move |z: Complex<F>| {
            let l = z.ln();
            Complex::new(l.re / ln2, l.im / ln2)
        }),
        FloatFn::Log10 => a.unary(name, move |z: Complex<F>| {
            let l = z.ln();
            Complex::new(l.re / ln10, l.im / ln10)
        }),
        FloatFn::Expm1 => a.unary(name, |z: Complex<F>| z.exp_m1()),
        FloatFn::Log1p => a.unary(name, |z: Complex<F>| z.ln_1p()),
        FloatFn::Sin => a.unary(name, |z: Complex<F>| z.sin()),
        FloatFn::Cos => a.unary(name, |z: Complex<F>| z.cos()),
        FloatFn::Tan => a.unary(name, |z: Complex<F>| z.tan()),
        FloatFn::Arcsin => a.unary(name, |z: Complex<F>| z.asin()),
        FloatFn::Arccos => a.unary(name, |z: Complex<F>| z.acos()),
        FloatFn::Arctan => a.unary(name, |z: Complex<F>| z.atan()),
        FloatFn::Sinh => a.unary(name, |z: Complex<F>| z.sinh()),
        FloatFn::Cosh => a.unary(name, |z: Complex<F>| z.cosh()),
        FloatFn::Tanh => a.unary(name, |z: Complex<F>| z.tanh()),
        FloatFn::Sign => a.unary(name, |z: Complex<F>| z.sign()),
        FloatFn::Round => a.unary(name, |z: Complex<F>| {
            Complex::new(
                crate::array::ufunc::float::round_half_even(z.re),
                crate::array::ufunc::float::round_half_even(z.im),
            )
        }),
        FloatFn::Floor | FloatFn::Ceil | FloatFn::Trunc | FloatFn::Cbrt | FloatFn::Exp2 => {
            unsupported(
                name,
                Complex::<F>::DTYPE,
                "take the real and imaginary parts first (real, imag)",
            )
        }
    }
}

fn float_test<T: crate::dtype::FloatElement>(a: &Array<T>, op: UnaryOp) -> Array<bool> {
    match op {
        UnaryOp::IsNan => a.isnan(),
        UnaryOp::IsInf => a.isinf(),
        _ => a.isfinite(),
    }
}

fn float_fn<T: crate::dtype::FloatElement>(a: &Array<T>, f: FloatFn) -> Array<T> {
    match f {
        FloatFn::Sqrt => a.sqrt(),
        FloatFn::Exp => a.exp(),
        FloatFn::Log => a.log(),
        FloatFn::Sin => a.sin(),
        FloatFn::Cos => a.cos(),
        FloatFn::Tan => a.tan(),
        FloatFn::Log2 => a.log2(),
        FloatFn::Log10 => a.log10(),
        FloatFn::Exp2 => a.exp2(),
        FloatFn::Expm1 => a.expm1(),
        FloatFn::Log1p => a.log1p(),
        FloatFn::Cbrt => a.cbrt(),
        FloatFn::Arcsin => a.arcsin(),
        FloatFn::Arccos => a.arccos(),
        FloatFn::Arctan => a.arctan(),
        FloatFn::Sinh => a.sinh(),
        FloatFn::Cosh => a.cosh(),
        FloatFn::Tanh => a.tanh(),
        FloatFn::Floor => a.floor(),
        FloatFn::Ceil => a.ceil(),
        FloatFn::Round => a.round(),
        FloatFn::Trunc => a.trunc(),
        FloatFn::Sign => a.sign(),
    }
}
