//! Arrays and delayed values together: an array's chunks as delayed tasks
//! ([`Array::to_delayed`]) and an array whose values come from a delayed task
//! ([`from_delayed`]).

use super::Delayed;
use crate::array::Array;
use crate::array::creation::IntoShape;
use crate::dtype::Element;
use crate::exec::runtime::Client;
use crate::graph::chunks::{BlockGrid, Chunks};
use crate::graph::eval::EvalContext;
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, node_debug, node_meta,
};
use crate::graph::region::Region;
use ndarray::ArrayD;
use std::sync::Arc;

/// One chunk per axis covering `shape`.
fn single_chunk(shape: &[usize]) -> Chunks {
    Chunks(shape.iter().map(|&n| vec![n]).collect())
}

impl<T: Element> Array<T> {
    /// One delayed task per chunk, in row-major block order (Dask's `x.to_delayed()`,
    /// flattened). Each task computes its chunk through the planner on the client that
    /// runs it, so a chunk's fused chain streams as usual; reductions the chunk depends on
    /// are computed by each chunk's task. The tasks declare no memory of their own: the
    /// plan inside each reserves what it needs from the same budget.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 10, 1, 4);
    /// let blocks = x.to_delayed();
    /// assert_eq!(blocks.len(), 3);
    /// let last = blocks[2].compute().unwrap();
    /// assert_eq!(last.as_slice().unwrap(), &[8, 9]);
    /// ```
    pub fn to_delayed(&self) -> Vec<Delayed<ArrayD<T>>> {
        if let Some(error) = self.error() {
            return vec![Delayed::from_work(
                "invalid".to_string(),
                Vec::new(),
                Box::new(move |_: &Client| Err(error)),
            )];
        }
        let grid = BlockGrid::new(self.chunks());
        let name = self.name().to_string();
        (0..grid.len())
            .map(|i| {
                let region = grid.region(&grid.index(i));
                let shape = region.shape.as_slice().to_vec();
                let block = Array::from_expr(Arc::new(BlockExpr {
                    meta: NodeMeta::new(
                        name.clone(),
                        shape.clone(),
                        single_chunk(&shape),
                        T::DTYPE,
                    ),
                    parent: self.expr.clone(),
                    start: region.start.as_slice().to_vec(),
                }) as ExprRef<T>);
                Delayed::from_work(
                    name.clone(),
                    Vec::new(),
                    Box::new(move |client: &Client| block.compute_on(client)),
                )
            })
            .collect()
    }
}

/// A view of one block of an array: regions are shifted into the parent's index space.
struct BlockExpr<T: Element> {
    meta: NodeMeta,
    parent: ExprRef<T>,
    start: Vec<usize>,
}

node_debug!([T: Element] BlockExpr<T>, " at {:?}", start);

impl<T: Element> Node for BlockExpr<T> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![self.parent.clone().as_node()]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Layout
    }
    fn scratch_bytes(&self, _tile_elems: usize) -> u64 {
        0
    }
}

impl<T: Element> Expr<T> for BlockExpr<T> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T>> {
        Box::new(BlockEval {
            inner: ctx.build(&self.parent),
            start: self.start.clone(),
        })
    }
}

struct BlockEval<T: Element> {
    inner: Box<dyn Eval<T>>,
    start: Vec<usize>,
}

impl<T: Element> BlockEval<T> {
    fn shift(&self, region: &Region) -> Region {
        let mut shifted = *region;
        for (axis, offset) in self.start.iter().enumerate() {
            shifted.start[axis] += offset;
        }
        shifted
    }
}

impl<T: Element> Eval<T> for BlockEval<T> {
    fn eval(&mut self, region: &Region, out: &mut [T]) {
        let shifted = self.shift(region);
        self.inner.eval(&shifted, out);
    }
    fn row_sums(&mut self, region: &Region, row: usize, sums: &mut [T::Sum], assign: bool) -> bool {
        let shifted = self.shift(region);
        self.inner.row_sums(&shifted, row, sums, assign)
    }
}

/// An array of `shape` whose values come from a delayed ndarray (Dask's
/// `da.from_delayed`): one chunk, labelled with the task's name.
///
/// The delayed value is computed the first time a computation reads the array (when the
/// first evaluator is built, on [`Client::current`]) and kept, so it runs once however
/// often the array is computed. Its memory is not counted by the plan: declare it on the
/// task. If the task fails, or returns an array of another shape
/// ([`DelayedError::ShapeMismatch`]), the computation's tasks that read it fail with
/// [`Error::TaskPanicked`] whose message is that error.
///
/// ```
/// use spillway::delayed::{delayed, from_delayed};
/// let d = delayed(|| ndarray::ArrayD::from_shape_fn(vec![3, 2], |ix| (ix[0] * 2 + ix[1]) as f64));
/// let x = from_delayed(&d, [3, 2]);
/// assert_eq!(x.sum().compute_scalar().unwrap(), 15.0);
/// assert_eq!(x.name(), "delayed");
/// ```
pub fn from_delayed<T: Element>(value: &Delayed<ArrayD<T>>, shape: impl IntoShape) -> Array<T> {
    // one delayed value is a grid of one block
    let chunks = shape.into_shape().into_iter().map(|n| vec![n]).collect();
    super::blocks::from_delayed_blocks(std::slice::from_ref(value), chunks)
}
