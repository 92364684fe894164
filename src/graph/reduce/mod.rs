//! Reductions over axes: the contracts, with the node, its evaluator, its merge tree and
//! its stage in the files below.
//!
//! A reduction whose reduced axes each lie in one chunk is blockwise: it is evaluated
//! inline, tile by tile, inside whatever chain pulls it (the pi's `sum(axis=1)`,
//! `inline.rs`). Otherwise it becomes a stage (`stage.rs`): one task per input block folds
//! the block into a partial (tile by tile, through the fused evaluator of its input, with
//! the tile layouts of `layout.rs`), and partials of the same output block merge in a fixed
//! pairwise tree ordered by block index (`tree.rs`), so the result does not depend on which
//! thread finished first. `expr.rs` holds the generic node, [`ReduceExpr`].
//!
//! This file holds what the rest of the crate implements and calls: [`Reducer`] (a
//! reduction's kernels), [`ReductionNode`] (the stage face of a reduction node) and
//! [`ReductionRun`] (one reduction's share of a stage).

use super::eval::EvalContext;
use super::node::{Eval, NodeRef};
use super::region::{MAX_NDIM, Region};
use crate::dtype::Element;
use crate::exec::error::Result;
use crate::exec::stage::Stage;
use crate::memory::MemoryBudget;
use std::any::Any;
use std::sync::Arc;

#[cfg(feature = "mpi")]
mod exchange;
mod expr;
mod inline;
mod layout;
mod stage;
mod tree;

pub use expr::ReduceExpr;
pub use layout::accumulate_box;
pub use stage::{TASK_ELEMS, fold_stage, runs_with_siblings};
#[cfg(feature = "mpi")]
use {
    stage::ReduceStage,
    tree::{RESERVE_WAIT, RunState},
};

/// A reduction's kernels: how elements fold into accumulators and accumulators merge.
///
/// Folding order is fixed by the data layout, so results are deterministic.
pub trait Reducer<T: Element>: Clone + Send + Sync + 'static {
    /// The running state per output element.
    type Acc: Copy + Send + Sync + 'static;
    /// The output element type.
    type Out: Element;
    /// The op name (`"sum"`, `"var"`).
    fn label(&self) -> &'static str;
    /// The state before any element.
    fn identity(&self) -> Self::Acc;
    /// `acc ⊕= fold(xs)`.
    fn fold_slice(&self, acc: &mut Self::Acc, xs: &[T]);
    /// `accs[i] ⊕= xs[i]`.
    fn fold_elementwise(&self, accs: &mut [Self::Acc], xs: &[T]);
    /// `accs[i] ⊕= fold(xs[i * row .. (i + 1) * row])`.
    fn fold_rows(&self, accs: &mut [Self::Acc], xs: &[T], row: usize) {
        for (acc, chunk) in accs.iter_mut().zip(xs.chunks_exact(row)) {
            self.fold_slice(acc, chunk);
        }
    }
    /// `a ⊕= b`, where `b` folded elements that come after `a`'s.
    fn merge(&self, a: &mut Self::Acc, b: &Self::Acc);
    /// The output value of a final state.
    fn finish(&self, acc: &Self::Acc) -> Self::Out;
    /// Folds rows of `input`'s values over `tile` (rows of `row` values, row `i` into
    /// `accs[i]`, stored rather than folded when `assign`) without materialising them,
    /// when the input can (see [`Eval::row_sums`]); false, with nothing written, if not.
    fn fold_rows_from(
        &self,
        _input: &mut dyn Eval<T>,
        _tile: &Region,
        _accs: &mut [Self::Acc],
        _row: usize,
        _assign: bool,
    ) -> bool {
        false
    }
    /// True when `Acc` and `Out` are one type and `finish` returns the state unchanged
    /// (sum, min, max, any, all): evaluators then fold straight into the output.
    fn finish_is_identity(&self) -> bool {
        false
    }
}

/// The stage face of a reduction node.
pub trait ReductionNode: Send + Sync {
    /// True when every reduced axis lies in one input chunk: the reduction fuses inline.
    fn is_blockwise(&self) -> bool;
    /// The node this reduction folds.
    fn input_node(&self) -> NodeRef;
    /// This reduction's share of a stage, as `Box<Box<dyn ReductionRun<T>>>` for the
    /// input's element type `T` (type-erased so that siblings can be gathered).
    fn run_any(&self) -> Box<dyn Any>;
    /// One stage that folds the common input once per tile for this reduction and for
    /// `siblings` (other reductions of the same input node).
    fn stage(
        &self,
        siblings: &[NodeRef],
        ctx: Arc<EvalContext>,
        worker_scratch: u64,
    ) -> Box<dyn Stage>;
}

/// One reduction's share of a stage over its input's blocks: its partials, their fixed
/// merge tree and its result.
pub trait ReductionRun<T: Element>: Send + Sync {
    /// The reduction's op name.
    fn label(&self) -> String;
    /// The reduced input axes.
    fn axes(&self) -> &[usize];
    /// Bytes of one task's partial state, at most.
    fn partial_bytes(&self) -> u64;
    /// Bytes of the result and its final partials.
    fn result_bytes(&self) -> u64;
    /// A description of a result size that would fit in `budget` bytes.
    fn suggest_fit(&self, budget: u64) -> String;
    /// Bytes the reduction holds over the stage with `workers` running tasks and each
    /// block cut into `splits` tasks: its result and final partials, plus a bound on the
    /// partials waiting in its merge trees.
    fn held_bytes(&self, workers: usize, splits: usize) -> u64;
    /// Tells the run its stage hands blocks out in `order` rather than block order (the
    /// partials waiting to merge then differ; see [`order`](super::order)).
    fn set_block_order(&mut self, _order: Arc<Vec<usize>>) {}
    /// Reserves `held_bytes` from the budget (waiting for other computations to free it).
    fn prepare(&self, budget: &MemoryBudget, workers: usize, splits: usize) -> Result<()>;
    /// A fresh partial for one task over `block` (input coordinates).
    fn start(&self, block: &Region) -> Box<dyn Any + Send>;
    /// Folds one input tile of the task's block into the partial.
    fn fold(&self, partial: &mut (dyn Any + Send), data: &[T], tile: &Region);
    /// Folds one input tile straight from the input's evaluator when it can fold rows
    /// without storing its values (a sum of a map); false, with nothing done, if not.
    fn fold_from(
        &self,
        partial: &mut (dyn Any + Send),
        input: &mut dyn Eval<T>,
        tile: &Region,
    ) -> bool;
    /// Hands a finished partial to the merge tree: leaf `part` of `parts` of `block`.
    fn submit(
        &self,
        partial: Box<dyn Any + Send>,
        block: &[usize; MAX_NDIM],
        part: usize,
        parts: usize,
    ) -> Result<()>;
    /// Assembles the result and stores it in `ctx`.
    fn finish(&self, ctx: &EvalContext) -> Result<()>;
    /// [`prepare`](Self::prepare) for a stage spread over MPI ranks: also reserves the
    /// partials other ranks send.
    /// (The default: this kind of reduction is not spread over ranks yet.)
    #[cfg(feature = "mpi")]
    fn prepare_exchange(
        &self,
        _budget: &MemoryBudget,
        _workers: usize,
        _splits: usize,
    ) -> Result<()> {
        Err(crate::exec::distributed::DistributedError::Unsupported {
            op: "this reduction".into(),
        }
        .into())
    }
    /// Appends the partials waiting in the merge trees (and the finished ones) to `out`,
    /// taking them out.
    #[cfg(feature = "mpi")]
    fn export_partials(&self, _out: &mut Vec<u8>) {}
    /// Merges partials exported by [`export_partials`](Self::export_partials) in a
    /// process running the same program; returns the bytes read.
    #[cfg(feature = "mpi")]
    fn import_partials(&self, _bytes: &[u8], _splits: usize) -> Result<usize> {
        Err(crate::exec::distributed::DistributedError::Unsupported {
            op: "this reduction".into(),
        }
        .into())
    }
}
