//! One reduction's share of a stage ([`RunState`]): the partials of its tasks, their fixed
//! pairwise merge tree, the memory it holds, and the assembled result.

use super::layout::{accumulate_box, rows_layout};
use super::{Reducer, ReductionRun};
use crate::dtype::Element;
use crate::exec::error::Result;
use crate::graph::chunks::BlockGrid;
use crate::graph::eval::EvalContext;
use crate::graph::node::{Eval, NodeId};
use crate::graph::region::{MAX_NDIM, Region};
use crate::memory::{MemoryBudget, Reservation};
use ndarray::{ArrayD, IxDyn};
use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// The partial state of one task.
struct Partial<A> {
    target: Region,
    accs: Vec<A>,
}

/// The owned facts a reduction needs to run as (part of) a stage.
pub(super) struct RunState<T: Element, R: Reducer<T>> {
    pub(super) reducer: R,
    pub(super) id: NodeId,
    pub(super) label: String,
    pub(super) axes: Vec<usize>,
    pub(super) reduced: Vec<bool>,
    pub(super) out_shape: Vec<usize>,
    pub(super) in_shape: Vec<usize>,
    pub(super) chunksize: Vec<usize>,
    pub(super) grid: BlockGrid,
    pub(super) combiner: Mutex<Combiner<R::Acc>>,
    /// The order the stage hands blocks out in, when not block order.
    pub(super) block_order: Option<Arc<Vec<usize>>>,
    pub(super) _t: std::marker::PhantomData<fn() -> T>,
}

/// How long a stage waits for memory that other computations hold before it fails.
pub(super) const RESERVE_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

/// Pending partial results, keyed by (output block, tree level, index in level).
pub(super) struct Combiner<A> {
    pub(super) pending: HashMap<(usize, u32, usize), Vec<A>>,
    pub(super) finals: HashMap<usize, Vec<A>>,
    /// Bytes of the partials in `pending`.
    pub(super) waiting_bytes: u64,
    /// Pays for the result, the finals and the waiting partials.
    pub(super) reservation: Option<Reservation>,
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

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Combiner<R::Acc>> {
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
    pub(super) fn merge_up_from(
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
        super::exchange::prepare(self, budget, workers, splits)
    }
    #[cfg(feature = "mpi")]
    fn export_partials(&self, out: &mut Vec<u8>) {
        super::exchange::export(self, out)
    }
    #[cfg(feature = "mpi")]
    fn import_partials(&self, bytes: &[u8], splits: usize) -> Result<usize> {
        super::exchange::import(self, bytes, splits)
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
