//! [`AnyArray`]: an array whose element type is known only at run time.
//!
//! Rust code usually names its element type (`Array<f64>`); code that learns it from data
//! (a zarr store opened by path, a NumPy array handed over from Python) holds an
//! [`AnyArray`] instead, one variant per [`DType`]. Its operations follow NumPy's rules for
//! mixed dtypes: operands are promoted with [`DType::promote`] (and Python scalars with
//! [`Scalar`]'s weak rule) before the typed operation runs, so `int32 + float32` is
//! `float64` and `int / int` is `float64`, as in NumPy.
//!
//! The submodules split it by chapter: [`arith`] (operators and ufuncs), [`reduce`]
//! (reductions and scans), [`layout`] (dtype-preserving shape operations), [`values`]
//! (computed results) and [`zarr`] (stores opened by path).

/// Runs `$e` with `$a` bound to the typed array inside `$v` (an `&AnyArray`), whatever
/// its dtype; every arm must return the same type.
macro_rules! each {
    ($v:expr, $a:ident => $e:expr) => {
        match $v {
            $crate::array::dynamic::AnyArray::Float64($a) => $e,
            $crate::array::dynamic::AnyArray::Float32($a) => $e,
            $crate::array::dynamic::AnyArray::Int64($a) => $e,
            $crate::array::dynamic::AnyArray::Int32($a) => $e,
            $crate::array::dynamic::AnyArray::Int16($a) => $e,
            $crate::array::dynamic::AnyArray::Int8($a) => $e,
            $crate::array::dynamic::AnyArray::UInt64($a) => $e,
            $crate::array::dynamic::AnyArray::UInt32($a) => $e,
            $crate::array::dynamic::AnyArray::UInt16($a) => $e,
            $crate::array::dynamic::AnyArray::UInt8($a) => $e,
            $crate::array::dynamic::AnyArray::Bool($a) => $e,
            $crate::array::dynamic::AnyArray::Complex64($a) => $e,
            $crate::array::dynamic::AnyArray::Complex128($a) => $e,
        }
    };
}

/// Runs `$e` with the type alias `$t` set to the Rust type of dtype `$d`, for the twelve
/// numeric dtypes (complex included); `bool` runs `$b`.
macro_rules! with_numeric {
    ($d:expr, $t:ident => $e:expr, bool => $b:expr) => {
        match $d {
            $crate::dtype::DType::Float64 => {
                type $t = f64;
                $e
            }
            $crate::dtype::DType::Float32 => {
                type $t = f32;
                $e
            }
            $crate::dtype::DType::Int64 => {
                type $t = i64;
                $e
            }
            $crate::dtype::DType::Int32 => {
                type $t = i32;
                $e
            }
            $crate::dtype::DType::Int16 => {
                type $t = i16;
                $e
            }
            $crate::dtype::DType::Int8 => {
                type $t = i8;
                $e
            }
            $crate::dtype::DType::UInt64 => {
                type $t = u64;
                $e
            }
            $crate::dtype::DType::UInt32 => {
                type $t = u32;
                $e
            }
            $crate::dtype::DType::UInt16 => {
                type $t = u16;
                $e
            }
            $crate::dtype::DType::UInt8 => {
                type $t = u8;
                $e
            }
            $crate::dtype::DType::Complex64 => {
                type $t = $crate::dtype::Complex64;
                $e
            }
            $crate::dtype::DType::Complex128 => {
                type $t = $crate::dtype::Complex128;
                $e
            }
            $crate::dtype::DType::Bool => $b,
        }
    };
}

/// Runs `$e` with the type alias `$t` set to the Rust type of dtype `$d`, for all
/// thirteen.
macro_rules! with_dtype {
    ($d:expr, $t:ident => $e:expr) => {
        with_numeric!($d, $t => $e, bool => {
            type $t = bool;
            $e
        })
    };
}

pub mod arith;
pub mod layout;
pub mod reduce;
pub mod scalar;
pub mod values;
pub mod zarr;

pub use arith::{BinaryOp, FloatFn, UnaryOp};
pub use layout::{concatenate, dyn_linalg, stack, where_};
pub use reduce::Reduction;
pub use scalar::Scalar;
pub use values::{AnyValues, compute_many};

use super::Array;
use super::chunks::Chunks;
use crate::dtype::{Complex64, Complex128, DType, Element};

/// A lazy chunked array of any of spillway's thirteen dtypes.
///
/// ```
/// use spillway::array::dynamic::{AnyArray, BinaryOp};
/// use spillway::DType;
/// let a = AnyArray::from(spillway::arange(1i32, 5, 1, 2));
/// let b = AnyArray::from(spillway::full([4], 0.5f32, 2));
/// let c = a.binary(BinaryOp::Add, &b); // int32 + float32 is float64, as in NumPy
/// assert_eq!(c.dtype(), DType::Float64);
/// assert_eq!(c.shape(), &[4]);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub enum AnyArray {
    /// `float64` elements.
    Float64(Array<f64>),
    /// `float32` elements.
    Float32(Array<f32>),
    /// `int64` elements.
    Int64(Array<i64>),
    /// `int32` elements.
    Int32(Array<i32>),
    /// `int16` elements.
    Int16(Array<i16>),
    /// `int8` elements.
    Int8(Array<i8>),
    /// `uint64` elements.
    UInt64(Array<u64>),
    /// `uint32` elements.
    UInt32(Array<u32>),
    /// `uint16` elements.
    UInt16(Array<u16>),
    /// `uint8` elements.
    UInt8(Array<u8>),
    /// `bool` elements.
    Bool(Array<bool>),
    /// `complex64` elements (two `f32`).
    Complex64(Array<Complex64>),
    /// `complex128` elements (two `f64`).
    Complex128(Array<Complex128>),
}

/// The element types an [`AnyArray`] can hold, with the conversions to and from it.
///
/// ```
/// use spillway::array::dynamic::{AnyArray, AnyElement};
/// let any = AnyArray::from(spillway::zeros::<u8>([3], 3));
/// assert!(u8::pick(&any).is_some());
/// assert!(f64::pick(&any).is_none());
/// ```
pub trait AnyElement: Element {
    /// Wraps a typed array.
    fn wrap(array: Array<Self>) -> AnyArray;
    /// The typed array when `any` holds this type.
    fn pick(any: &AnyArray) -> Option<&Array<Self>>;
    /// Wraps computed values.
    fn wrap_values(values: ndarray::ArrayD<Self>) -> AnyValues;
}

macro_rules! any_element {
    ($($t:ty => $variant:ident),*) => {$(
        impl AnyElement for $t {
            fn wrap(array: Array<Self>) -> AnyArray {
                AnyArray::$variant(array)
            }
            fn pick(any: &AnyArray) -> Option<&Array<Self>> {
                match any {
                    AnyArray::$variant(a) => Some(a),
                    _ => None,
                }
            }
            fn wrap_values(values: ndarray::ArrayD<Self>) -> AnyValues {
                AnyValues::$variant(values)
            }
        }
    )*};
}

any_element!(f64 => Float64, f32 => Float32, i64 => Int64, i32 => Int32, i16 => Int16,
    i8 => Int8, u64 => UInt64, u32 => UInt32, u16 => UInt16, u8 => UInt8, bool => Bool,
    Complex64 => Complex64, Complex128 => Complex128);

impl<T: AnyElement> From<Array<T>> for AnyArray {
    fn from(array: Array<T>) -> Self {
        T::wrap(array)
    }
}

/// The typed array inside, when it holds `T`; otherwise
/// [`ArrayError::DtypeMismatch`](crate::ArrayError::DtypeMismatch) naming the stored and
/// the asked dtype (nothing is cast: use [`AnyArray::typed`] for that).
///
/// ```
/// use spillway::array::dynamic::AnyArray;
/// use spillway::{Array, ArrayError, DType};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("x.zarr");
/// spillway::arange(0i32, 4, 1, 2).to_zarr(&path).unwrap();
/// let any = AnyArray::from_zarr(&path).unwrap(); // the dtype is learnt from the store
/// let x: Array<i32> = any.clone().try_into().unwrap();
/// assert_eq!(x.compute_vec().unwrap(), vec![0, 1, 2, 3]);
/// let err = Array::<f64>::try_from(any).unwrap_err();
/// assert_eq!(err, ArrayError::DtypeMismatch { stored: DType::Int32, requested: DType::Float64 });
/// assert!(err.to_string().contains("holds int32 elements, not float64"));
/// ```
impl<T: AnyElement> TryFrom<AnyArray> for Array<T> {
    type Error = crate::ArrayError;

    fn try_from(any: AnyArray) -> Result<Self, Self::Error> {
        Array::try_from(&any)
    }
}

/// As `TryFrom<AnyArray>`, cloning the typed handle (cheap: it shares the graph node).
///
/// ```
/// use spillway::array::dynamic::AnyArray;
/// use spillway::Array;
/// let any = AnyArray::from(spillway::zeros::<u8>([3], 3));
/// assert!(Array::<u8>::try_from(&any).is_ok());
/// assert!(Array::<bool>::try_from(&any).is_err());
/// ```
impl<T: AnyElement> TryFrom<&AnyArray> for Array<T> {
    type Error = crate::ArrayError;

    fn try_from(any: &AnyArray) -> Result<Self, Self::Error> {
        T::pick(any)
            .cloned()
            .ok_or(crate::ArrayError::DtypeMismatch {
                stored: any.dtype(),
                requested: T::DTYPE,
            })
    }
}

impl AnyArray {
    /// The element type.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// assert_eq!(AnyArray::from(spillway::zeros::<i64>([2], 2)).dtype(), spillway::DType::Int64);
    /// ```
    pub fn dtype(&self) -> DType {
        each!(self, a => a.dtype())
    }

    /// Extent per axis.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// assert_eq!(AnyArray::from(spillway::zeros::<f64>([2, 3], 2)).shape(), &[2, 3]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        each!(self, a => a.shape())
    }

    /// Number of axes.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// assert_eq!(AnyArray::from(spillway::zeros::<f64>([2, 3], 2)).ndim(), 2);
    /// ```
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// Chunk lengths per axis, as Dask's `chunks`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::zeros::<f64>([5], 2));
    /// assert_eq!(x.chunks().to_string(), "((2, 2, 1),)");
    /// ```
    pub fn chunks(&self) -> &Chunks {
        each!(self, a => a.chunks())
    }

    /// Number of elements (saturating at `usize::MAX`).
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// assert_eq!(AnyArray::from(spillway::zeros::<f64>([2, 3], 2)).size(), 6);
    /// ```
    pub fn size(&self) -> usize {
        each!(self, a => a.size())
    }

    /// Bytes of the whole array.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// assert_eq!(AnyArray::from(spillway::zeros::<f32>([2, 3], 2)).nbytes(), 24);
    /// ```
    pub fn nbytes(&self) -> u64 {
        each!(self, a => a.nbytes())
    }

    /// The name of the operation that made the array (Dask's key prefix: `"uniform"`,
    /// `"add"`, ...).
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// assert_eq!(AnyArray::from(spillway::zeros::<f32>([2], 2)).name(), "zeros");
    /// ```
    pub fn name(&self) -> &str {
        each!(self, a => a.name())
    }

    /// The error the array carries, when an operation that made it was invalid.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::zeros::<f64>([4], 2));
    /// assert!(x.error().is_none());
    /// assert!(x.reshape(&[3]).error().is_some());
    /// ```
    pub fn error(&self) -> Option<crate::error::Error> {
        each!(self, a => a.error())
    }

    /// NumPy's `astype`: the same values as `dtype` (no new operation when it already is).
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// use spillway::DType;
    /// let x = AnyArray::from(spillway::arange(0.0, 3.0, 1.0, 2)).astype(DType::UInt8);
    /// assert_eq!(x.dtype(), DType::UInt8);
    /// ```
    pub fn astype(&self, dtype: DType) -> AnyArray {
        if self.dtype() == dtype {
            return self.clone();
        }
        with_dtype!(dtype, U => self.typed::<U>().into())
    }

    /// The array as `Array<T>`, cast when it holds another dtype.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::arange(0i32, 3, 1, 2));
    /// assert_eq!(x.typed::<f64>().compute_vec().unwrap(), vec![0.0, 1.0, 2.0]);
    /// ```
    pub fn typed<T: AnyElement>(&self) -> Array<T> {
        match T::pick(self) {
            Some(a) => a.clone(),
            None => each!(self, a => a.astype::<T>()),
        }
    }

    /// The task graph drawn as SVG (as `x.visualize()` shows it).
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::zeros::<f64>([4], 2));
    /// assert!(x.visualize_svg().contains("<svg"));
    /// ```
    pub fn visualize_svg(&self) -> String {
        each!(self, a => a.visualize().svg())
    }

    /// The HTML table and chunk diagram a notebook shows (Dask's `_repr_html_`).
    ///
    /// ```
    /// use spillway::array::dynamic::AnyArray;
    /// let x = AnyArray::from(spillway::zeros::<f64>([4], 2));
    /// assert!(x.html_repr().contains("<table"));
    /// ```
    pub fn html_repr(&self) -> String {
        each!(self, a => a.html_repr())
    }
}

impl std::fmt::Display for AnyArray {
    /// Dask's repr: `spillway.Array<name, shape=(..), dtype=.., chunksize=(..)>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        each!(self, a => std::fmt::Display::fmt(a, f))
    }
}

impl std::fmt::Debug for AnyArray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}
