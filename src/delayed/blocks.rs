//! An array assembled from a grid of delayed ndarrays (Dask's `da.block` of
//! `da.from_delayed` pieces).

use super::Delayed;
use super::error::DelayedError;
use crate::array::chunks::{ChunkSpec, normalize_chunks};
use crate::array::{Array, ArrayError, check_rank};
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::exec::client::{Client, RuntimeError};
use crate::graph::chunks::BlockGrid;
use crate::graph::eval::EvalContext;
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, node_debug, node_meta,
};
use crate::graph::region::Region;
use ndarray::ArrayD;
use std::sync::{Arc, OnceLock};

/// An array whose chunks are delayed ndarrays: `chunks` gives the chunk lengths per axis
/// (as Dask's explicit `chunks`), `blocks` one delayed value per chunk in row-major block
/// order. The blocks are computed together (in parallel, under the budget) the first time
/// a computation reads the array, and kept, as in [`from_delayed`](super::from_delayed).
/// A wrong number of blocks or bad chunk lengths give an invalid array (its error is
/// returned by `compute`); a block of the wrong shape fails the computation that reads it.
///
/// ```
/// use spillway::delayed::{delayed, from_delayed_blocks};
/// let blocks: Vec<_> = (0..3)
///     .map(|b| delayed(move || ndarray::ArrayD::from_elem(vec![2, 4], b as f64)))
///     .collect();
/// let x = from_delayed_blocks(&blocks, vec![vec![2, 2, 2], vec![4]]);
/// assert_eq!(x.shape(), &[6, 4]);
/// assert_eq!(x.numblocks(), vec![3, 1]);
/// assert_eq!(x.sum().compute_scalar().unwrap(), 8.0 * (0.0 + 1.0 + 2.0));
/// assert!(from_delayed_blocks(&blocks, vec![vec![2, 2], vec![4]]).check().is_err());
/// ```
pub fn from_delayed_blocks<T: Element>(
    blocks: &[Delayed<ArrayD<T>>],
    chunks: Vec<Vec<usize>>,
) -> Array<T> {
    let shape: Vec<usize> = chunks.iter().map(|c| c.iter().sum()).collect();
    if let Err(e) = check_rank(&shape) {
        return Array::invalid(e);
    }
    let chunks = match normalize_chunks(&ChunkSpec::Explicit(chunks), &shape, T::DTYPE.itemsize()) {
        Ok(c) => c,
        Err(e) => return Array::invalid(e),
    };
    if chunks.nblocks() != blocks.len() {
        return Array::invalid(ArrayError::InvalidArgument {
            op: "from_delayed_blocks",
            message: format!(
                "the chunks {chunks} make {} blocks but {} delayed values were given",
                chunks.nblocks(),
                blocks.len()
            ),
        });
    }
    let label = blocks
        .first()
        .map_or_else(|| "delayed".to_string(), |b| b.task_name());
    Array::from_expr(Arc::new(BlocksExpr {
        grid: BlockGrid::new(&chunks),
        meta: NodeMeta::new(label, shape, chunks, T::DTYPE),
        blocks: blocks.to_vec(),
        computed: OnceLock::new(),
    }) as ExprRef<T>)
}

/// A source node reading a grid of delayed ndarrays.
struct BlocksExpr<T: Element> {
    meta: NodeMeta,
    grid: BlockGrid,
    blocks: Vec<Delayed<ArrayD<T>>>,
    computed: OnceLock<Result<Arc<Vec<Placed<T>>>>>,
}

/// A computed block and the box it covers.
struct Placed<T> {
    region: Region,
    values: Arc<ArrayD<T>>,
}

node_debug!([T: Element] BlocksExpr<T>);

impl<T: Element> BlocksExpr<T> {
    fn compute(&self) -> Result<Arc<Vec<Placed<T>>>> {
        let mut attempts = 0;
        let values = loop {
            // the client running the computation this source is part of
            let client = crate::exec::executor::running_client().unwrap_or_else(Client::current);
            let roots: Vec<_> = self.blocks.iter().map(|b| b.node()).collect();
            match super::stage::run_local(&roots, &client) {
                Err(Error::Runtime(RuntimeError::Closed)) if attempts < 3 => attempts += 1,
                Err(e) => return Err(e),
                Ok(_) => {
                    break self
                        .blocks
                        .iter()
                        .map(|b| b.task.outcome())
                        .collect::<Result<Vec<_>>>()?;
                }
            }
        };
        let mut placed = Vec::with_capacity(values.len());
        for (i, (values, block)) in values.into_iter().zip(&self.blocks).enumerate() {
            let region = self.grid.region(&self.grid.index(i));
            if values.shape() != region.shape.as_slice() {
                return Err(DelayedError::ShapeMismatch {
                    task: block.task_name(),
                    expected: region.shape.as_slice().to_vec(),
                    actual: values.shape().to_vec(),
                }
                .into());
            }
            let values = if values.is_standard_layout() {
                values
            } else {
                Arc::new(values.as_standard_layout().into_owned())
            };
            placed.push(Placed { region, values });
        }
        Ok(Arc::new(placed))
    }
}

impl<T: Element> Node for BlocksExpr<T> {
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

impl<T: Element> Expr<T> for BlocksExpr<T> {
    fn evaluator(&self, _ctx: &EvalContext) -> Box<dyn Eval<T>> {
        Box::new(BlocksEval {
            blocks: self.computed.get_or_init(|| self.compute()).clone(),
        })
    }
}

struct BlocksEval<T> {
    blocks: Result<Arc<Vec<Placed<T>>>>,
}

impl<T: Element> Eval<T> for BlocksEval<T> {
    fn eval(&mut self, region: &Region, out: &mut [T]) {
        let blocks = match &self.blocks {
            Ok(blocks) => blocks,
            // tasks run under catch_unwind: this becomes Error::TaskPanicked with the message
            Err(error) => panic!("{error}"),
        };
        for block in blocks.iter() {
            copy_overlap(block, region, out);
        }
    }
}

/// Copies the part of `block` inside `region` to its place in `out` (row-major over
/// `region`).
fn copy_overlap<T: Element>(block: &Placed<T>, region: &Region, out: &mut [T]) {
    let ndim = region.ndim();
    let data = block
        .values
        .as_slice()
        .expect("blocks are kept in standard layout");
    if ndim == 0 {
        out[0] = data[0];
        return;
    }
    // the overlap, in global coordinates
    let mut lo = [0usize; crate::graph::region::MAX_NDIM];
    let mut hi = [0usize; crate::graph::region::MAX_NDIM];
    for axis in 0..ndim {
        let b0 = block.region.start[axis];
        let b1 = b0 + block.region.shape[axis];
        let r0 = region.start[axis];
        let r1 = r0 + region.shape[axis];
        lo[axis] = b0.max(r0);
        hi[axis] = b1.min(r1);
        if lo[axis] >= hi[axis] {
            return;
        }
    }
    let run = hi[ndim - 1] - lo[ndim - 1];
    let mut index = lo;
    loop {
        let (mut src, mut dst) = (0usize, 0usize);
        for (axis, &at) in index[..ndim].iter().enumerate() {
            src = src * block.region.shape[axis] + (at - block.region.start[axis]);
            dst = dst * region.shape[axis] + (at - region.start[axis]);
        }
        out[dst..dst + run].copy_from_slice(&data[src..src + run]);
        // next row of the overlap: odometer over all axes but the last
        let mut axis = ndim - 1;
        loop {
            if axis == 0 {
                return;
            }
            axis -= 1;
            index[axis] += 1;
            if index[axis] < hi[axis] {
                break;
            }
            index[axis] = lo[axis];
        }
    }
}
