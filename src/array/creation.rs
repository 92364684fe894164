//! Creating arrays: `arange`, `linspace`, `zeros`, `ones`, `full`, `from_ndarray`.
//!
//! Every creation function is lazy: it records how to produce any element from its global
//! index, so chunks are made where and when a task needs them.

use super::chunks::{ChunkSpec, Chunks, normalize_chunks};
use super::{Array, ArrayError, check_rank};
use crate::dtype::{Element, FloatElement, Numeric};
use crate::graph::eval::EvalContext;
use crate::graph::node::{Eval, Expr, Node, NodeKind, NodeMeta, NodeRef, node_debug, node_meta};
use crate::graph::region::Region;
use std::marker::PhantomData;
use std::sync::Arc;

/// Anything that names a shape: `20`, `[15, 15]`, `(625000, 2)`, `vec![3, 4]`.
///
/// ```
/// use spillway::IntoShape;
/// assert_eq!(20.into_shape(), vec![20]);
/// assert_eq!([15, 15].into_shape(), vec![15, 15]);
/// assert_eq!((625000, 2).into_shape(), vec![625000, 2]);
/// ```
pub trait IntoShape {
    /// The extents.
    fn into_shape(self) -> Vec<usize>;
}
impl IntoShape for usize {
    fn into_shape(self) -> Vec<usize> {
        vec![self]
    }
}
impl<const N: usize> IntoShape for [usize; N] {
    fn into_shape(self) -> Vec<usize> {
        self.to_vec()
    }
}
impl IntoShape for Vec<usize> {
    fn into_shape(self) -> Vec<usize> {
        self
    }
}
impl IntoShape for &[usize] {
    fn into_shape(self) -> Vec<usize> {
        self.to_vec()
    }
}
impl IntoShape for (usize, usize) {
    fn into_shape(self) -> Vec<usize> {
        vec![self.0, self.1]
    }
}
impl IntoShape for (usize, usize, usize) {
    fn into_shape(self) -> Vec<usize> {
        vec![self.0, self.1, self.2]
    }
}

/// A source whose element at row-major index `i` is a pure function of `i`.
pub(crate) trait FlatSource<T: Element>: Clone + Send + Sync + 'static {
    /// Writes elements `start .. start + out.len()` into `out`.
    fn fill(&self, start: usize, out: &mut [T]);
}

/// A source node over a [`FlatSource`].
pub(crate) struct SourceExpr<T: Element, S: FlatSource<T>> {
    meta: NodeMeta,
    source: S,
    _t: std::marker::PhantomData<fn() -> T>,
}

node_debug!([T: Element, S: FlatSource<T>] SourceExpr<T, S>);

/// Builds a source array, checking shape and chunks.
pub(crate) fn source_array<T: Element, S: FlatSource<T>>(
    label: &str,
    shape: Vec<usize>,
    chunks: ChunkSpec,
    source: S,
) -> Array<T> {
    if let Err(e) = check_rank(&shape) {
        return Array::invalid(e);
    }
    let chunks = match normalize_chunks(&chunks, &shape, T::DTYPE.itemsize()) {
        Ok(c) => c,
        Err(e) => return Array::invalid(e),
    };
    source_array_with_chunks(label, shape, chunks, source)
}

/// Builds a source array over checked shape and chunks.
fn source_array_with_chunks<T: Element, S: FlatSource<T>>(
    label: &str,
    shape: Vec<usize>,
    chunks: Chunks,
    source: S,
) -> Array<T> {
    Array::from_expr(Arc::new(SourceExpr {
        meta: NodeMeta::new(label, shape, chunks, T::DTYPE),
        source,
        _t: std::marker::PhantomData,
    }))
}

impl<T: Element, S: FlatSource<T>> Node for SourceExpr<T, S> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Source
    }
    fn scratch_bytes(&self, _tile_elems: usize) -> u64 {
        0
    }
}

impl<T: Element, S: FlatSource<T>> Expr<T> for SourceExpr<T, S> {
    fn evaluator(&self, _ctx: &EvalContext) -> Box<dyn Eval<T>> {
        Box::new(SourceEval {
            source: self.source.clone(),
            shape: self.meta.shape.clone(),
            _t: std::marker::PhantomData,
        })
    }
}

struct SourceEval<T, S> {
    source: S,
    shape: Vec<usize>,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T: Element, S: FlatSource<T>> Eval<T> for SourceEval<T, S> {
    fn eval(&mut self, region: &Region, out: &mut [T]) {
        let source = &self.source;
        region.for_each_run(&self.shape, |flat, offset, len| {
            source.fill(flat, &mut out[offset..offset + len]);
        });
    }
}

/// `start + i * step`.
#[derive(Clone)]
struct Arange<T> {
    start: T,
    step: T,
}

impl<T: Numeric> FlatSource<T> for Arange<T> {
    fn fill(&self, start: usize, out: &mut [T]) {
        for (i, o) in out.iter_mut().enumerate() {
            let index = T::from_i128((start + i) as i128);
            *o = T::add(self.start, T::mul(index, self.step));
        }
    }
}

/// Evenly spaced values in `[start, stop)`, as `np.arange` / `da.arange`.
///
/// The dtype follows the arguments: `arange(1i64, 50, 3, 5)` is int64, `arange(0.0, 1.0,
/// 0.1, 4)` float64. A zero step is an error (carried by the array).
///
/// ```
/// let a = spillway::arange(1i64, 50, 3, 5);
/// assert_eq!(a.compute_vec().unwrap(), vec![1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 34, 37, 40, 43, 46, 49]);
/// assert!(spillway::arange(0i64, 5, 0, 2).check().is_err());
/// ```
pub fn arange<T: Numeric>(start: T, stop: T, step: T, chunks: impl Into<ChunkSpec>) -> Array<T> {
    let (a, b, s) = (start.to_f64(), stop.to_f64(), step.to_f64());
    if s == 0.0 || s.is_nan() {
        return Array::invalid(ArrayError::InvalidArgument {
            op: "arange",
            message: format!("step {step} must be non-zero"),
        });
    }
    let len = if T::DTYPE.is_float() {
        ((b - a) / s).ceil().max(0.0) as usize
    } else {
        let (a, b, s) = (start.to_i128(), stop.to_i128(), step.to_i128());
        let span = b - a;
        if (span > 0) != (s > 0) || span == 0 {
            0
        } else {
            ((span.abs() + s.abs() - 1) / s.abs()) as usize
        }
    };
    source_array("arange", vec![len], chunks.into(), Arange { start, step })
}

/// `start + i * step`, with the last element exactly `stop` (NumPy's `endpoint=True`).
#[derive(Clone)]
struct Linspace<T> {
    start: T,
    stop: T,
    step: T,
    last: usize,
}

impl<T: FloatElement> FlatSource<T> for Linspace<T> {
    fn fill(&self, start: usize, out: &mut [T]) {
        for (i, o) in out.iter_mut().enumerate() {
            let index = start + i;
            *o = if index == self.last {
                self.stop
            } else {
                self.start + T::from_f64(index as f64) * self.step
            };
        }
    }
}

/// `num` evenly spaced values from `start` to `stop` inclusive, as `np.linspace`.
///
/// ```
/// let x = spillway::linspace(0.0, 1.0, 5, 2).compute_vec().unwrap();
/// assert_eq!(x.to_vec(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
/// ```
pub fn linspace<T: FloatElement>(
    start: T,
    stop: T,
    num: usize,
    chunks: impl Into<ChunkSpec>,
) -> Array<T> {
    let divisions = if num > 1 { num - 1 } else { 1 };
    let step = (stop - start) / T::from_f64(divisions as f64);
    let last = if num > 1 { num - 1 } else { usize::MAX };
    source_array(
        "linspace",
        vec![num],
        chunks.into(),
        Linspace {
            start,
            stop,
            step,
            last,
        },
    )
}

#[derive(Clone)]
struct Full<T>(T);

impl<T: Element> FlatSource<T> for Full<T> {
    fn fill(&self, _start: usize, out: &mut [T]) {
        out.fill(self.0);
    }
}

/// An array of `shape` filled with `value`, as `np.full`.
///
/// ```
/// let x = spillway::full([2, 3], 7u8, 2).compute().unwrap();
/// assert!(x.iter().all(|&v| v == 7));
/// ```
pub fn full<T: Element>(
    shape: impl super::creation::IntoShape,
    value: T,
    chunks: impl Into<ChunkSpec>,
) -> Array<T> {
    source_array("full", shape.into_shape(), chunks.into(), Full(value))
}

/// An array of zeros (`false` for bool), as `np.zeros`.
///
/// ```
/// let x = spillway::zeros::<i32>([4], 3).compute_vec().unwrap();
/// assert_eq!(x.to_vec(), vec![0, 0, 0, 0]);
/// ```
pub fn zeros<T: Element>(shape: impl IntoShape, chunks: impl Into<ChunkSpec>) -> Array<T> {
    source_array(
        "zeros",
        shape.into_shape(),
        chunks.into(),
        Full(T::default()),
    )
}

/// An array of ones (`true` for bool), as `np.ones`.
///
/// ```
/// let x = spillway::ones::<f32>([2, 2], 1).compute().unwrap();
/// assert_eq!(x.sum(), 4.0);
/// ```
pub fn ones<T: Element>(shape: impl IntoShape, chunks: impl Into<ChunkSpec>) -> Array<T> {
    source_array(
        "ones",
        shape.into_shape(),
        chunks.into(),
        Full(T::from_i128(1)),
    )
}

/// Wraps an in-memory ndarray as a chunked array (Dask's `from_array`).
///
/// ```
/// use ndarray::array;
/// let a = spillway::from_ndarray(array![[1.0, 2.0], [3.0, 4.0]], [1, 2]);
/// assert_eq!(a.numblocks(), vec![2, 1]);
/// assert_eq!(a.sum().compute_scalar().unwrap(), 10.0);
/// ```
pub fn from_ndarray<T: Element, D: ndarray::Dimension>(
    array: ndarray::Array<T, D>,
    chunks: impl Into<ChunkSpec>,
) -> Array<T> {
    let shape = array.shape().to_vec();
    if let Err(e) = check_rank(&shape) {
        return Array::invalid(e);
    }
    let chunks = match normalize_chunks(&chunks.into(), &shape, T::DTYPE.itemsize()) {
        Ok(c) => c,
        Err(e) => return Array::invalid(e),
    };
    // row-major values: a flat source like the others, read by global index
    let values: Arc<[T]> = match array.as_slice() {
        Some(contiguous) => Arc::from(contiguous),
        None => array.iter().copied().collect(),
    };
    source_array_with_chunks("array", shape, chunks, Stored(values))
}

/// Wraps row-major values that something else owns (a NumPy array held by Python, a
/// memory map) as a chunked array of `shape`, without copying them: chunks are read from
/// `values` when tasks need them. A length other than the shape's size is an error the
/// array carries.
///
/// ```
/// use std::sync::Arc;
/// let values: Arc<Vec<f64>> = Arc::new((0..6).map(f64::from).collect());
/// let a = spillway::array::creation::from_shared(values, &[2, 3], 2usize);
/// assert_eq!(a.sum().compute_scalar().unwrap(), 15.0);
/// let short: Arc<Vec<f64>> = Arc::new(vec![1.0]);
/// assert!(spillway::array::creation::from_shared(short, &[2, 3], 2usize).check().is_err());
/// ```
pub fn from_shared<T: Element, V: AsRef<[T]> + Send + Sync + 'static>(
    values: Arc<V>,
    shape: &[usize],
    chunks: impl Into<ChunkSpec>,
) -> Array<T> {
    if let Err(e) = check_rank(shape) {
        return Array::invalid(e);
    }
    let size = shape.iter().try_fold(1usize, |a, &b| a.checked_mul(b));
    if size != Some((*values).as_ref().len()) {
        return Array::invalid(ArrayError::InvalidArgument {
            op: "from_shared",
            message: format!(
                "{} values cannot fill shape {}; give exactly as many values as the shape holds",
                (*values).as_ref().len(),
                crate::array::chunks::python_tuple(shape)
            ),
        });
    }
    let chunks = match normalize_chunks(&chunks.into(), shape, T::DTYPE.itemsize()) {
        Ok(c) => c,
        Err(e) => return Array::invalid(e),
    };
    source_array_with_chunks("array", shape.to_vec(), chunks, Shared(values, PhantomData))
}

/// Values owned elsewhere, read in place.
struct Shared<T, V>(Arc<V>, PhantomData<fn() -> T>);

impl<T, V> Clone for Shared<T, V> {
    fn clone(&self) -> Self {
        Shared(self.0.clone(), PhantomData)
    }
}

impl<T: Element, V: AsRef<[T]> + Send + Sync + 'static> FlatSource<T> for Shared<T, V> {
    fn fill(&self, start: usize, out: &mut [T]) {
        out.copy_from_slice(&(*self.0).as_ref()[start..start + out.len()]);
    }
}

/// A wrapped in-memory array, as its row-major values.
#[derive(Clone)]
struct Stored<T>(Arc<[T]>);

impl<T: Element> FlatSource<T> for Stored<T> {
    fn fill(&self, start: usize, out: &mut [T]) {
        out.copy_from_slice(&self.0[start..start + out.len()]);
    }
}
