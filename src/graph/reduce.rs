//! Reductions over axes: the generic node, its fused in-tile evaluator and its stage.
//!
//! A reduction whose reduced axes each lie in one chunk is blockwise: it is evaluated
//! inline, tile by tile, inside whatever chain pulls it (the pi's `sum(axis=1)`).
//! Otherwise it becomes a stage: one task per input block folds the block into a partial
//! (tile by tile, through the fused evaluator of its input), and partials of the same
//! output block merge in a fixed pairwise tree ordered by block index, so the result does
//! not depend on which thread finished first.

use super::eval::EvalContext;
use super::node::{Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, Scratch};
use super::region::{MAX_NDIM, Region};
use crate::array::chunks::Chunks;
use crate::dtype::Element;
use crate::error::Result;
use crate::exec::budget::{MemoryBudget, Reservation};
use crate::exec::stage::{Stage, StageWorker};
use ndarray::{ArrayD, IxDyn};
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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
}

/// Folds the values `data` of input box `tile` into `accs`, the states of the output box
/// `target` (in keep-dims coordinates: reduced axes have start 0 and extent 1).
pub fn accumulate_box<T: Element, R: Reducer<T>>(
    reducer: &R,
    data: &[T],
    tile: &Region,
    target: &Region,
    reduced: &[bool],
    accs: &mut [R::Acc],
) {
    let ndim = tile.ndim();
    // acc strides (0 on reduced axes) and the offset of the tile's first element
    let mut acc_stride = [0usize; MAX_NDIM];
    let mut stride = 1;
    for axis in (0..ndim).rev() {
        if !reduced[axis] {
            acc_stride[axis] = stride;
            stride *= target.shape[axis];
        }
    }
    let mut base = 0;
    for axis in 0..ndim {
        if !reduced[axis] {
            base += (tile.start[axis] - target.start[axis]) * acc_stride[axis];
        }
    }
    // merged dims, outermost first: (extent, acc stride); extent-1 axes dropped
    let mut dims: [(usize, usize); MAX_NDIM] = [(0, 0); MAX_NDIM];
    let mut n = 0;
    for axis in (0..ndim).rev() {
        let extent = tile.shape[axis];
        if extent == 1 {
            continue;
        }
        let s = acc_stride[axis];
        if n > 0 {
            let (inner_extent, inner_stride) = dims[n - 1];
            if s == inner_stride * inner_extent {
                dims[n - 1] = (inner_extent * extent, inner_stride);
                continue;
            }
        }
        dims[n] = (extent, s);
        n += 1;
    }
    dims[..n].reverse();
    let dims = &dims[..n];
    if dims.is_empty() {
        reducer.fold_slice(&mut accs[base], &data[..1]);
        return;
    }
    // the innermost one or two dims are handled by one kernel call
    let (inner_e, inner_s) = dims[n - 1];
    let (kernel_dims, block_len): (usize, usize) = if inner_s == 0 && n >= 2 && dims[n - 2].1 == 1 {
        (2, inner_e * dims[n - 2].0)
    } else {
        (1, inner_e)
    };
    let outer = &dims[..n - kernel_dims];
    let mut index = [0usize; MAX_NDIM];
    let mut acc_off = base;
    let mut data_off = 0;
    loop {
        let block = &data[data_off..data_off + block_len];
        if kernel_dims == 2 {
            let rows = dims[n - 2].0;
            reducer.fold_rows(&mut accs[acc_off..acc_off + rows], block, inner_e);
        } else if inner_s == 0 {
            reducer.fold_slice(&mut accs[acc_off], block);
        } else if inner_s == 1 {
            reducer.fold_elementwise(&mut accs[acc_off..acc_off + inner_e], block);
        } else {
            for (i, x) in block.chunks_exact(1).enumerate() {
                reducer.fold_slice(&mut accs[acc_off + i * inner_s], x);
            }
        }
        data_off += block_len;
        // odometer over the outer dims
        let mut d = outer.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            index[d] += 1;
            acc_off += outer[d].1;
            if index[d] < outer[d].0 {
                break;
            }
            acc_off -= outer[d].1 * outer[d].0;
            index[d] = 0;
        }
    }
}

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
    fn meta(&self) -> &NodeMeta {
        &self.meta
    }
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
    fn as_any(&self) -> &dyn Any {
        self
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
    fn as_node(self: Arc<Self>) -> NodeRef {
        self
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

/// The shape facts an inline evaluator needs (so it does not borrow the node).
struct ReduceShape {
    axes: Vec<usize>,
    keepdims: bool,
    input_shape: Vec<usize>,
}

impl ReduceShape {
    fn keepdims_region(&self, region: &Region) -> Region {
        if self.keepdims {
            return *region;
        }
        let ndim = self.input_shape.len();
        let mut start = [0usize; MAX_NDIM];
        let mut shape = [1usize; MAX_NDIM];
        let mut k = 0;
        for axis in 0..ndim {
            if !self.axes.contains(&axis) {
                start[axis] = region.start[k];
                shape[axis] = region.shape[k];
                k += 1;
            }
        }
        Region::new(&start[..ndim], &shape[..ndim])
    }
}

/// Evaluates a reduction inside a fused chain: folds the input region under each output
/// tile, tile by tile.
struct InlineReduceEval<T: Element, R: Reducer<T>> {
    node: ReduceShape,
    reducer: R,
    input: Box<dyn Eval<T>>,
    input_scratch: Scratch<T>,
    accs: Vec<R::Acc>,
    tile_elems: usize,
    reduced: Vec<bool>,
}

impl<T: Element, R: Reducer<T>> Eval<R::Out> for InlineReduceEval<T, R> {
    fn eval(&mut self, region: &Region, out: &mut [R::Out]) {
        let reducer = &self.reducer;
        let target = self.node.keepdims_region(region);
        let mut input_region = target;
        for &axis in &self.node.axes {
            input_region.start[axis] = 0;
            input_region.shape[axis] = self.node.input_shape[axis];
        }
        self.accs.clear();
        self.accs.resize(target.size(), reducer.identity());
        for tile in input_region.tiles(self.tile_elems) {
            let buf = self.input_scratch.get(tile.size());
            self.input.eval(&tile, buf);
            accumulate_box(reducer, buf, &tile, &target, &self.reduced, &mut self.accs);
        }
        for (o, acc) in out.iter_mut().zip(&self.accs) {
            *o = reducer.finish(acc);
        }
    }
}

/// The stage face of a reduction node.
pub trait ReductionNode: Send + Sync {
    /// True when every reduced axis lies in one input chunk: the reduction fuses inline.
    fn is_blockwise(&self) -> bool;
    /// The stage that computes this reduction over all input blocks.
    fn stage<'a>(&'a self, ctx: &'a EvalContext, worker_scratch: u64) -> Box<dyn Stage + 'a>;
}

impl<T: Element, R: Reducer<T>> ReductionNode for ReduceExpr<T, R> {
    fn is_blockwise(&self) -> bool {
        let chunks = &self.input.meta().chunks;
        self.axes.iter().all(|&a| chunks.as_vecs()[a].len() <= 1)
    }

    fn stage<'a>(&'a self, ctx: &'a EvalContext, worker_scratch: u64) -> Box<dyn Stage + 'a> {
        let chunks = &self.input.meta().chunks;
        let numblocks = chunks.numblocks();
        let offsets = (0..numblocks.len()).map(|a| chunks.offsets(a)).collect();
        Box::new(ReduceStage {
            node: self,
            ctx,
            numblocks,
            offsets,
            worker_scratch,
            combiner: Mutex::new(Combiner::default()),
        })
    }
}

/// Runs a reduction: one task per input block, partials merged in a fixed tree.
struct ReduceStage<'a, T: Element, R: Reducer<T>> {
    node: &'a ReduceExpr<T, R>,
    ctx: &'a EvalContext,
    numblocks: Vec<usize>,
    offsets: Vec<Vec<usize>>,
    worker_scratch: u64,
    combiner: Mutex<Combiner<R::Acc>>,
}

/// Pending partial results, keyed by (output block, tree level, index in level).
struct Combiner<A> {
    pending: HashMap<(usize, u32, usize), Vec<A>>,
    finals: HashMap<usize, Vec<A>>,
    reservation: Option<Reservation>,
}

impl<A> Default for Combiner<A> {
    fn default() -> Self {
        Combiner {
            pending: HashMap::new(),
            finals: HashMap::new(),
            reservation: None,
        }
    }
}

impl<T: Element, R: Reducer<T>> ReduceStage<'_, T, R> {
    /// Block multi-index of task `index` (row-major over the block grid).
    fn block_index(&self, mut index: usize) -> [usize; MAX_NDIM] {
        let mut out = [0; MAX_NDIM];
        for axis in (0..self.numblocks.len()).rev() {
            out[axis] = index % self.numblocks[axis];
            index /= self.numblocks[axis];
        }
        out
    }

    fn block_region(&self, block: &[usize; MAX_NDIM]) -> Region {
        let ndim = self.numblocks.len();
        let mut start = [0; MAX_NDIM];
        let mut shape = [0; MAX_NDIM];
        for axis in 0..ndim {
            start[axis] = self.offsets[axis][block[axis]];
            shape[axis] = self.offsets[axis][block[axis] + 1] - start[axis];
        }
        Region::new(&start[..ndim], &shape[..ndim])
    }

    /// (output group, leaf index within the group, leaves per group)
    fn group_and_leaf(&self, block: &[usize; MAX_NDIM]) -> (usize, usize, usize) {
        let (mut group, mut leaf, mut leaves) = (0, 0, 1);
        for axis in 0..self.numblocks.len() {
            if self.node.axes.contains(&axis) {
                leaf = leaf * self.numblocks[axis] + block[axis];
                leaves *= self.numblocks[axis];
            } else {
                group = group * self.numblocks[axis] + block[axis];
            }
        }
        (group, leaf, leaves)
    }

    fn partial_target(&self, block_region: &Region) -> Region {
        let mut target = *block_region;
        for &axis in &self.node.axes {
            target.start[axis] = 0;
            target.shape[axis] = 1;
        }
        target
    }

    fn largest_partial(&self) -> usize {
        self.node
            .input
            .meta()
            .chunks
            .chunksize()
            .iter()
            .enumerate()
            .map(|(a, &c)| if self.node.axes.contains(&a) { 1 } else { c })
            .product()
    }

    /// Merges a partial into the tree; returns the bytes it now holds beyond before.
    fn submit(&self, group: usize, mut leaf: usize, leaves: usize, mut partial: Vec<R::Acc>) -> Result<()> {
        let reducer = &self.node.reducer;
        let bytes = (partial.len() * std::mem::size_of::<R::Acc>()) as u64;
        let mut level = 0u32;
        let mut width = leaves;
        loop {
            if width == 1 {
                let mut combiner = self.combiner.lock().unwrap_or_else(|e| e.into_inner());
                combiner.finals.insert(group, partial);
                if let Some(r) = combiner.reservation.as_mut() {
                    r.try_grow(bytes)?;
                }
                return Ok(());
            }
            let sibling = leaf ^ 1;
            if sibling >= width {
                // odd tail: promoted unchanged
            } else {
                let mut combiner = self.combiner.lock().unwrap_or_else(|e| e.into_inner());
                match combiner.pending.remove(&(group, level, sibling)) {
                    Some(other) => {
                        if let Some(r) = combiner.reservation.as_mut() {
                            r.shrink(bytes);
                        }
                        drop(combiner);
                        if sibling < leaf {
                            let mut left = other;
                            for (a, b) in left.iter_mut().zip(&partial) {
                                reducer.merge(a, b);
                            }
                            partial = left;
                        } else {
                            for (a, b) in partial.iter_mut().zip(&other) {
                                reducer.merge(a, b);
                            }
                        }
                    }
                    None => {
                        if let Some(r) = combiner.reservation.as_mut() {
                            r.try_grow(bytes)?;
                        }
                        combiner.pending.insert((group, level, leaf), partial);
                        return Ok(());
                    }
                }
            }
            leaf /= 2;
            width = width.div_ceil(2);
            level += 1;
        }
    }
}

impl<T: Element, R: Reducer<T>> Stage for ReduceStage<'_, T, R> {
    fn label(&self) -> String {
        self.node.meta.label.clone()
    }
    fn num_tasks(&self) -> usize {
        self.numblocks.iter().product()
    }
    fn task_shape(&self) -> Vec<usize> {
        self.node.input.meta().chunks.chunksize()
    }
    fn worker_bytes(&self) -> u64 {
        self.worker_scratch + (self.largest_partial() as u64) * ReduceExpr::<T, R>::acc_bytes()
    }
    fn stage_bytes(&self) -> u64 {
        let out: usize = self.node.meta.shape.iter().product();
        // the output, plus the final partials it is assembled from
        out as u64 * (std::mem::size_of::<R::Out>() as u64 + ReduceExpr::<T, R>::acc_bytes())
    }
    fn suggest_fit(&self, budget: u64) -> Option<String> {
        let per_elem = std::mem::size_of::<R::Out>() as u64 + ReduceExpr::<T, R>::acc_bytes();
        Some(format!(
            "the result has {} elements ({} bytes each with its partial state); keep it under {} elements by reducing more axes, or raise the memory limit",
            self.node.meta.shape.iter().product::<usize>(),
            per_elem,
            budget / per_elem.max(1)
        ))
    }
    fn prepare(&self, budget: &MemoryBudget) -> Result<()> {
        let mut combiner = self.combiner.lock().unwrap_or_else(|e| e.into_inner());
        combiner.reservation = Some(budget.consumer(format!("{} partials", self.label())).register());
        Ok(())
    }
    fn worker(&self) -> Box<dyn StageWorker + '_> {
        Box::new(ReduceWorker {
            stage: self,
            input: self.ctx.build(&self.node.input),
            scratch: Scratch::default(),
            reduced: self.node.reduced_mask(),
        })
    }
    fn finish(&self) -> Result<()> {
        let reducer = &self.node.reducer;
        let node = self.node;
        let in_shape = &node.input.meta().shape;
        let keep_shape: Vec<usize> = in_shape
            .iter()
            .enumerate()
            .map(|(a, &e)| if node.axes.contains(&a) { 1 } else { e })
            .collect();
        let mut out = ArrayD::<R::Out>::from_elem(IxDyn(&keep_shape), R::Out::default());
        let mut combiner = self.combiner.lock().unwrap_or_else(|e| e.into_inner());
        let finals = std::mem::take(&mut combiner.finals);
        let out_slice = out.as_slice_mut().expect("fresh arrays are contiguous");
        let grid_groups: Vec<usize> = (0..self.numblocks.len())
            .filter(|a| !node.axes.contains(a))
            .map(|a| self.numblocks[a])
            .collect();
        for (group, partial) in finals {
            // the group's block of the output
            let mut block = [0usize; MAX_NDIM];
            let mut g = group;
            let kept: Vec<usize> = (0..self.numblocks.len())
                .filter(|a| !node.axes.contains(a))
                .collect();
            for (k, &axis) in kept.iter().enumerate().rev() {
                block[axis] = g % grid_groups[k];
                g /= grid_groups[k];
            }
            let target = self.partial_target(&self.block_region(&block));
            let values: Vec<R::Out> = partial.iter().map(|a| reducer.finish(a)).collect();
            target.for_each_run(&keep_shape, |flat, offset, len| {
                out_slice[flat..flat + len].copy_from_slice(&values[offset..offset + len]);
            });
        }
        // empty inputs produce no blocks with data: every output element is the identity
        if self.num_tasks() == 0 {
            let identity = reducer.finish(&reducer.identity());
            out_slice.fill(identity);
        }
        let reservation = combiner.reservation.take();
        drop(combiner);
        let out = out
            .into_shape_with_order(IxDyn(&node.meta.shape))
            .expect("keep-dims shape and output shape have the same size");
        self.ctx.store(node.meta.id, out, reservation);
        Ok(())
    }
}

struct ReduceWorker<'s, 'a, T: Element, R: Reducer<T>> {
    stage: &'s ReduceStage<'a, T, R>,
    input: Box<dyn Eval<T>>,
    scratch: Scratch<T>,
    reduced: Vec<bool>,
}

impl<T: Element, R: Reducer<T>> StageWorker for ReduceWorker<'_, '_, T, R> {
    fn run(&mut self, index: usize) -> Result<()> {
        let reducer = &self.stage.node.reducer;
        let block = self.stage.block_index(index);
        let region = self.stage.block_region(&block);
        let target = self.stage.partial_target(&region);
        let mut accs = vec![reducer.identity(); target.size()];
        for tile in region.tiles(self.stage.ctx.tile_elems()) {
            let buf = self.scratch.get(tile.size());
            self.input.eval(&tile, buf);
            accumulate_box(reducer, buf, &tile, &target, &self.reduced, &mut accs);
        }
        let (group, leaf, leaves) = self.stage.group_and_leaf(&block);
        self.stage.submit(group, leaf, leaves, accs)
    }
}
