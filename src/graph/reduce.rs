//! Reductions over axes: the generic node, its fused in-tile evaluator and its stage.
//!
//! A reduction whose reduced axes each lie in one chunk is blockwise: it is evaluated
//! inline, tile by tile, inside whatever chain pulls it (the pi's `sum(axis=1)`).
//! Otherwise it becomes a stage: one task per input block folds the block into a partial
//! (tile by tile, through the fused evaluator of its input), and partials of the same
//! output block merge in a fixed pairwise tree ordered by block index, so the result does
//! not depend on which thread finished first.

use super::chunks::{BlockGrid, Chunks};
use super::eval::EvalContext;
use super::node::{Eval, Expr, ExprRef, Node, NodeId, NodeKind, NodeMeta, NodeRef, Scratch};
use super::region::{MAX_NDIM, Region};
use crate::dtype::Element;
use crate::exec::budget::{MemoryBudget, Reservation};
use crate::exec::error::Result;
use crate::exec::stage::{Stage, StageWorker};
use ndarray::{ArrayD, IxDyn};
use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet};
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

/// The layout of a tile against its target: the offset of its first state, and its
/// axes merged into (extent, state stride) dims, outermost first (extent-1 axes dropped).
fn box_layout(
    tile: &Region,
    target: &Region,
    reduced: &[bool],
) -> (usize, [(usize, usize); MAX_NDIM], usize) {
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
    (base, dims, n)
}

/// When a tile is whole rows of the reduced innermost axes over consecutive states, its
/// (first state, rows, row length); the fused row-sum path needs this shape.
fn rows_layout(tile: &Region, target: &Region, reduced: &[bool]) -> Option<(usize, usize, usize)> {
    let (base, dims, n) = box_layout(tile, target, reduced);
    match &dims[..n] {
        [(row, 0)] => Some((base, 1, *row)),
        [(rows, 1), (row, 0)] => Some((base, *rows, *row)),
        _ => None,
    }
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
    let (base, dims, n) = box_layout(tile, target, reduced);
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

impl<T: Element, R: Reducer<T>> InlineReduceEval<T, R> {
    /// The fused path: when every tile covers whole rows of the reduced axes (so each
    /// state is folded by exactly one tile) and the input folds rows without storing its
    /// values, store each tile's row folds straight into the states. False, with nothing
    /// written, when that does not apply.
    fn fold_fused(&mut self, input_region: &Region, target: &Region, accs: &mut [R::Acc]) -> bool {
        let tiles = input_region.tiles(self.tile_elems);
        let mut layouts = [(0usize, 0usize, 0usize); 4];
        let mut count = 0;
        for tile in tiles.clone() {
            let covers_rows = self
                .node
                .axes
                .iter()
                .all(|&a| tile.shape[a] == input_region.shape[a]);
            match rows_layout(&tile, target, &self.reduced) {
                Some(layout) if covers_rows && count < layouts.len() => {
                    layouts[count] = layout;
                    count += 1;
                }
                _ => return false,
            }
        }
        if count == 0 {
            // an empty input: the states keep their identity, set by the caller
            return false;
        }
        for (tile, &(base, rows, row)) in tiles.zip(&layouts[..count]) {
            let states = &mut accs[base..base + rows];
            if !self
                .reducer
                .fold_rows_from(self.input.as_mut(), &tile, states, row, true)
            {
                // support does not change between tiles of one evaluator: only the first
                // tile can get here, before anything was written
                debug_assert_eq!(base, 0);
                return false;
            }
        }
        true
    }
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
        if reducer.finish_is_identity() && TypeId::of::<R::Acc>() == TypeId::of::<R::Out>() {
            // SAFETY: `Acc` and `Out` are the same type (checked above), so the output
            // slice is a valid slice of states of the same length.
            let accs: &mut [R::Acc] = unsafe {
                std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<R::Acc>(), out.len())
            };
            if self.fold_fused(&input_region, &target, accs) {
                return;
            }
            let reducer = &self.reducer;
            accs.fill(reducer.identity());
            for tile in input_region.tiles(self.tile_elems) {
                let buf = self.input_scratch.get(tile.size());
                self.input.eval(&tile, buf);
                accumulate_box(reducer, buf, &tile, &target, &self.reduced, accs);
            }
            return;
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
        Err(crate::mpi::MpiError::Unsupported {
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
        Err(crate::mpi::MpiError::Unsupported {
            op: "this reduction".into(),
        }
        .into())
    }
}

#[cfg(feature = "mpi")]
mod exchange;

/// The partial state of one task.
struct Partial<A> {
    target: Region,
    accs: Vec<A>,
}

/// The owned facts a reduction needs to run as (part of) a stage.
struct RunState<T: Element, R: Reducer<T>> {
    reducer: R,
    id: NodeId,
    label: String,
    axes: Vec<usize>,
    reduced: Vec<bool>,
    out_shape: Vec<usize>,
    in_shape: Vec<usize>,
    chunksize: Vec<usize>,
    grid: BlockGrid,
    combiner: Mutex<Combiner<R::Acc>>,
    /// The order the stage hands blocks out in, when not block order.
    block_order: Option<Arc<Vec<usize>>>,
    _t: std::marker::PhantomData<fn() -> T>,
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
        let whole_blocks = super::node::reads_whole_blocks(&self.input.clone().as_node());
        let splits = match split_axis {
            Some(a) if !whole_blocks => block_elems.div_ceil(TASK_ELEMS).clamp(1, chunksize[a]),
            _ => 1,
        };
        // `x + x.T` over stored chunks: tasks (i, j) and (j, i) side by side read each once
        let block_order = whole_blocks
            .then(|| super::order::pairing_order(&self.input.clone().as_node(), chunks.clone()))
            .flatten()
            .map(Arc::new);
        if let Some(order) = &block_order {
            for run in &mut runs {
                run.set_block_order(order.clone());
            }
        }
        let prefetch = super::prefetch::BlockPrefetch::new(&self.input.clone().as_node(), chunks);
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

/// How long a stage waits for memory that other computations hold before it fails.
const RESERVE_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

/// Elements one reduction task folds at most (when its block can be cut along a reduced
/// axis): about 64 MB of float64.
pub const TASK_ELEMS: usize = 8 << 20;

/// Pending partial results, keyed by (output block, tree level, index in level).
struct Combiner<A> {
    pending: HashMap<(usize, u32, usize), Vec<A>>,
    finals: HashMap<usize, Vec<A>>,
    /// Bytes of the partials in `pending`.
    waiting_bytes: u64,
    /// Pays for the result, the finals and the waiting partials.
    reservation: Option<Reservation>,
}

impl<A> Default for Combiner<A> {
    fn default() -> Self {
        Combiner {
            pending: HashMap::new(),
            finals: HashMap::new(),
            waiting_bytes: 0,
            reservation: None,
        }
    }
}

impl<T: Element, R: Reducer<T>> RunState<T, R> {
    fn acc_bytes() -> u64 {
        std::mem::size_of::<R::Acc>() as u64
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Combiner<R::Acc>> {
        self.combiner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The keep-dims output region a block of the input folds into.
    fn partial_target(&self, block_region: &Region) -> Region {
        let mut target = *block_region;
        for &axis in &self.axes {
            target.start[axis] = 0;
            target.shape[axis] = 1;
        }
        target
    }

    /// (output group, leaf index within the group, leaves per group) of a block.
    fn group_and_leaf(&self, block: &[usize; MAX_NDIM]) -> (usize, usize, usize) {
        let (mut group, mut leaf, mut leaves) = (0, 0, 1);
        for (axis, (&count, &index)) in self.grid.numblocks().iter().zip(block).enumerate() {
            if self.axes.contains(&axis) {
                leaf = leaf * count + index;
                leaves *= count;
            } else {
                group = group * count + index;
            }
        }
        (group, leaf, leaves)
    }

    /// The most partials waiting at once when the blocks' parts finish in `order`
    /// (block numbers, each block's `splits` parts in turn): the merges of
    /// [`merge_up`](Self::merge_up) replayed without data.
    fn waiting_in_order(&self, order: &[usize], splits: usize) -> u64 {
        let mut waiting: HashSet<(usize, u32, usize)> = HashSet::new();
        let mut most = 0;
        for &number in order {
            let (group, leaf, leaves) = self.group_and_leaf(&self.grid.index(number));
            for part in 0..splits {
                let (mut level, mut node, mut width) =
                    (0u32, leaf * splits + part, leaves * splits);
                while width > 1 {
                    let sibling = node ^ 1;
                    if sibling < width && !waiting.remove(&(group, level, sibling)) {
                        waiting.insert((group, level, node));
                        break;
                    }
                    node /= 2;
                    width = width.div_ceil(2);
                    level += 1;
                }
                most = most.max(waiting.len());
            }
        }
        most as u64
    }

    /// Merges a partial into its group's tree: siblings merge as soon as both exist, the
    /// lower index always on the left, so the result is independent of timing.
    fn merge_up(
        &self,
        group: usize,
        leaf: usize,
        leaves: usize,
        partial: Vec<R::Acc>,
    ) -> Result<()> {
        self.merge_up_from(group, 0, leaf, leaves, partial)
    }

    /// [`merge_up`](Self::merge_up) of the node `leaf` of tree level `level`, which has
    /// `width` nodes.
    fn merge_up_from(
        &self,
        group: usize,
        mut level: u32,
        mut leaf: usize,
        mut width: usize,
        mut partial: Vec<R::Acc>,
    ) -> Result<()> {
        let reducer = &self.reducer;
        let bytes = partial.len() as u64 * Self::acc_bytes();
        loop {
            if width == 1 {
                self.lock().finals.insert(group, partial);
                return Ok(());
            }
            let sibling = leaf ^ 1;
            if sibling < width {
                let mut combiner = self.lock();
                match combiner.pending.remove(&(group, level, sibling)) {
                    Some(other) => {
                        combiner.waiting_bytes -= bytes;
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
                        combiner.waiting_bytes += bytes;
                        debug_assert!(
                            combiner.waiting_bytes
                                <= combiner.reservation.as_ref().map_or(u64::MAX, |r| r.size()),
                            "waiting partials stay within the stage's reservation"
                        );
                        combiner.pending.insert((group, level, leaf), partial);
                        return Ok(());
                    }
                }
            }
            // an odd last node moves up unchanged
            leaf /= 2;
            width = width.div_ceil(2);
            level += 1;
        }
    }
}

impl<T: Element, R: Reducer<T>> ReductionRun<T> for RunState<T, R> {
    fn label(&self) -> String {
        self.label.clone()
    }
    fn axes(&self) -> &[usize] {
        &self.axes
    }
    fn partial_bytes(&self) -> u64 {
        let elems: usize = self
            .chunksize
            .iter()
            .enumerate()
            .map(|(a, &c)| if self.axes.contains(&a) { 1 } else { c })
            .product();
        elems as u64 * Self::acc_bytes()
    }
    fn result_bytes(&self) -> u64 {
        let out: usize = self.out_shape.iter().product();
        out as u64 * (std::mem::size_of::<R::Out>() as u64 + Self::acc_bytes())
    }
    fn suggest_fit(&self, budget: u64) -> String {
        let per_elem = std::mem::size_of::<R::Out>() as u64 + Self::acc_bytes();
        let result_elems: usize = self.out_shape.iter().product();
        if self.result_bytes() + self.partial_bytes() > budget && self.result_bytes() <= budget / 2
        {
            // the result fits; one task's partial does not: smaller chunks on kept axes
            let allowed = ((budget / 2) / Self::acc_bytes().max(1)).max(1) as usize;
            let mut chunks = self.chunksize.clone();
            while chunks
                .iter()
                .enumerate()
                .filter(|(a, _)| !self.axes.contains(a))
                .map(|(_, &c)| c)
                .product::<usize>()
                > allowed
            {
                let widest = (0..chunks.len())
                    .filter(|a| !self.axes.contains(a))
                    .max_by_key(|&a| chunks[a])
                    .expect("a partial larger than one element has a kept axis");
                chunks[widest] = chunks[widest].div_ceil(2);
            }
            return format!(
                "each {} task folds a chunk into a partial of {} states; use chunks of at most {:?} so a partial fits, or raise the memory limit",
                self.label,
                self.partial_bytes() / Self::acc_bytes().max(1),
                chunks
            );
        }
        format!(
            "the {} result has {} elements ({} bytes each with its partial state); reduce more axes so it has at most {} elements, or raise the memory limit",
            self.label,
            result_elems,
            per_elem,
            budget / per_elem.max(1)
        )
    }
    fn held_bytes(&self, workers: usize, splits: usize) -> u64 {
        // Tasks are handed out in block order and siblings merge as soon as both exist.
        // Finished in order, a group's waiting partials are the 1-bits of the count of its
        // finished leaves: at most floor(log2(leaves)). Each other worker, finishing out of
        // order, can leave at most one more partial per tree level waiting.
        let numblocks = self.grid.numblocks();
        let groups: usize = (0..numblocks.len())
            .filter(|a| !self.axes.contains(a))
            .map(|a| numblocks[a])
            .product();
        let leaves: usize = self.axes.iter().map(|&a| numblocks[a]).product::<usize>() * splits;
        let log2_leaves = (usize::BITS - 1 - leaves.max(1).leading_zeros()) as u64;
        let in_order = match &self.block_order {
            // another order: count the most partials that wait at once, finished in it
            Some(order) => self.waiting_in_order(order, splits),
            None => groups as u64 * log2_leaves,
        };
        let out_of_order = workers.saturating_sub(1) as u64 * (log2_leaves + 1);
        let waiting = (in_order + out_of_order) * self.partial_bytes();
        self.result_bytes() + waiting
    }
    fn set_block_order(&mut self, order: Arc<Vec<usize>>) {
        self.block_order = Some(order);
    }
    fn prepare(&self, budget: &MemoryBudget, workers: usize, splits: usize) -> Result<()> {
        let mut reservation = budget
            .consumer(format!("{} partials", self.label))
            .register();
        reservation.grow_waiting(self.held_bytes(workers, splits), RESERVE_WAIT)?;
        self.lock().reservation = Some(reservation);
        Ok(())
    }
    fn start(&self, block: &Region) -> Box<dyn Any + Send> {
        let target = self.partial_target(block);
        Box::new(Partial {
            target,
            accs: vec![self.reducer.identity(); target.size()],
        })
    }
    fn fold(&self, partial: &mut (dyn Any + Send), data: &[T], tile: &Region) {
        let partial = partial
            .downcast_mut::<Partial<R::Acc>>()
            .expect("partials come from start()");
        accumulate_box(
            &self.reducer,
            data,
            tile,
            &partial.target,
            &self.reduced,
            &mut partial.accs,
        );
    }
    fn fold_from(
        &self,
        partial: &mut (dyn Any + Send),
        input: &mut dyn Eval<T>,
        tile: &Region,
    ) -> bool {
        let partial = partial
            .downcast_mut::<Partial<R::Acc>>()
            .expect("partials come from start()");
        match rows_layout(tile, &partial.target, &self.reduced) {
            Some((base, rows, row)) => {
                let states = &mut partial.accs[base..base + rows];
                self.reducer.fold_rows_from(input, tile, states, row, false)
            }
            None => false,
        }
    }
    fn submit(
        &self,
        partial: Box<dyn Any + Send>,
        block: &[usize; MAX_NDIM],
        part: usize,
        parts: usize,
    ) -> Result<()> {
        let partial = partial
            .downcast::<Partial<R::Acc>>()
            .expect("partials come from start()");
        let (group, leaf, leaves) = self.group_and_leaf(block);
        // a block cut into parts along a reduced axis is a run of consecutive leaves
        self.merge_up(group, leaf * parts + part, leaves * parts, partial.accs)
    }
    #[cfg(feature = "mpi")]
    fn prepare_exchange(&self, budget: &MemoryBudget, workers: usize, splits: usize) -> Result<()> {
        exchange::prepare(self, budget, workers, splits)
    }
    #[cfg(feature = "mpi")]
    fn export_partials(&self, out: &mut Vec<u8>) {
        exchange::export(self, out)
    }
    #[cfg(feature = "mpi")]
    fn import_partials(&self, bytes: &[u8], splits: usize) -> Result<usize> {
        exchange::import(self, bytes, splits)
    }
    fn finish(&self, ctx: &EvalContext) -> Result<()> {
        let reducer = &self.reducer;
        let keep_shape: Vec<usize> = self
            .in_shape
            .iter()
            .enumerate()
            .map(|(a, &e)| if self.axes.contains(&a) { 1 } else { e })
            .collect();
        let mut out =
            ArrayD::<R::Out>::from_elem(IxDyn(&keep_shape), reducer.finish(&reducer.identity()));
        let mut combiner = self.lock();
        let finals = std::mem::take(&mut combiner.finals);
        let mut reservation = combiner.reservation.take();
        drop(combiner);
        if let Some(r) = reservation.as_mut() {
            // only the stored result stays
            let keep = self.out_shape.iter().product::<usize>() as u64
                * std::mem::size_of::<R::Out>() as u64;
            r.shrink(r.size().saturating_sub(keep));
        }
        let out_slice = out.as_slice_mut().expect("fresh arrays are contiguous");
        let numblocks = self.grid.numblocks();
        let kept: Vec<usize> = (0..numblocks.len())
            .filter(|a| !self.axes.contains(a))
            .collect();
        for (group, partial) in finals {
            // the group's block index on the kept axes (reduced axes at block 0)
            let mut block = [0usize; MAX_NDIM];
            let mut g = group;
            for &axis in kept.iter().rev() {
                block[axis] = g % numblocks[axis];
                g /= numblocks[axis];
            }
            let mut target = Region::full(&keep_shape);
            for &axis in &kept {
                (target.start[axis], target.shape[axis]) = self.grid.span(axis, block[axis]);
            }
            let values: Vec<R::Out> = partial.iter().map(|a| reducer.finish(a)).collect();
            target.for_each_run(&keep_shape, |flat, offset, len| {
                out_slice[flat..flat + len].copy_from_slice(&values[offset..offset + len]);
            });
        }
        let out = out
            .into_shape_with_order(IxDyn(&self.out_shape))
            .expect("keep-dims shape and output shape have the same size");
        ctx.store(self.id, out, reservation);
        Ok(())
    }
}

/// Runs one or more reductions of the same input: one task per block part, each input
/// tile evaluated once and folded by every reduction.
struct ReduceStage<T: Element> {
    input: ExprRef<T>,
    ctx: Arc<EvalContext>,
    grid: BlockGrid,
    chunksize: Vec<usize>,
    worker_scratch: u64,
    /// Each block is cut into this many tasks along `split_axis` (reduced by every
    /// reduction of the stage), so a few huge chunks still spread over every thread; the
    /// count depends on the chunk shape alone, so results do not depend on the threads.
    splits: usize,
    split_axis: Option<usize>,
    /// The order blocks are handed out in, when not block order.
    block_order: Option<Arc<Vec<usize>>>,
    /// Read-ahead of the stored chunks the next blocks read.
    prefetch: Option<super::prefetch::BlockPrefetch>,
    runs: Vec<Box<dyn ReductionRun<T>>>,
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
/// every run of `runs`: for nodes other than [`ReduceExpr`] that implement
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
        prefetch: super::prefetch::BlockPrefetch::new(&input.clone().as_node(), chunks),
        input,
        ctx,
        worker_scratch,
        splits: 1,
        split_axis: None,
        block_order: None,
        runs,
    })
}
