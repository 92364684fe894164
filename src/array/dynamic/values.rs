//! [`AnyValues`]: the computed result of an [`AnyArray`], an owned `ndarray` of its dtype.

use super::{AnyArray, AnyElement};
use crate::dtype::DType;
use crate::error::Result;
use ndarray::ArrayD;

/// Computed values of any dtype (owned: a binding can hand the buffer on without a copy).
///
/// ```
/// use spillway::array::dynamic::{AnyArray, AnyValues};
/// let v = AnyArray::from(spillway::arange(0u8, 3, 1, 2)).compute().unwrap();
/// assert!(matches!(v, AnyValues::UInt8(ref a) if a.as_slice() == Some(&[0u8, 1, 2][..])));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum AnyValues {
    Float64(ArrayD<f64>),
    Float32(ArrayD<f32>),
    Int64(ArrayD<i64>),
    Int32(ArrayD<i32>),
    Int16(ArrayD<i16>),
    Int8(ArrayD<i8>),
    UInt64(ArrayD<u64>),
    UInt32(ArrayD<u32>),
    UInt16(ArrayD<u16>),
    UInt8(ArrayD<u8>),
    Bool(ArrayD<bool>),
    Complex64(ArrayD<crate::dtype::Complex64>),
    Complex128(ArrayD<crate::dtype::Complex128>),
}

impl AnyValues {
    /// The element type.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyValues;
    /// let v = AnyValues::Bool(ndarray::ArrayD::from_elem(ndarray::IxDyn(&[2]), true));
    /// assert_eq!(v.dtype(), spillway::DType::Bool);
    /// ```
    pub fn dtype(&self) -> DType {
        match self {
            AnyValues::Float64(_) => DType::Float64,
            AnyValues::Float32(_) => DType::Float32,
            AnyValues::Int64(_) => DType::Int64,
            AnyValues::Int32(_) => DType::Int32,
            AnyValues::Int16(_) => DType::Int16,
            AnyValues::Int8(_) => DType::Int8,
            AnyValues::UInt64(_) => DType::UInt64,
            AnyValues::UInt32(_) => DType::UInt32,
            AnyValues::UInt16(_) => DType::UInt16,
            AnyValues::UInt8(_) => DType::UInt8,
            AnyValues::Bool(_) => DType::Bool,
            AnyValues::Complex64(_) => DType::Complex64,
            AnyValues::Complex128(_) => DType::Complex128,
        }
    }

    /// A lazy array over these values, in chunks `chunks`, as `from_array`.
    ///
    /// ```
    /// use spillway::array::dynamic::AnyValues;
    /// let v = AnyValues::Int32(ndarray::ArrayD::from_elem(ndarray::IxDyn(&[4]), 7));
    /// assert_eq!(v.into_array(2usize).chunks().to_string(), "((2, 2),)");
    /// ```
    pub fn into_array(self, chunks: impl Into<crate::ChunkSpec>) -> AnyArray {
        let chunks = chunks.into();
        match self {
            AnyValues::Float64(v) => crate::from_ndarray(v, chunks).into(),
            AnyValues::Float32(v) => crate::from_ndarray(v, chunks).into(),
            AnyValues::Int64(v) => crate::from_ndarray(v, chunks).into(),
            AnyValues::Int32(v) => crate::from_ndarray(v, chunks).into(),
            AnyValues::Int16(v) => crate::from_ndarray(v, chunks).into(),
            AnyValues::Int8(v) => crate::from_ndarray(v, chunks).into(),
            AnyValues::UInt64(v) => crate::from_ndarray(v, chunks).into(),
            AnyValues::UInt32(v) => crate::from_ndarray(v, chunks).into(),
            AnyValues::UInt16(v) => crate::from_ndarray(v, chunks).into(),
            AnyValues::UInt8(v) => crate::from_ndarray(v, chunks).into(),
            AnyValues::Bool(v) => crate::from_ndarray(v, chunks).into(),
            AnyValues::Complex64(v) => crate::from_ndarray(v, chunks).into(),
            AnyValues::Complex128(v) => crate::from_ndarray(v, chunks).into(),
        }
    }
}

impl AnyArray {
    /// Runs the computation on the current client and returns the values.
    ///
    /// ```
    /// use spillway::array::dynamic::{AnyArray, AnyValues};
    /// let v = AnyArray::from(spillway::full([2], 1.5f32, 2)).compute().unwrap();
    /// assert_eq!(v.dtype(), spillway::DType::Float32);
    /// ```
    pub fn compute(&self) -> Result<AnyValues> {
        Ok(each!(self, a => AnyElement::wrap_values(a.compute()?)))
    }
}

/// Computes several arrays in one pass (shared inputs read once), as `dask.compute(*xs)`.
///
/// ```
/// use spillway::array::dynamic::{AnyArray, compute_many};
/// let x = AnyArray::from(spillway::arange(0i64, 4, 1, 2));
/// let sum = x.reduce(spillway::array::dynamic::Reduction::Sum, None, false);
/// let values = compute_many(&[x, sum]).unwrap();
/// assert_eq!(values.len(), 2);
/// ```
pub fn compute_many(arrays: &[AnyArray]) -> Result<Vec<AnyValues>> {
    // Arrays of one dtype compute together; mixed dtypes compute per dtype.
    let mut out: Vec<Option<AnyValues>> = vec![None; arrays.len()];
    for dtype in DType::ALL {
        let idx: Vec<usize> = (0..arrays.len())
            .filter(|&i| arrays[i].dtype() == dtype)
            .collect();
        if idx.is_empty() {
            continue;
        }
        with_dtype!(dtype, T => {
            let typed: Vec<crate::Array<T>> = idx.iter().map(|&i| arrays[i].typed::<T>()).collect();
            for (&i, v) in idx.iter().zip(crate::compute_all(&typed)?) {
                out[i] = Some(T::wrap_values(v));
            }
        });
    }
    Ok(out.into_iter().flatten().collect())
}
