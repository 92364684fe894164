//! A staged whole-array fold that sees element positions: the building block of
//! `histogram`, the selection passes of `median`/`percentile` and `argmin`/`argmax`.
//!
//! A [`Folder`] folds each input block (tile by tile, with the tile's region, so it knows
//! global indices) into a per-block state, and absorbs finished states into one total in
//! any order: absorbing must be order-independent (integer counts, exact min/max, ties
//! broken by index), so the result never depends on thread timing. The node runs as a
//! reduction stage ([`fold_stage`]) and shares tiles with reductions of the same input.

use crate::dtype::Element;
use crate::exec::error::Result;
use crate::exec::stage::Stage;
use crate::graph::chunks::Chunks;
use crate::graph::eval::{EvalContext, copy_region};
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeId, NodeKind, NodeMeta, NodeRef, node_debug, node_meta,
};
use crate::graph::reduce::{ReductionNode, ReductionRun, fold_stage, runs_with_siblings};
use crate::graph::region::{MAX_NDIM, Region};
use crate::memory::{MemoryBudget, Reservation};
use ndarray::ArrayD;
use std::any::Any;
use std::sync::{Arc, Mutex};

/// How long a fold waits for memory other computations hold.
const RESERVE_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

/// A fold of a whole input into a small result.
pub(crate) trait Folder<T: Element>: Send + Sync + 'static {
    /// One block's running state.
    type State: Send + 'static;
    /// The total the block states are absorbed into.
    type Total: Send + 'static;
    /// Result element type.
    type Out: Element;
    /// The op name.
    fn label(&self) -> &'static str;
    /// The result's shape.
    fn out_shape(&self) -> Vec<usize>;
    /// Bytes of one block's state, at most.
    fn state_bytes(&self) -> u64;
    /// Bytes of the total and the result.
    fn total_bytes(&self) -> u64;
    /// A fresh state for the block `block`.
    fn start(&self, block: &Region) -> Self::State;
    /// Folds the values `data` of `tile` (inside the state's block).
    fn fold(&self, state: &mut Self::State, data: &[T], tile: &Region);
    /// The empty total.
    fn total(&self) -> Self::Total;
    /// Absorbs a finished block state (blocks arrive in any order).
    fn absorb(&self, total: &mut Self::Total, state: Self::State);
    /// The result (of shape `out_shape`).
    fn finish(&self, total: Self::Total) -> ArrayD<Self::Out>;
}

/// The node of a fold.
pub(crate) struct FoldExpr<T: Element, F: Folder<T>> {
    meta: NodeMeta,
    input: ExprRef<T>,
    folder: Arc<F>,
}

impl<T: Element, F: Folder<T>> FoldExpr<T, F> {
    pub(crate) fn new(input: ExprRef<T>, folder: F) -> Self {
        let shape = folder.out_shape();
        let chunks = Chunks(shape.iter().map(|&e| vec![e]).collect());
        FoldExpr {
            meta: NodeMeta::new(folder.label(), shape, chunks, F::Out::DTYPE),
            input,
            folder: Arc::new(folder),
        }
    }

    fn run(&self) -> FoldRun<T, F> {
        FoldRun {
            id: self.meta.id,
            folder: self.folder.clone(),
            axes: (0..self.input.meta().shape.len()).collect(),
            total: Mutex::new((None, None)),
        }
    }
}

node_debug!([T: Element, F: Folder<T>] FoldExpr<T, F>);

impl<T: Element, F: Folder<T>> Node for FoldExpr<T, F> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![self.input.clone().as_node()]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Reduction {
            axes: (0..self.input.meta().shape.len()).collect(),
        }
    }
    fn scratch_bytes(&self, _tile_elems: usize) -> u64 {
        0
    }
    fn as_reduction(&self) -> Option<&dyn ReductionNode> {
        Some(self)
    }
}

impl<T: Element, F: Folder<T>> ReductionNode for FoldExpr<T, F> {
    fn is_blockwise(&self) -> bool {
        // always staged: the result is stored and read by whatever pulls it
        false
    }
    fn input_node(&self) -> NodeRef {
        self.input.clone().as_node()
    }
    fn run_any(&self) -> Box<dyn Any> {
        let run: Box<dyn ReductionRun<T>> = Box::new(self.run());
        Box::new(run)
    }
    fn stage(
        &self,
        siblings: &[NodeRef],
        ctx: Arc<EvalContext>,
        worker_scratch: u64,
    ) -> Box<dyn Stage> {
        let runs = runs_with_siblings(Box::new(self.run()), siblings);
        fold_stage(self.input.clone(), runs, ctx, worker_scratch)
    }
}

impl<T: Element, F: Folder<T>> Expr<F::Out> for FoldExpr<T, F> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<F::Out>> {
        // only reached when the planner did not stage the node: fold inline, once
        Box::new(InlineFold {
            input: ctx.build(&self.input),
            input_shape: self.input.meta().shape.clone(),
            folder: self.folder.clone(),
            tile_elems: ctx.tile_elems(),
            result: None,
        })
    }
}

struct InlineFold<T: Element, F: Folder<T>> {
    input: Box<dyn Eval<T>>,
    input_shape: Vec<usize>,
    folder: Arc<F>,
    tile_elems: usize,
    result: Option<ArrayD<F::Out>>,
}

impl<T: Element, F: Folder<T>> Eval<F::Out> for InlineFold<T, F> {
    fn eval(&mut self, region: &Region, out: &mut [F::Out]) {
        if self.result.is_none() {
            let whole = Region::full(&self.input_shape);
            let mut state = self.folder.start(&whole);
            let mut buf = Vec::new();
            for tile in whole.tiles(self.tile_elems) {
                buf.resize(tile.size(), T::default());
                self.input.eval(&tile, &mut buf);
                self.folder.fold(&mut state, &buf, &tile);
            }
            let mut total = self.folder.total();
            self.folder.absorb(&mut total, state);
            self.result = Some(self.folder.finish(total));
        }
        copy_region(self.result.as_ref().expect("set above"), region, out);
    }
}

/// The stage share of a fold.
struct FoldRun<T: Element, F: Folder<T>> {
    id: NodeId,
    folder: Arc<F>,
    axes: Vec<usize>,
    total: Mutex<(Option<F::Total>, Option<Reservation>)>,
}

impl<T: Element, F: Folder<T>> FoldRun<T, F> {
    fn lock(&self) -> std::sync::MutexGuard<'_, (Option<F::Total>, Option<Reservation>)> {
        self.total.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T: Element, F: Folder<T>> ReductionRun<T> for FoldRun<T, F> {
    fn label(&self) -> String {
        self.folder.label().to_string()
    }
    fn axes(&self) -> &[usize] {
        &self.axes
    }
    fn partial_bytes(&self) -> u64 {
        self.folder.state_bytes()
    }
    fn result_bytes(&self) -> u64 {
        self.folder.total_bytes()
    }
    fn suggest_fit(&self, budget: u64) -> String {
        format!(
            "{} keeps {} bytes of state per task and {} for its total; raise the memory limit above {} bytes",
            self.folder.label(),
            self.folder.state_bytes(),
            self.folder.total_bytes(),
            budget
        )
    }
    fn held_bytes(&self, _workers: usize, _splits: usize) -> u64 {
        // block states are absorbed as soon as their task ends
        self.folder.total_bytes()
    }
    fn prepare(&self, budget: &MemoryBudget, workers: usize, splits: usize) -> Result<()> {
        let mut reservation = budget
            .consumer(format!("{} total", self.folder.label()))
            .register();
        reservation.grow_waiting(self.held_bytes(workers, splits), RESERVE_WAIT)?;
        *self.lock() = (Some(self.folder.total()), Some(reservation));
        Ok(())
    }
    fn start(&self, block: &Region) -> Box<dyn Any + Send> {
        Box::new(self.folder.start(block))
    }
    fn fold(&self, partial: &mut (dyn Any + Send), data: &[T], tile: &Region) {
        let state = partial
            .downcast_mut::<F::State>()
            .expect("states come from start()");
        self.folder.fold(state, data, tile);
    }
    fn fold_from(
        &self,
        _partial: &mut (dyn Any + Send),
        _input: &mut dyn Eval<T>,
        _tile: &Region,
    ) -> bool {
        false
    }
    fn submit(
        &self,
        partial: Box<dyn Any + Send>,
        _block: &[usize; MAX_NDIM],
        _part: usize,
        _parts: usize,
    ) -> Result<()> {
        let state = *partial
            .downcast::<F::State>()
            .expect("states come from start()");
        let mut guard = self.lock();
        let total = guard.0.as_mut().expect("prepare() made the total");
        self.folder.absorb(total, state);
        Ok(())
    }
    fn finish(&self, ctx: &EvalContext) -> Result<()> {
        let (total, reservation) = std::mem::take(&mut *self.lock());
        let total = total.unwrap_or_else(|| self.folder.total());
        ctx.store(self.id, self.folder.finish(total), reservation);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{compute_all, from_ndarray};

    #[test]
    fn folds_share_a_stage_with_reductions_of_the_same_input_in_either_order() {
        let x = from_ndarray(
            ndarray::array![[0.5, 1.5, 2.5], [3.5, f64::NAN, 0.25]],
            [1, 2],
        );
        let hist = x.histogram(2, (0.0, 4.0)).0;
        let count = x.count_nonzero(None, false);
        for roots in [[hist.clone(), count.clone()], [count.clone(), hist.clone()]] {
            let (values, report) = crate::graph::plan::compute_many(
                &[roots[0].expr.clone(), roots[1].expr.clone()],
                &crate::Client::current(),
            )
            .unwrap();
            let flat: Vec<Vec<i64>> = values.iter().map(|v| v.iter().copied().collect()).collect();
            let (h, c) = if roots[0].shape().is_empty() {
                (&flat[1], &flat[0])
            } else {
                (&flat[0], &flat[1])
            };
            assert_eq!(h, &vec![3, 2]);
            assert_eq!(c, &vec![6]);
            // one reduction stage over x's 4 blocks: both folded from the same tiles
            assert_eq!(
                report.stages.iter().filter(|s| s.tasks == 4).count(),
                1,
                "{report}"
            );
        }
        assert_eq!(compute_all(&[hist, count]).unwrap().len(), 2);
    }
}
