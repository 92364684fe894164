//! `map_blocks` and `blockwise`: a function applied to aligned chunks of one or more
//! arrays, computed once per output chunk (through [`BlockEval`]) and fused with what
//! reads it.

use crate::array::{Array, ArrayError};
use crate::dtype::Element;
use crate::graph::block::{BlockCompute, BlockEval};
use crate::graph::chunks::{BlockGrid, Chunks};
use crate::graph::eval::EvalContext;
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, node_debug, node_meta,
};
use crate::graph::region::Region;
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use std::sync::Arc;

/// Where a block lies: what a block function may want to know besides the values.
///
/// ```
/// // each chunk filled with its start offset
/// let x = spillway::zeros::<i64>(5, 2);
/// let y = x.map_blocks_with(None, |b, info| b.mapv(|_| info.output_start[0] as i64));
/// assert_eq!(y.compute_vec().unwrap(), vec![0, 0, 2, 2, 4]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BlockInfo {
    /// The block's index on the chunk grid (as Dask's `block_id`).
    pub block_id: Vec<usize>,
    /// The input block's start on each axis (in the first input's coordinates).
    pub input_start: Vec<usize>,
    /// The output block's start on each axis.
    pub output_start: Vec<usize>,
    /// The output block's shape: what the function must return.
    pub output_shape: Vec<usize>,
}

/// The function of a blockwise node.
pub(crate) type BlockFn<T, U> = dyn Fn(&[ArrayViewD<'_, T>], &BlockInfo) -> ArrayD<U> + Send + Sync;

/// Checks a returned block's shape; a mismatch stops the task with a message naming it.
pub(crate) fn check_block_shape(op: &str, info: &BlockInfo, got: &[usize]) {
    if got != info.output_shape.as_slice() {
        // an evaluator cannot return an error: the executor turns this into
        // Error::TaskPanicked carrying the message
        panic!(
            "{op}: the function returned a block of shape {got:?} for block {:?}, whose output chunk has shape {:?}; return a block of the chunk's shape, or give the output chunks to map_blocks_with",
            info.block_id, info.output_shape
        );
    }
}

struct BlockwiseExpr<T: Element, U: Element> {
    meta: NodeMeta,
    inputs: Vec<ExprRef<T>>,
    f: Arc<BlockFn<T, U>>,
}

node_debug!([T: Element, U: Element] BlockwiseExpr<T, U>);

impl<T: Element, U: Element> Node for BlockwiseExpr<T, U> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        self.inputs.iter().map(|i| i.clone().as_node()).collect()
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Layout
    }
    fn scratch_bytes(&self, _tile_elems: usize) -> u64 {
        let out: usize = self.meta.chunks.chunksize().iter().product();
        let input: usize = self.inputs[0].meta().chunks.chunksize().iter().product();
        // the held output block, the function's result, the input blocks
        (2 * out * std::mem::size_of::<U>() + self.inputs.len() * input * std::mem::size_of::<T>())
            as u64
    }
}

impl<T: Element, U: Element> Expr<U> for BlockwiseExpr<T, U> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<U>> {
        Box::new(BlockEval::new(
            &self.meta.chunks,
            BlockwiseCompute {
                label: self.meta.label.clone(),
                inputs: self.inputs.iter().map(|i| ctx.build(i)).collect(),
                input_grid: BlockGrid::new(&self.inputs[0].meta().chunks),
                buffers: vec![Vec::new(); self.inputs.len()],
                f: self.f.clone(),
            },
        ))
    }
}

struct BlockwiseCompute<T: Element, U: Element> {
    label: String,
    inputs: Vec<Box<dyn Eval<T>>>,
    input_grid: BlockGrid,
    buffers: Vec<Vec<T>>,
    f: Arc<BlockFn<T, U>>,
}

impl<T: Element, U: Element> BlockCompute<U> for BlockwiseCompute<T, U> {
    fn compute_block(&mut self, block: &[usize], region: &Region, out: &mut [U]) {
        let mut index = [0usize; crate::graph::region::MAX_NDIM];
        index[..block.len()].copy_from_slice(block);
        let in_region = self.input_grid.region(&index);
        for (input, buf) in self.inputs.iter_mut().zip(self.buffers.iter_mut()) {
            buf.resize(in_region.size(), T::default());
            input.eval(&in_region, buf);
        }
        let views: Vec<ArrayViewD<'_, T>> = self
            .buffers
            .iter()
            .map(|b| {
                ArrayViewD::from_shape(IxDyn(in_region.shape.as_slice()), &b[..])
                    .expect("block buffer has the block's size")
            })
            .collect();
        let info = BlockInfo {
            block_id: block.to_vec(),
            input_start: in_region.start.as_slice().to_vec(),
            output_start: region.start.as_slice().to_vec(),
            output_shape: region.shape.as_slice().to_vec(),
        };
        let result = (self.f)(&views, &info);
        check_block_shape(&self.label, &info, result.shape());
        for (o, v) in out.iter_mut().zip(result.iter()) {
            *o = *v;
        }
    }
}

/// Output chunks: the input's, or `spec` checked to have the same blocks per axis.
fn output_chunks(
    op: &'static str,
    input_chunks: &Chunks,
    spec: Option<Vec<Vec<usize>>>,
) -> Result<Chunks, ArrayError> {
    let Some(lengths) = spec else {
        return Ok(input_chunks.clone());
    };
    let numblocks = input_chunks.numblocks();
    if lengths.len() != numblocks.len() {
        return Err(ArrayError::InvalidArgument {
            op,
            message: format!(
                "output chunks {lengths:?} give {} axes but the input has {}; give one list of chunk lengths per input axis",
                lengths.len(),
                numblocks.len()
            ),
        });
    }
    for (axis, (l, &n)) in lengths.iter().zip(&numblocks).enumerate() {
        if l.len() != n {
            return Err(ArrayError::InvalidArgument {
                op,
                message: format!(
                    "output chunks {l:?} on axis {axis} give {} blocks but the input has {n} there; give one output chunk per input chunk",
                    l.len()
                ),
            });
        }
        let empty_axis = l.iter().sum::<usize>() == 0 && l.len() == 1;
        if l.contains(&0) && !empty_axis {
            return Err(ArrayError::ZeroChunk { axis });
        }
    }
    Ok(Chunks(lengths))
}

fn build<T: Element, U: Element>(
    label: &'static str,
    inputs: &[&Array<T>],
    chunks: Option<Vec<Vec<usize>>>,
    f: Arc<BlockFn<T, U>>,
) -> Array<U> {
    let Some(first) = inputs.first() else {
        return Array::invalid(ArrayError::InvalidArgument {
            op: label,
            message: "no input arrays; give at least one".to_string(),
        });
    };
    for a in inputs {
        if let Some(e) = a.error() {
            return Array::invalid(e);
        }
    }
    for (i, a) in inputs.iter().enumerate().skip(1) {
        if a.shape() != first.shape() || a.chunks() != first.chunks() {
            return Array::invalid(ArrayError::InvalidArgument {
                op: label,
                message: format!(
                    "input {i} has shape {:?} and chunks {} but input 0 has shape {:?} and chunks {}; give inputs of one shape and rechunk them alike",
                    a.shape(),
                    a.chunks(),
                    first.shape(),
                    first.chunks()
                ),
            });
        }
    }
    let chunks = match output_chunks(label, first.chunks(), chunks) {
        Ok(c) => c,
        Err(e) => return Array::invalid(e),
    };
    let shape = chunks.as_vecs().iter().map(|l| l.iter().sum()).collect();
    let meta = NodeMeta::new(label, shape, chunks, U::DTYPE);
    Array::from_expr(Arc::new(BlockwiseExpr {
        meta,
        inputs: inputs.iter().map(|a| a.expr.clone()).collect(),
        f,
    }))
}

impl<T: Element> Array<T> {
    /// Applies `f` to every chunk (as an ndarray view) and assembles the blocks it
    /// returns, as Dask's `map_blocks`; each block must keep its chunk's shape (use
    /// [`map_blocks_with`](Array::map_blocks_with) to change it).
    ///
    /// ```
    /// // each chunk minus its own mean
    /// let x = spillway::arange(0.0, 6.0, 1.0, 3);
    /// let centred = x.map_blocks(|b| {
    ///     let mean = b.mean().unwrap();
    ///     b.mapv(|v| v - mean)
    /// });
    /// assert_eq!(centred.compute_vec().unwrap(), vec![-1.0, 0.0, 1.0, -1.0, 0.0, 1.0]);
    /// ```
    pub fn map_blocks<U: Element>(
        &self,
        f: impl Fn(ArrayViewD<'_, T>) -> ArrayD<U> + Send + Sync + 'static,
    ) -> Array<U> {
        let f: Arc<BlockFn<T, U>> = Arc::new(move |views, _info| f(views[0].clone()));
        build("map_blocks", &[self], None, f)
    }

    /// `map_blocks` with the output chunks given (one length per input chunk on each
    /// axis; `None` keeps the input's) and the block's [`BlockInfo`] passed to `f`.
    ///
    /// ```
    /// use ndarray::{ArrayD, IxDyn};
    /// // each chunk of 3 becomes one value: its block index
    /// let x = spillway::zeros::<i64>(9, 3);
    /// let y = x.map_blocks_with(Some(vec![vec![1, 1, 1]]), |_b, info| {
    ///     ArrayD::from_elem(IxDyn(&[1]), info.block_id[0] as i64)
    /// });
    /// assert_eq!(y.compute_vec().unwrap(), vec![0, 1, 2]);
    /// ```
    pub fn map_blocks_with<U: Element>(
        &self,
        chunks: Option<Vec<Vec<usize>>>,
        f: impl Fn(ArrayViewD<'_, T>, &BlockInfo) -> ArrayD<U> + Send + Sync + 'static,
    ) -> Array<U> {
        let f: Arc<BlockFn<T, U>> = Arc::new(move |views, info| f(views[0].clone(), info));
        build("map_blocks", &[self], chunks, f)
    }
}

/// Applies `f` to the aligned chunks of several arrays of one shape and chunking (block
/// `i` of each input together), as Dask's `blockwise` for inputs indexed alike; `chunks`
/// gives the output chunks (`None`: the inputs').
///
/// ```
/// let a = spillway::arange(0i64, 6, 1, 2);
/// let b = spillway::full(6, 10i64, 2);
/// let c = spillway::array::user::blockwise::blockwise(&[&a, &b], None, |blocks, _info| {
///     &blocks[0] * &blocks[1]
/// });
/// assert_eq!(c.compute_vec().unwrap(), vec![0, 10, 20, 30, 40, 50]);
/// ```
pub fn blockwise<T: Element, U: Element>(
    inputs: &[&Array<T>],
    chunks: Option<Vec<Vec<usize>>>,
    f: impl Fn(&[ArrayViewD<'_, T>], &BlockInfo) -> ArrayD<U> + Send + Sync + 'static,
) -> Array<U> {
    build("blockwise", inputs, chunks, Arc::new(f))
}
