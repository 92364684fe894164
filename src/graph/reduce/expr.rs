//! The generic reduction node, [`ReduceExpr`]: its shape, its inline evaluator and the
//! stage it becomes when its reduced axes span chunks.

use super::inline::{InlineReduceEval, ReduceShape};
use super::stage::{ReduceStage, TASK_ELEMS, runs_with_siblings};
use super::tree::{Combiner, RunState};
use super::{Reducer, ReductionNode, ReductionRun};
use crate::dtype::Element;
use crate::exec::stage::Stage;
use crate::graph::chunks::{BlockGrid, Chunks};
use crate::graph::eval::EvalContext;
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, Scratch, node_meta,
};
use std::any::Any;
use std::sync::{Arc, Mutex};

/// A reduction of `axes` of one input.
pub struct ReduceExpr<T: Element, R: Reducer<T>> {
    meta: NodeMeta,
    input: ExprRef<T>,
    axes: Vec<usize>,
    keepdims: bool,
    reducer: R,
}

impl<T: Element, R: Reducer<T>> std::fmt::Debug for ReduceExpr<T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReduceExpr")
            .field("meta", &self.meta)
            .field("axes", &self.axes)
            .field("keepdims", &self.keepdims)
            .finish()
    }
}

impl<T: Element, R: Reducer<T>> ReduceExpr<T, R> {
    /// Reduces sorted, distinct, in-range `axes` of `input`.
    pub fn new(input: ExprRef<T>, axes: Vec<usize>, keepdims: bool, reducer: R) -> Self {
        let in_meta = input.meta();
        let mut shape = Vec::new();
        let mut chunks = Vec::new();
        for (axis, &extent) in in_meta.shape.iter().enumerate() {
            if axes.contains(&axis) {
                if keepdims {
                    shape.push(1);
                    chunks.push(vec![1]);
                }
            } else {
                shape.push(extent);
                chunks.push(in_meta.chunks.as_vecs()[axis].clone());
            }
        }
        let meta = NodeMeta::new(reducer.label(), shape, Chunks(chunks), R::Out::DTYPE);
        ReduceExpr {
            meta,
            input,
            axes,
            keepdims,
            reducer,
        }
    }

    fn reduced_mask(&self) -> Vec<bool> {
        (0..self.input.meta().shape.len())
            .map(|a| self.axes.contains(&a))
            .collect()
    }

    fn acc_bytes() -> u64 {
        std::mem::size_of::<R::Acc>() as u64
    }
}

impl<T: Element, R: Reducer<T>> Node for ReduceExpr<T, R> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![self.input.clone().as_node()]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Reduction {
            axes: self.axes.clone(),
        }
    }
    fn scratch_bytes(&self, tile_elems: usize) -> u64 {
        tile_elems as u64 * (std::mem::size_of::<T>() as u64 + Self::acc_bytes())
    }
    fn as_reduction(&self) -> Option<&dyn ReductionNode> {
        Some(self)
    }
}

impl<T: Element, R: Reducer<T>> Expr<R::Out> for ReduceExpr<T, R> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<R::Out>> {
        Box::new(InlineReduceEval {
            node: self.clone_handle(),
            reducer: self.reducer.clone(),
            input: ctx.build(&self.input),
            input_scratch: Scratch::default(),
            accs: Vec::new(),
            tile_elems: ctx.tile_elems(),
            reduced: self.reduced_mask(),
        })
    }
}

impl<T: Element, R: Reducer<T>> ReduceExpr<T, R> {
    fn clone_handle(&self) -> ReduceShape {
        ReduceShape {
            axes: self.axes.clone(),
            keepdims: self.keepdims,
            input_shape: self.input.meta().shape.clone(),
        }
    }
}

impl<T: Element, R: Reducer<T>> ReduceExpr<T, R> {
    fn run_state(&self) -> RunState<T, R> {
        let chunks = &self.input.meta().chunks;
        RunState {
            reducer: self.reducer.clone(),
            id: self.meta.id,
            label: self.meta.label.clone(),
            axes: self.axes.clone(),
            reduced: self.reduced_mask(),
            out_shape: self.meta.shape.clone(),
            in_shape: self.input.meta().shape.clone(),
            chunksize: chunks.chunksize(),
            grid: BlockGrid::new(chunks),
            combiner: Mutex::new(Combiner::default()),
            block_order: None,
            _t: std::marker::PhantomData,
        }
    }
}

impl<T: Element, R: Reducer<T>> ReductionNode for ReduceExpr<T, R> {
    fn is_blockwise(&self) -> bool {
        let chunks = &self.input.meta().chunks;
        self.axes.iter().all(|&a| chunks.as_vecs()[a].len() <= 1)
    }

    fn input_node(&self) -> NodeRef {
        self.input.clone().as_node()
    }

    fn run_any(&self) -> Box<dyn Any> {
        let run: Box<dyn ReductionRun<T>> = Box::new(self.run_state());
        Box::new(run)
    }

    fn stage(
        &self,
        siblings: &[NodeRef],
        ctx: Arc<EvalContext>,
        worker_scratch: u64,
    ) -> Box<dyn Stage> {
        let mut runs = runs_with_siblings(Box::new(self.run_state()), siblings);
        let chunks = &self.input.meta().chunks;
        let chunksize = chunks.chunksize();
        let block_elems: usize = chunksize.iter().product();
        // cut blocks along an axis every reduction of the stage reduces
        let split_axis = (0..chunksize.len())
            .find(|&a| chunksize[a] >= 2 && runs.iter().all(|r| r.axes().contains(&a)));
        // an input that reads whole blocks (a zarr chunk) would read each block once per
        // part: such blocks stay one task
        let whole_blocks = crate::graph::node::reads_whole_blocks(&self.input.clone().as_node());
        let splits = match split_axis {
            Some(a) if !whole_blocks => block_elems.div_ceil(TASK_ELEMS).clamp(1, chunksize[a]),
            _ => 1,
        };
        // `x + x.T` over stored chunks: tasks (i, j) and (j, i) side by side read each once
        let block_order = whole_blocks
            .then(|| {
                crate::graph::order::pairing_order(&self.input.clone().as_node(), chunks.clone())
            })
            .flatten()
            .map(Arc::new);
        if let Some(order) = &block_order {
            for run in &mut runs {
                run.set_block_order(order.clone());
            }
        }
        let prefetch =
            crate::graph::prefetch::BlockPrefetch::new(&self.input.clone().as_node(), chunks);
        Box::new(ReduceStage {
            block_order,
            prefetch,
            input: self.input.clone(),
            ctx,
            grid: BlockGrid::new(chunks),
            chunksize,
            worker_scratch,
            splits,
            split_axis,
            runs,
        })
    }
}
