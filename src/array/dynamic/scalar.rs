//! [`Scalar`]: a Python-like number beside an array, with NumPy 2's weak promotion rule
//! (NEP 50): a scalar takes the array's dtype unless its kind is wider (a float beside an
//! integer array gives `float64`; an integer beside a `bool` array gives `int64`).

use crate::dtype::{DType, Element};

/// A number without a dtype of its own, as a Python `bool`, `int` or `float`.
///
/// ```
/// use spillway::array::dynamic::Scalar;
/// use spillway::DType;
/// assert_eq!(Scalar::Int(2).result_dtype(DType::Float32), DType::Float32);
/// assert_eq!(Scalar::Float(0.5).result_dtype(DType::Int32), DType::Float64);
/// assert_eq!(Scalar::Int(1).result_dtype(DType::Bool), DType::Int64);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    /// A Python `bool`.
    Bool(bool),
    /// A Python `int` that fits in 64 bits.
    Int(i64),
    /// A Python `float`.
    Float(f64),
    /// A Python `complex`: real and imaginary parts.
    Complex(f64, f64),
}

impl Scalar {
    /// The dtype of `array op scalar` for an array of `dtype` (NEP 50's weak scalars).
    ///
    /// ```
    /// use spillway::array::dynamic::Scalar;
    /// use spillway::DType;
    /// assert_eq!(Scalar::Bool(true).result_dtype(DType::UInt8), DType::UInt8);
    /// ```
    pub fn result_dtype(self, dtype: DType) -> DType {
        match self {
            Scalar::Bool(_) => dtype,
            Scalar::Int(_) if dtype == DType::Bool => DType::Int64,
            Scalar::Int(_) => dtype,
            Scalar::Float(_) if dtype.is_float() || dtype.is_complex() => dtype,
            Scalar::Float(_) => DType::Float64,
            Scalar::Complex(..) if dtype.is_complex() => dtype,
            Scalar::Complex(..) if dtype == DType::Float32 => DType::Complex64,
            Scalar::Complex(..) => DType::Complex128,
        }
    }

    /// The dtype NumPy gives the scalar alone (`np.asarray(2).dtype`).
    ///
    /// ```
    /// use spillway::array::dynamic::Scalar;
    /// assert_eq!(Scalar::Float(1.0).own_dtype(), spillway::DType::Float64);
    /// ```
    pub fn own_dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int(_) => DType::Int64,
            Scalar::Float(_) => DType::Float64,
            Scalar::Complex(..) => DType::Complex128,
        }
    }

    /// The value as an element of type `T` (integers wrap and floats truncate, as
    /// NumPy's casts do).
    ///
    /// ```
    /// use spillway::array::dynamic::Scalar;
    /// assert_eq!(Scalar::Float(2.5).to::<f32>(), 2.5f32);
    /// assert_eq!(Scalar::Int(300).to::<u8>(), 44);
    /// ```
    pub fn to<T: Element>(self) -> T {
        match self {
            Scalar::Bool(b) => T::from_i128(b as i128),
            Scalar::Int(i) => T::from_i128(i as i128),
            Scalar::Float(x) if T::DTYPE == DType::Bool => T::from_i128((x != 0.0) as i128),
            Scalar::Float(x) => T::from_f64(x),
            Scalar::Complex(re, im) if T::DTYPE == DType::Bool => {
                T::from_i128((re != 0.0 || im != 0.0) as i128)
            }
            Scalar::Complex(re, im) => T::from_complex(re, im),
        }
    }

    /// Whether the value is a whole number (so `x ** s` can use an integer power).
    ///
    /// ```
    /// use spillway::array::dynamic::Scalar;
    /// assert_eq!(Scalar::Float(2.0).as_small_int(), Some(2));
    /// assert_eq!(Scalar::Float(0.5).as_small_int(), None);
    /// ```
    pub fn as_small_int(self) -> Option<i32> {
        match self {
            Scalar::Bool(b) => Some(b as i32),
            Scalar::Int(i) => i32::try_from(i).ok(),
            Scalar::Float(x) if x.fract() == 0.0 && x.abs() <= i32::MAX as f64 => Some(x as i32),
            Scalar::Float(_) | Scalar::Complex(..) => None,
        }
    }
}
