//! Element types: the [`DType`] tag and the [`Element`] trait every array element implements.
//!
//! spillway arrays hold one of thirteen NumPy dtypes: `float64`, `float32`, `int64`,
//! `int32`, `int16`, `int8`, `uint64`, `uint32`, `uint16`, `uint8`, `bool`, `complex64`
//! and `complex128` ([`complex`]). Casting between them follows NumPy's `astype` rules:
//! floats truncate toward zero when cast to integers, integers wrap when narrowed,
//! anything non-zero becomes `true` when cast to `bool`, and a complex number cast to a
//! real type keeps its real part.

pub mod complex;

pub use complex::{Complex, Complex64, Complex128, ComplexPart};

use std::any::TypeId;
use std::fmt::{Debug, Display};

/// The NumPy name of an element type.
///
/// ```
/// use spillway::DType;
/// assert_eq!(DType::Float64.to_string(), "float64");
/// assert_eq!(DType::Bool.itemsize(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// 64-bit IEEE float (`float64`).
    Float64,
    /// 32-bit IEEE float (`float32`).
    Float32,
    /// Signed 64-bit integer (`int64`).
    Int64,
    /// Signed 32-bit integer (`int32`).
    Int32,
    /// Signed 16-bit integer (`int16`).
    Int16,
    /// Signed 8-bit integer (`int8`).
    Int8,
    /// Unsigned 64-bit integer (`uint64`).
    UInt64,
    /// Unsigned 32-bit integer (`uint32`).
    UInt32,
    /// Unsigned 16-bit integer (`uint16`).
    UInt16,
    /// Unsigned 8-bit integer (`uint8`).
    UInt8,
    /// Boolean, one byte per element (`bool`).
    Bool,
    /// Complex of two `f32` (`complex64`).
    Complex64,
    /// Complex of two `f64` (`complex128`).
    Complex128,
}

impl DType {
    /// Bytes per element, as NumPy's `itemsize`.
    ///
    /// ```
    /// assert_eq!(spillway::DType::Int32.itemsize(), 4);
    /// ```
    pub fn itemsize(self) -> usize {
        match self {
            DType::Complex128 => 16,
            DType::Float64 | DType::Int64 | DType::UInt64 | DType::Complex64 => 8,
            DType::Float32 | DType::Int32 | DType::UInt32 => 4,
            DType::Int16 | DType::UInt16 => 2,
            DType::Int8 | DType::UInt8 | DType::Bool => 1,
        }
    }

    /// The NumPy name (`"float64"`, `"bool"`, ...).
    ///
    /// ```
    /// assert_eq!(spillway::DType::UInt8.name(), "uint8");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            DType::Float64 => "float64",
            DType::Float32 => "float32",
            DType::Int64 => "int64",
            DType::Int32 => "int32",
            DType::Int16 => "int16",
            DType::Int8 => "int8",
            DType::UInt64 => "uint64",
            DType::UInt32 => "uint32",
            DType::UInt16 => "uint16",
            DType::UInt8 => "uint8",
            DType::Bool => "bool",
            DType::Complex64 => "complex64",
            DType::Complex128 => "complex128",
        }
    }
}

impl Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A type that can be an array element.
///
/// Implemented for `f64`, `f32`, `i64`, `i32`, `i16`, `i8`, `u64`, `u32`, `u16`, `u8` and
/// `bool`. Every
/// element is plain bytes: `bytemuck::NoUninit` (no padding, so stores and MPI ranks see
/// its bytes without `unsafe`) and `bytemuck::CheckedBitPattern` (bytes read back are
/// checked: any pattern is a number, only 0 and 1 are a `bool`).
///
/// ```
/// use spillway::{DType, Element};
/// assert_eq!(<f32 as Element>::DTYPE, DType::Float32);
/// assert_eq!(3.9f64.cast::<i32>(), 3);
/// assert_eq!(300i64.cast::<u8>(), 44); // wraps, as NumPy's astype
/// assert!(2u8.cast::<bool>());
/// ```
pub trait Element:
    Copy
    + Send
    + Sync
    + Default
    + PartialEq
    + PartialOrd
    + Debug
    + Display
    + bytemuck::NoUninit
    + bytemuck::CheckedBitPattern
    + 'static
{
    /// The dtype tag.
    const DTYPE: DType;
    /// The dtype of `sum` over this type (NumPy: bool and signed ints sum to int64,
    /// unsigned to uint64, floats to themselves).
    type Sum: Element + Numeric;
    /// The dtype of `mean`, `var` and `std` (float32 for float32, float64 otherwise).
    type Float: Element + FloatElement;
    /// The value as `f64` (bool: 0 or 1; complex: the real part).
    fn to_f64(self) -> f64;
    /// The value as `i128`; floats truncate toward zero and saturate.
    fn to_i128(self) -> i128;
    /// Converts from `f64` with Rust `as` semantics (truncating, saturating).
    fn from_f64(value: f64) -> Self;
    /// Converts from `i128`, wrapping like a C cast (bool: non-zero is true).
    fn from_i128(value: i128) -> Self;
    /// The value as a complex number `(re, im)` (real types: `(self, 0)`).
    fn to_complex(self) -> (f64, f64) {
        (self.to_f64(), 0.0)
    }
    /// From a complex number: real types keep the real part, as NumPy's `astype`.
    fn from_complex(re: f64, im: f64) -> Self {
        let _ = im;
        Self::from_f64(re)
    }
    /// True for anything but zero (and for NaN, as NumPy's `bool(nan)`).
    fn is_nonzero(self) -> bool;
    /// The value's place in NumPy's sort order as an unsigned key: keys compare as the
    /// values do, `-0.0` and `0.0` share a key, every NaN has the largest key (NaNs sort
    /// last), and only the low `size_of::<Self>()` bytes are used (radix sorts skip the
    /// rest).
    ///
    /// ```
    /// use spillway::Element;
    /// assert!((-1.5f64).order_key() < 0.0f64.order_key());
    /// assert_eq!((-0.0f64).order_key(), 0.0f64.order_key());
    /// assert!(f64::INFINITY.order_key() < f64::NAN.order_key());
    /// assert!((-3i32).order_key() < 2i32.order_key());
    /// assert!(f32::NAN.order_key() <= u32::MAX as u64);
    /// ```
    fn order_key(self) -> u64;
    /// `values` as writable bytes (native order) when every byte pattern is a valid
    /// value (`bytemuck::Pod`: the numbers), `None` otherwise (`bool`). Stores fill
    /// chunks through it without a copy.
    ///
    /// ```
    /// use spillway::Element;
    /// let mut xs = [0u32; 2];
    /// u32::bytes_mut(&mut xs).unwrap()[0] = 1;
    /// assert_eq!(xs[0], u32::from_ne_bytes([1, 0, 0, 0]));
    /// assert!(bool::bytes_mut(&mut [false]).is_none());
    /// ```
    fn bytes_mut(values: &mut [Self]) -> Option<&mut [u8]> {
        let _ = values;
        None
    }
    /// NumPy's `astype`: converts to another element type.
    fn cast<U: Element>(self) -> U {
        if U::DTYPE.is_complex() {
            let (re, im) = self.to_complex();
            return U::from_complex(re, im);
        }
        if Self::DTYPE.is_complex() && U::DTYPE == DType::Bool {
            return U::from_i128(self.is_nonzero() as i128);
        }
        if U::DTYPE.is_float() || Self::DTYPE.is_float() && U::DTYPE == DType::Bool {
            if U::DTYPE == DType::Bool {
                return U::from_i128(self.is_nonzero() as i128);
            }
            U::from_f64(self.to_f64())
        } else {
            U::from_i128(self.to_i128())
        }
    }
}

impl DType {
    /// True for `float32` and `float64`.
    ///
    /// ```
    /// assert!(spillway::DType::Float32.is_float());
    /// ```
    pub fn is_float(self) -> bool {
        matches!(self, DType::Float64 | DType::Float32)
    }

    /// True for `complex64` and `complex128`.
    ///
    /// ```
    /// assert!(spillway::DType::Complex64.is_complex());
    /// assert!(!spillway::DType::Float64.is_complex());
    /// ```
    pub fn is_complex(self) -> bool {
        matches!(self, DType::Complex64 | DType::Complex128)
    }

    /// The real dtype of a complex dtype's parts (`float32` for `complex64`); real
    /// dtypes are their own.
    ///
    /// ```
    /// assert_eq!(spillway::DType::Complex128.real(), spillway::DType::Float64);
    /// ```
    pub fn real(self) -> DType {
        match self {
            DType::Complex64 => DType::Float32,
            DType::Complex128 => DType::Float64,
            d => d,
        }
    }

    /// Every dtype, widest float first (the order of [`DType`]'s variants).
    ///
    /// ```
    /// assert_eq!(spillway::DType::ALL.len(), 13);
    /// ```
    pub const ALL: [DType; 13] = [
        DType::Float64,
        DType::Float32,
        DType::Int64,
        DType::Int32,
        DType::Int16,
        DType::Int8,
        DType::UInt64,
        DType::UInt32,
        DType::UInt16,
        DType::UInt8,
        DType::Bool,
        DType::Complex64,
        DType::Complex128,
    ];

    /// The Rust element type: `f64`, `f32`, `i64`, `i32`, `i16`, `i8`, `u64`, `u32`, `u16`,
    /// `u8`, `bool`.
    ///
    /// ```
    /// assert_eq!(spillway::DType::UInt32.rust_name(), "u32");
    /// ```
    pub fn rust_name(self) -> &'static str {
        match self {
            DType::Float64 => "f64",
            DType::Float32 => "f32",
            DType::Int64 => "i64",
            DType::Int32 => "i32",
            DType::Int16 => "i16",
            DType::Int8 => "i8",
            DType::UInt64 => "u64",
            DType::UInt32 => "u32",
            DType::UInt16 => "u16",
            DType::UInt8 => "u8",
            DType::Bool => "bool",
            DType::Complex64 => "Complex64",
            DType::Complex128 => "Complex128",
        }
    }

    /// The `TypeId` of the Rust element type [`rust_name`](Self::rust_name) names: stores
    /// compare it with `TypeId::of::<T>()` to accept only spillway's own element types.
    pub(crate) fn type_id(self) -> TypeId {
        match self {
            DType::Float64 => TypeId::of::<f64>(),
            DType::Float32 => TypeId::of::<f32>(),
            DType::Int64 => TypeId::of::<i64>(),
            DType::Int32 => TypeId::of::<i32>(),
            DType::Int16 => TypeId::of::<i16>(),
            DType::Int8 => TypeId::of::<i8>(),
            DType::UInt64 => TypeId::of::<u64>(),
            DType::UInt32 => TypeId::of::<u32>(),
            DType::UInt16 => TypeId::of::<u16>(),
            DType::UInt8 => TypeId::of::<u8>(),
            DType::Bool => TypeId::of::<bool>(),
            DType::Complex64 => TypeId::of::<Complex64>(),
            DType::Complex128 => TypeId::of::<Complex128>(),
        }
    }

    /// The Rust element types, comma-separated (`"f64, f32, ..., bool"`), for messages.
    pub(crate) fn rust_names() -> String {
        DType::ALL.map(DType::rust_name).join(", ")
    }

    /// The dtype a NumPy name or type string denotes: `"float64"`, `"f8"`, `"<f8"`,
    /// `"double"`, `"int32"`, `"|u1"`, `"bool"`, `"?"`, ...; `None` for anything else
    /// (other dtypes, big-endian strings).
    ///
    /// ```
    /// use spillway::DType;
    /// assert_eq!(DType::from_name("<f8"), Some(DType::Float64));
    /// assert_eq!(DType::from_name("uint8"), Some(DType::UInt8));
    /// assert_eq!(DType::from_name("<c16"), Some(DType::Complex128));
    /// assert_eq!(DType::from_name("<U8"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<DType> {
        let code = name.strip_prefix(['<', '|', '=']).unwrap_or(name);
        Some(match code {
            "float64" | "f8" | "double" | "float" => DType::Float64,
            "float32" | "f4" | "single" => DType::Float32,
            "int64" | "i8" | "int" => DType::Int64,
            "int32" | "i4" => DType::Int32,
            "int16" | "i2" | "short" => DType::Int16,
            "int8" | "i1" | "byte" => DType::Int8,
            "uint64" | "u8" => DType::UInt64,
            "uint32" | "u4" => DType::UInt32,
            "uint16" | "u2" | "ushort" => DType::UInt16,
            "uint8" | "u1" | "ubyte" => DType::UInt8,
            "bool" | "b1" | "?" => DType::Bool,
            "complex64" | "c8" | "csingle" => DType::Complex64,
            "complex128" | "c16" | "cdouble" | "complex" => DType::Complex128,
            _ => return None,
        })
    }

    /// NumPy's `result_type` of two array dtypes: the smallest dtype both convert to
    /// without losing range (`int32` and `uint32` give `int64`, `int8` and `uint8` give
    /// `int16`; `uint64` and a signed integer give `float64`; an integer wider than 16
    /// bits and `float32` give `float64`).
    ///
    /// ```
    /// use spillway::DType;
    /// assert_eq!(DType::Int32.promote(DType::UInt32), DType::Int64);
    /// assert_eq!(DType::Int8.promote(DType::UInt8), DType::Int16);
    /// assert_eq!(DType::Int16.promote(DType::UInt8), DType::Int16);
    /// assert_eq!(DType::UInt16.promote(DType::Float32), DType::Float32);
    /// assert_eq!(DType::UInt8.promote(DType::Float32), DType::Float32);
    /// assert_eq!(DType::Int64.promote(DType::Float32), DType::Float64);
    /// assert_eq!(DType::Bool.promote(DType::UInt8), DType::UInt8);
    /// assert_eq!(DType::Complex64.promote(DType::Float64), DType::Complex128);
    /// assert_eq!(DType::Complex64.promote(DType::Int16), DType::Complex64);
    /// ```
    pub fn promote(self, other: DType) -> DType {
        use DType::*;
        if self == other {
            return self;
        }
        // complex with anything: complex wide enough for both operands' parts
        if self.is_complex() || other.is_complex() {
            let part = self.real().promote(other.real());
            return if part == Float32 {
                Complex64
            } else {
                Complex128
            };
        }
        // (kind, bits): 0 bool, 1 unsigned, 2 signed, 3 float
        let rank = |d: DType| match d {
            Bool => (0, 1),
            UInt8 => (1, 8),
            UInt16 => (1, 16),
            UInt32 => (1, 32),
            UInt64 => (1, 64),
            Int8 => (2, 8),
            Int16 => (2, 16),
            Int32 => (2, 32),
            Int64 => (2, 64),
            Float32 => (3, 32),
            Float64 => (3, 64),
            Complex64 | Complex128 => (4, 0),
        };
        let ((ka, ba), (kb, bb)) = (rank(self), rank(other));
        let (wide, narrow) = if (ka, ba) >= (kb, bb) {
            (self, other)
        } else {
            (other, self)
        };
        let ((kw, bw), (kn, bn)) = (rank(wide), rank(narrow));
        match (kw, kn) {
            (_, 0) => wide,
            (k, n) if k == n => wide,
            // signed with unsigned: the signed type must hold the unsigned one's range
            (2, 1) if bw > bn => wide,
            (2, 1) => match bn {
                8 => Int16,
                16 => Int32,
                32 => Int64,
                _ => Float64,
            },
            // float with an integer: float32 holds integers up to 16 bits exactly
            (3, _) if bw == 64 || bn <= 16 => wide,
            _ => Float64,
        }
    }
}

/// Element types with arithmetic (all but `bool`). Integer arithmetic wraps and integer
/// division by zero gives 0, as NumPy does (with a warning there), so no user input panics.
///
/// ```
/// use spillway::Numeric;
/// assert_eq!(<i32 as Numeric>::div(7, 0), 0);
/// assert_eq!(<u8 as Numeric>::add(250, 10), 4);
/// ```
pub trait Numeric: Element {
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// `a + b` (wrapping for integers).
    fn add(a: Self, b: Self) -> Self;
    /// `a - b` (wrapping for integers).
    fn sub(a: Self, b: Self) -> Self;
    /// `a * b` (wrapping for integers).
    fn mul(a: Self, b: Self) -> Self;
    /// `a / b` for floats; for integers NumPy's floor division `a // b` (rounding toward
    /// negative infinity), with 0 for a zero divisor.
    fn div(a: Self, b: Self) -> Self;
    /// `-a` (wrapping for integers, so unsigned values wrap as in NumPy).
    fn neg(a: Self) -> Self;
    /// `|a|`.
    fn abs(a: Self) -> Self;
    /// `a` raised to a non-negative integer power (wrapping for integers).
    fn powi(a: Self, n: i32) -> Self;
    /// The smaller of two values; NaN wins, as `np.minimum`.
    fn min_nan(a: Self, b: Self) -> Self;
    /// The larger of two values; NaN wins, as `np.maximum`.
    fn max_nan(a: Self, b: Self) -> Self;
    /// The largest value of the type (the identity of `min`).
    const MAX: Self;
    /// The smallest value of the type (the identity of `max`).
    const MIN: Self;
}

/// Floating-point element types (`f64`, `f32`) with NumPy's transcendental functions.
///
/// ```
/// use spillway::FloatElement;
/// assert_eq!(<f64 as FloatElement>::sqrt(9.0), 3.0);
/// ```
pub trait FloatElement: Numeric + num_traits::Float {
    /// Square root.
    fn sqrt(self) -> Self {
        num_traits::Float::sqrt(self)
    }
}

macro_rules! float_element {
    ($t:ty, $dtype:expr) => {
        impl Element for $t {
            const DTYPE: DType = $dtype;
            type Sum = $t;
            type Float = $t;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn to_i128(self) -> i128 {
                self as i128
            }
            #[inline(always)]
            fn from_f64(value: f64) -> Self {
                value as $t
            }
            #[inline(always)]
            fn from_i128(value: i128) -> Self {
                value as $t
            }
            #[inline(always)]
            fn is_nonzero(self) -> bool {
                self != 0.0
            }
            #[inline(always)]
            fn order_key(self) -> u64 {
                let width = 8 * std::mem::size_of::<$t>() as u32;
                let all = u64::MAX >> (64 - width);
                if self.is_nan() {
                    return all;
                }
                // +0.0 for -0.0; then flip: negatives invert, positives set the sign bit
                let bits = (self + 0.0).to_bits() as u64;
                let sign = 1u64 << (width - 1);
                if bits & sign != 0 {
                    !bits & all
                } else {
                    bits | sign
                }
            }
            #[inline(always)]
            fn bytes_mut(values: &mut [Self]) -> Option<&mut [u8]> {
                Some(bytemuck::cast_slice_mut(values))
            }
        }
        impl Numeric for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const MAX: Self = <$t>::INFINITY;
            const MIN: Self = <$t>::NEG_INFINITY;
            #[inline(always)]
            fn add(a: Self, b: Self) -> Self {
                a + b
            }
            #[inline(always)]
            fn sub(a: Self, b: Self) -> Self {
                a - b
            }
            #[inline(always)]
            fn mul(a: Self, b: Self) -> Self {
                a * b
            }
            #[inline(always)]
            fn div(a: Self, b: Self) -> Self {
                a / b
            }
            #[inline(always)]
            fn neg(a: Self) -> Self {
                -a
            }
            #[inline(always)]
            fn abs(a: Self) -> Self {
                a.abs()
            }
            #[inline(always)]
            fn powi(a: Self, n: i32) -> Self {
                match n {
                    2 => a * a,
                    _ => a.powi(n),
                }
            }
            #[inline(always)]
            fn min_nan(a: Self, b: Self) -> Self {
                if a.is_nan() || a < b { a } else { b }
            }
            #[inline(always)]
            fn max_nan(a: Self, b: Self) -> Self {
                if a.is_nan() || a > b { a } else { b }
            }
        }
        impl FloatElement for $t {}
    };
}

float_element!(f64, DType::Float64);
float_element!(f32, DType::Float32);

macro_rules! int_element {
    ($t:ty, $dtype:expr, $sum:ty) => {
        impl Element for $t {
            const DTYPE: DType = $dtype;
            type Sum = $sum;
            type Float = f64;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn to_i128(self) -> i128 {
                self as i128
            }
            #[inline(always)]
            fn from_f64(value: f64) -> Self {
                // through i128 so that out-of-range floats wrap like integers rather
                // than saturate at this type's bounds
                (value as i128) as $t
            }
            #[inline(always)]
            fn from_i128(value: i128) -> Self {
                value as $t
            }
            #[inline(always)]
            fn is_nonzero(self) -> bool {
                self != 0
            }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn order_key(self) -> u64 {
                let width = 8 * std::mem::size_of::<$t>() as u32;
                let bits = (self as u64) & (u64::MAX >> (64 - width));
                // signed types: flip the sign bit so negatives come first
                if <$t>::MIN < 0 as $t {
                    bits ^ (1u64 << (width - 1))
                } else {
                    bits
                }
            }
            #[inline(always)]
            fn bytes_mut(values: &mut [Self]) -> Option<&mut [u8]> {
                Some(bytemuck::cast_slice_mut(values))
            }
        }
        impl Numeric for $t {
            const ZERO: Self = 0;
            const ONE: Self = 1;
            const MAX: Self = <$t>::MAX;
            const MIN: Self = <$t>::MIN;
            #[inline(always)]
            fn add(a: Self, b: Self) -> Self {
                a.wrapping_add(b)
            }
            #[inline(always)]
            fn sub(a: Self, b: Self) -> Self {
                a.wrapping_sub(b)
            }
            #[inline(always)]
            fn mul(a: Self, b: Self) -> Self {
                a.wrapping_mul(b)
            }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn div(a: Self, b: Self) -> Self {
                if b == 0 {
                    return 0;
                }
                let q = a.wrapping_div(b);
                // truncation rounds toward zero; floor division rounds down
                if (a.wrapping_rem(b) != 0) && ((a < 0) != (b < 0)) {
                    q.wrapping_sub(1)
                } else {
                    q
                }
            }
            #[inline(always)]
            fn neg(a: Self) -> Self {
                (0 as $t).wrapping_sub(a)
            }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn abs(a: Self) -> Self {
                if a < 0 { (0 as $t).wrapping_sub(a) } else { a }
            }
            #[inline(always)]
            fn powi(a: Self, n: i32) -> Self {
                a.wrapping_pow(n.max(0) as u32)
            }
            #[inline(always)]
            fn min_nan(a: Self, b: Self) -> Self {
                if a < b { a } else { b }
            }
            #[inline(always)]
            fn max_nan(a: Self, b: Self) -> Self {
                if a > b { a } else { b }
            }
        }
    };
}

int_element!(i64, DType::Int64, i64);
int_element!(i32, DType::Int32, i64);
int_element!(i16, DType::Int16, i64);
int_element!(i8, DType::Int8, i64);
int_element!(u64, DType::UInt64, u64);
int_element!(u32, DType::UInt32, u64);
int_element!(u16, DType::UInt16, u64);
int_element!(u8, DType::UInt8, u64);

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    type Sum = i64;
    type Float = f64;
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as u8 as f64
    }
    #[inline(always)]
    fn to_i128(self) -> i128 {
        self as i128
    }
    #[inline(always)]
    fn from_f64(value: f64) -> Self {
        value != 0.0
    }
    #[inline(always)]
    fn from_i128(value: i128) -> Self {
        value != 0
    }
    #[inline(always)]
    fn is_nonzero(self) -> bool {
        self
    }
    #[inline(always)]
    fn order_key(self) -> u64 {
        self as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_follow_numpy_astype() {
        assert_eq!((-3.7f64).cast::<i64>(), -3);
        assert_eq!(3.7f32.cast::<u8>(), 3);
        assert_eq!(257i32.cast::<u8>(), 1);
        assert_eq!((-1i64).cast::<u32>(), u32::MAX);
        assert!(f64::NAN.cast::<bool>());
        assert!(!0.0f64.cast::<bool>());
        assert_eq!(true.cast::<f64>(), 1.0);
        assert_eq!(true.cast::<i32>(), 1);
        assert_eq!(5u64.cast::<f32>(), 5.0);
        assert_eq!(0.5f64.cast::<f32>(), 0.5);
    }

    #[test]
    fn integer_division_by_zero_is_zero() {
        assert_eq!(<i64 as Numeric>::div(5, 0), 0);
        // floor division, as NumPy's `//`
        assert_eq!(<i64 as Numeric>::div(-7, 2), -4);
        assert_eq!(<i64 as Numeric>::div(7, -2), -4);
        assert_eq!(<i64 as Numeric>::div(-7, -2), 3);
        assert_eq!(<u32 as Numeric>::div(7, 2), 3);
        assert_eq!(<i64 as Numeric>::div(i64::MIN, -1), i64::MIN);
        assert!(<f64 as Numeric>::div(1.0, 0.0).is_infinite());
    }

    #[test]
    fn min_max_propagate_nan() {
        assert!(<f64 as Numeric>::min_nan(f64::NAN, 1.0).is_nan());
        assert!(<f64 as Numeric>::max_nan(1.0, f64::NAN).is_nan());
        assert_eq!(<i32 as Numeric>::max_nan(1, 2), 2);
    }
}
