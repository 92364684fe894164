//! The reduction stage: one task per input block part, each input tile evaluated once and
//! folded by every reduction of the same input.

use super::ReductionRun;
use crate::dtype::Element;
use crate::exec::error::Result;
use crate::exec::stage::{Stage, StageWorker};
use crate::graph::chunks::BlockGrid;
use crate::graph::eval::EvalContext;
use crate::graph::node::{Eval, ExprRef, NodeRef, Scratch};
use crate::graph::region::Region;
use crate::memory::MemoryBudget;
use std::any::Any;
use std::sync::Arc;

/// Elements one reduction task folds at most (when its block can be cut along a reduced
/// axis): about 64 MB of float64.
pub const TASK_ELEMS: usize = 8 << 20;

/// Runs one or more reductions of the same input: one task per block part, each input
/// tile evaluated once and folded by every reduction.
pub(super) struct ReduceStage<T: Element> {
    pub(super) input: ExprRef<T>,
    pub(super) ctx: Arc<EvalContext>,
    pub(super) grid: BlockGrid,
    pub(super) chunksize: Vec<usize>,
    pub(super) worker_scratch: u64,
    /// Each block is cut into this many tasks along `split_axis` (reduced by every
    /// reduction of the stage), so a few huge chunks still spread over every thread; the
    /// count depends on the chunk shape alone, so results do not depend on the threads.
    pub(super) splits: usize,
    pub(super) split_axis: Option<usize>,
    /// The order blocks are handed out in, when not block order.
    pub(super) block_order: Option<Arc<Vec<usize>>>,
    /// Read-ahead of the stored chunks the next blocks read.
    pub(super) prefetch: Option<crate::graph::prefetch::BlockPrefetch>,
    pub(super) runs: Vec<Box<dyn ReductionRun<T>>>,
}

impl<T: Element> ReduceStage<T> {
    /// Part `part` of `splits` equal cuts of a block along the split axis (maybe empty).
    fn sub_block(&self, block: &Region, part: usize) -> Region {
        let Some(axis) = self.split_axis else {
            return *block;
        };
        let extent = block.shape[axis];
        let lo = extent * part / self.splits;
        let hi = extent * (part + 1) / self.splits;
        let mut region = *block;
        region.start[axis] += lo;
        region.shape[axis] = hi - lo;
        region
    }
}

impl<T: Element> Stage for ReduceStage<T> {
    fn label(&self) -> String {
        let labels: Vec<String> = self.runs.iter().map(|r| r.label()).collect();
        labels.join("+")
    }
    fn num_tasks(&self) -> usize {
        self.grid.len() * self.splits
    }
    fn task_shape(&self) -> Vec<usize> {
        self.chunksize.clone()
    }
    fn worker_bytes(&self) -> u64 {
        let tile = (self.ctx.tile_elems() * std::mem::size_of::<T>()) as u64;
        self.worker_scratch + tile + self.runs.iter().map(|r| r.partial_bytes()).sum::<u64>()
    }
    fn work_bytes(&self) -> u64 {
        let elems: usize = self.input.meta().shape.iter().product();
        (elems * std::mem::size_of::<T>()) as u64
    }
    fn stage_bytes(&self, workers: usize) -> u64 {
        self.runs
            .iter()
            .map(|r| r.held_bytes(workers, self.splits))
            .sum()
    }
    fn suggest_fit(&self, budget: u64) -> Option<String> {
        let tile_bytes =
            self.worker_bytes() - self.runs.iter().map(|r| r.partial_bytes()).sum::<u64>();
        if tile_bytes > budget {
            return Some(format!(
                "one worker's tile buffers alone need {}; raise the memory limit to at least that",
                crate::util::size::format_bytes(tile_bytes)
            ));
        }
        let texts: Vec<String> = self.runs.iter().map(|r| r.suggest_fit(budget)).collect();
        Some(texts.join("; "))
    }
    fn prepare(&self, budget: &MemoryBudget, workers: usize) -> Result<()> {
        for run in &self.runs {
            run.prepare(budget, workers, self.splits)?;
        }
        Ok(())
    }
    fn worker(&self) -> Box<dyn StageWorker + '_> {
        Box::new(ReduceWorker {
            stage: self,
            input: self.ctx.build(&self.input),
            scratch: Scratch::default(),
        })
    }
    fn prefetch(&self, index: usize) {
        if let Some(prefetch) = &self.prefetch
            && index.is_multiple_of(self.splits)
        {
            let block = index / self.splits;
            prefetch.hint(self.block_order.as_ref().map_or(block, |o| o[block]));
        }
    }
    fn finish(&self) -> Result<()> {
        for run in &self.runs {
            run.finish(&self.ctx)?;
        }
        Ok(())
    }
    #[cfg(feature = "mpi")]
    fn exchange(&self) -> Option<&dyn crate::exec::stage::Exchange> {
        Some(self)
    }
}

struct ReduceWorker<'s, T: Element> {
    stage: &'s ReduceStage<T>,
    input: Box<dyn Eval<T>>,
    scratch: Scratch<T>,
}

impl<T: Element> StageWorker for ReduceWorker<'_, T> {
    fn run(&mut self, index: usize) -> Result<()> {
        let stage = self.stage;
        let (block_number, part) = (index / stage.splits, index % stage.splits);
        let block_number = stage
            .block_order
            .as_ref()
            .map_or(block_number, |o| o[block_number]);
        let block = stage.grid.index(block_number);
        let region = stage.sub_block(&stage.grid.region(&block), part);
        let mut partials: Vec<Box<dyn Any + Send>> =
            stage.runs.iter().map(|r| r.start(&region)).collect();
        let single = stage.runs.len() == 1;
        for tile in region.tiles(stage.ctx.tile_elems()) {
            // one reduction alone may fold straight from its input (a sum of a map);
            // several share each evaluated tile
            if single && stage.runs[0].fold_from(partials[0].as_mut(), self.input.as_mut(), &tile) {
                continue;
            }
            let buf = self.scratch.get(tile.size());
            self.input.eval(&tile, buf);
            for (run, partial) in stage.runs.iter().zip(partials.iter_mut()) {
                run.fold(partial.as_mut(), buf, &tile);
            }
        }
        // an evaluator that failed (a store read) left garbage in the partials
        stage.ctx.errors().check()?;
        for (run, partial) in stage.runs.iter().zip(partials) {
            run.submit(partial, &block, part, stage.splits)?;
        }
        Ok(())
    }
}

/// The runs of a stage shared by reductions of one input: `first`'s, then each
/// sibling's (every sibling folds the same input node, so the same element type).
pub fn runs_with_siblings<T: Element>(
    first: Box<dyn ReductionRun<T>>,
    siblings: &[NodeRef],
) -> Vec<Box<dyn ReductionRun<T>>> {
    let mut runs = vec![first];
    for sibling in siblings {
        let any = sibling
            .as_reduction()
            .expect("siblings are reductions")
            .run_any();
        let run = any
            .downcast::<Box<dyn ReductionRun<T>>>()
            .expect("siblings fold the same input node, so the same element type");
        runs.push(*run);
    }
    runs
}

/// A stage that folds `input` block by block, each tile evaluated once and handed to
/// every run of `runs`: for nodes other than [`ReduceExpr`](super::ReduceExpr) that implement
/// [`ReductionRun`] themselves (histograms, selection passes), one task per block.
pub fn fold_stage<T: Element>(
    input: ExprRef<T>,
    runs: Vec<Box<dyn ReductionRun<T>>>,
    ctx: Arc<EvalContext>,
    worker_scratch: u64,
) -> Box<dyn Stage> {
    let chunks = &input.meta().chunks;
    Box::new(ReduceStage {
        grid: BlockGrid::new(chunks),
        chunksize: chunks.chunksize(),
        prefetch: crate::graph::prefetch::BlockPrefetch::new(&input.clone().as_node(), chunks),
        input,
        ctx,
        worker_scratch,
        splits: 1,
        split_axis: None,
        block_order: None,
        runs,
    })
}
