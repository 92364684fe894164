//! `Array<T>`: a lazy, chunked, n-dimensional array under Dask's names.
//!
//! The methods are split by chapter, as NumPy's documentation is: [`creation`],
//! [`random`], [`elementwise`], [`reduction`], [`layout`] and
//! [`compute`](mod@compute).

pub mod broadcast;
pub mod chunks;
pub mod compute;
pub mod creation;
pub mod dynamic;
pub mod elementwise;
pub(crate) mod error;
pub mod indexing;
pub mod layout;
pub mod linalg;
pub mod random;
pub mod rechunk;
pub mod reduce_more;
pub mod reduction;
pub mod shape;
pub mod sort;
pub mod stored;
pub mod ufunc;
pub mod user;
pub mod visualize;
pub mod zarr;

pub use error::ArrayError;

use crate::dtype::{DType, Element};
use crate::graph::eval::EvalContext;
use crate::graph::node::{Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, node_meta};
use crate::graph::region::{MAX_NDIM, Region};
use chunks::{Chunks, python_tuple};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// A lazy chunked array of `T`: a recipe that `compute()` runs chunk by chunk.
///
/// ```
/// use spillway::arange;
/// let a = arange(1i64, 50, 3, 5);
/// assert_eq!(a.shape(), &[17]);
/// assert_eq!(a.chunks().to_string(), "((5, 5, 5, 2),)");
/// assert_eq!(a.chunksize(), vec![5]);
/// assert_eq!(a.numblocks(), vec![4]);
/// assert_eq!(a.dtype().to_string(), "int64");
/// let squares = a.powi(2).compute().unwrap();
/// assert_eq!(squares[[3]], 100);
/// ```
pub struct Array<T: Element> {
    pub(crate) expr: ExprRef<T>,
}

impl<T: Element> Clone for Array<T> {
    fn clone(&self) -> Self {
        Array {
            expr: self.expr.clone(),
        }
    }
}

impl<T: Element> Array<T> {
    pub(crate) fn from_expr(expr: ExprRef<T>) -> Self {
        Array { expr }
    }

    /// An array that carries `error`; computing it returns the error.
    pub(crate) fn invalid(error: impl Into<crate::error::Error>) -> Self {
        Array::from_expr(Arc::new(InvalidExpr::<T> {
            meta: NodeMeta::new("invalid", vec![], Chunks(vec![]), T::DTYPE),
            error: crate::exec::error::OpError::new(error.into()),
            _t: PhantomData,
        }))
    }

    fn meta(&self) -> &NodeMeta {
        self.expr.meta()
    }

    /// Extent per axis, as NumPy's `shape`.
    ///
    /// ```
    /// let x = spillway::zeros::<f64>([3, 4], 2);
    /// assert_eq!(x.shape(), &[3, 4]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.meta().shape
    }

    /// Number of axes.
    ///
    /// ```
    /// assert_eq!(spillway::zeros::<f64>([3, 4], 2).ndim(), 2);
    /// ```
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// The element type.
    ///
    /// ```
    /// assert_eq!(spillway::zeros::<f32>([3], 2).dtype(), spillway::DType::Float32);
    /// ```
    pub fn dtype(&self) -> DType {
        T::DTYPE
    }

    /// Chunk lengths per axis, as Dask's `chunks`.
    ///
    /// ```
    /// let x = spillway::random::random([15, 15], [10, 5]);
    /// assert_eq!(x.chunks().to_string(), "((10, 5), (5, 5, 5))");
    /// ```
    pub fn chunks(&self) -> &Chunks {
        &self.meta().chunks
    }

    /// The largest chunk per axis, as Dask's `chunksize`.
    ///
    /// ```
    /// assert_eq!(spillway::arange(1i64, 50, 3, 5).chunksize(), vec![5]);
    /// ```
    pub fn chunksize(&self) -> Vec<usize> {
        self.chunks().chunksize()
    }

    /// Number of chunks per axis, as Dask's `numblocks`.
    ///
    /// ```
    /// assert_eq!(spillway::zeros::<u8>([10, 10], [5, 2]).numblocks(), vec![2, 5]);
    /// ```
    pub fn numblocks(&self) -> Vec<usize> {
        self.chunks().numblocks()
    }

    /// Total number of chunks, as Dask's `npartitions`.
    ///
    /// ```
    /// assert_eq!(spillway::zeros::<u8>([10, 10], [5, 2]).npartitions(), 10);
    /// ```
    pub fn npartitions(&self) -> usize {
        self.chunks().nblocks()
    }

    /// Number of elements.
    ///
    /// ```
    /// assert_eq!(spillway::zeros::<u8>([10, 3], 2).size(), 30);
    /// ```
    pub fn size(&self) -> usize {
        self.shape().iter().product()
    }

    /// Bytes the array would take in memory.
    ///
    /// ```
    /// assert_eq!(spillway::zeros::<f64>([10, 3], 2).nbytes(), 240);
    /// ```
    pub fn nbytes(&self) -> u64 {
        self.size() as u64 * T::DTYPE.itemsize() as u64
    }

    /// The name of the op that produces this array (`"uniform"`, `"add"`, `"sum"`).
    ///
    /// ```
    /// assert_eq!(spillway::random::random([4], 2).name(), "random");
    /// ```
    pub fn name(&self) -> &str {
        &self.meta().label
    }

    /// The error this array carries, if an operation that built it was invalid.
    ///
    /// ```
    /// let a = spillway::zeros::<f64>([3], 1);
    /// let b = spillway::zeros::<f64>([4], 1);
    /// assert!((&a + &b).error().is_some());
    /// assert!(a.error().is_none());
    /// ```
    pub fn error(&self) -> Option<crate::error::Error> {
        // invalid operands propagate to the top, so only this node needs a look
        match self.expr.kind() {
            NodeKind::Invalid(e) => Some(e.into()),
            _ => None,
        }
    }

    /// The array itself when it is valid, else the error of the operation that was not.
    ///
    /// ```
    /// # fn main() -> spillway::Result<()> {
    /// let x = spillway::zeros::<f64>([3], 1).check()?;
    /// assert!(spillway::zeros::<f64>([3], 0).check().is_err());
    /// # Ok(())
    /// # }
    /// ```
    pub fn check(self) -> crate::error::Result<Self> {
        match self.error() {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }
}

impl<T: Element> fmt::Display for Array<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let NodeKind::Invalid(e) = self.expr.kind() {
            return write!(f, "spillway.Array<invalid: {e}>");
        }
        write!(
            f,
            "spillway.Array<{}, shape={}, dtype={}, chunksize={}>",
            self.name(),
            python_tuple(self.shape()),
            self.dtype(),
            python_tuple(self.chunksize())
        )
    }
}

impl<T: Element> fmt::Debug for Array<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self} chunks={}", self.chunks())
    }
}

/// Checks an array rank against [`MAX_NDIM`].
pub(crate) fn check_rank(shape: &[usize]) -> Result<(), ArrayError> {
    if shape.len() > MAX_NDIM {
        return Err(ArrayError::TooManyDims {
            ndim: shape.len(),
            max: MAX_NDIM,
        });
    }
    // size() and nbytes() must not wrap: the bytes fit a u64 for every dtype
    let max = crate::store::zarr::MAX_ELEMENTS;
    let elements = shape.iter().try_fold(1u64, |n, &e| n.checked_mul(e as u64));
    if elements.is_none_or(|n| n > max) {
        return Err(ArrayError::TooManyElements {
            shape: shape.to_vec(),
            max,
        });
    }
    Ok(())
}

/// Normalises a possibly negative axis against `ndim`.
pub(crate) fn normalize_axis(axis: isize, ndim: usize) -> Result<usize, ArrayError> {
    let n = ndim as isize;
    let a = if axis < 0 { axis + n } else { axis };
    if a < 0 || a >= n {
        return Err(ArrayError::AxisOutOfRange { axis, ndim });
    }
    Ok(a as usize)
}

/// A node that carries an error.
struct InvalidExpr<T> {
    meta: NodeMeta,
    /// A `spillway::Error`, type-erased so that the graph can carry it.
    error: crate::exec::error::OpError,
    _t: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for InvalidExpr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InvalidExpr({})", self.error)
    }
}

impl<T: Element> Node for InvalidExpr<T> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Invalid(self.error.clone())
    }
    fn scratch_bytes(&self, _tile_elems: usize) -> u64 {
        0
    }
}

impl<T: Element> Expr<T> for InvalidExpr<T> {
    fn evaluator(&self, _ctx: &EvalContext) -> Box<dyn Eval<T>> {
        Box::new(DefaultEval)
    }
}

/// Fills default values; only reachable if a plan ran an invalid node, which the planner
/// refuses before running.
struct DefaultEval;

impl<T: Element> Eval<T> for DefaultEval {
    fn eval(&mut self, _region: &Region, out: &mut [T]) {
        out.fill(T::default());
    }
}
