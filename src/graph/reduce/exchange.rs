//! Reduction partials between MPI ranks (feature `mpi`).
//!
//! A rank that ran a contiguous range of a reduction stage's tasks merged their partials
//! in its own copy of the fixed merge trees as far as they go; what is left waiting are
//! whole nodes of the global trees. Those nodes travel as (group, level, index, states);
//! the importer puts each node in at its level, where it merges with its sibling exactly
//! as it would have in one process, so the result is bit-identical whatever the split.

use super::{ReduceStage, Reducer, RunState};
use crate::dtype::Element;
use crate::exec::error::Result;
use crate::exec::stage::Exchange;
use crate::memory::MemoryBudget;
use crate::util::wire::{Reader, WireError, put_u64, state_bytes_of, states_from};

/// A merge-tree node on its way out: (group, level, index, is_final, states).
type Node<A> = (usize, u32, usize, bool, Vec<A>);

/// (groups, log2 of the leaves per group) of a stage whose blocks are cut in `splits`.
fn tree_size<T: Element, R: Reducer<T>>(run: &RunState<T, R>, splits: usize) -> (u64, u64) {
    let numblocks = run.grid.numblocks();
    let groups: usize = (0..numblocks.len())
        .filter(|a| !run.axes.contains(a))
        .map(|a| numblocks[a])
        .product();
    let leaves: usize = run.axes.iter().map(|&a| numblocks[a]).product::<usize>() * splits;
    let log2 = (usize::BITS - 1 - leaves.max(1).leading_zeros()) as u64;
    (groups as u64, log2)
}

/// Reserves what the run holds here plus what imports add: a rank's range leaves at most
/// two nodes per tree level waiting in each group, and imports in rank order keep the
/// waiting nodes those of a prefix of leaves.
pub(super) fn prepare<T: Element, R: Reducer<T>>(
    run: &RunState<T, R>,
    budget: &MemoryBudget,
    workers: usize,
    splits: usize,
) -> Result<()> {
    use super::ReductionRun;
    let (groups, log2) = tree_size(run, splits);
    let extra = groups * (log2 + 2) * run.partial_bytes();
    let mut reservation = budget
        .consumer(format!("{} partials", run.label))
        .register();
    // what one process would hold, waiting as it would for other computations' memory
    reservation.grow_waiting(run.held_bytes(workers, splits), super::RESERVE_WAIT)?;
    // the extra nodes of uneven ranges: refused at once rather than waited for
    reservation.try_grow(extra)?;
    run.lock().reservation = Some(reservation);
    Ok(())
}

/// Appends every waiting and finished node: `count`, then per node `group, level, index,
/// is_final, states` and the states' bytes.
pub(super) fn export<T: Element, R: Reducer<T>>(run: &RunState<T, R>, out: &mut Vec<u8>) {
    let mut combiner = run.lock();
    let mut nodes: Vec<Node<R::Acc>> = combiner
        .pending
        .drain()
        .map(|((group, level, index), accs)| (group, level, index, false, accs))
        .collect();
    nodes.extend(
        combiner
            .finals
            .drain()
            .map(|(group, accs)| (group, u32::MAX, 0, true, accs)),
    );
    combiner.waiting_bytes = 0;
    drop(combiner);
    // in leaf order within each group, so that imports grow prefixes of the trees
    nodes.sort_by_key(|&(group, level, index, _, _)| {
        let first_leaf = if level == u32::MAX { 0 } else { index << level };
        (group, first_leaf)
    });
    put_u64(out, nodes.len() as u64);
    for (group, level, index, is_final, accs) in nodes {
        put_u64(out, group as u64);
        put_u64(out, u64::from(level));
        put_u64(out, index as u64);
        put_u64(out, u64::from(is_final));
        put_u64(out, accs.len() as u64);
        out.extend_from_slice(state_bytes_of(&accs));
    }
}

/// Merges the nodes [`export`] wrote at the start of `bytes`; returns the bytes read.
pub(super) fn import<T: Element, R: Reducer<T>>(
    run: &RunState<T, R>,
    bytes: &[u8],
    splits: usize,
) -> Result<usize> {
    let numblocks = run.grid.numblocks();
    let leaves: usize = run.axes.iter().map(|&a| numblocks[a]).product::<usize>() * splits;
    let mut reader = Reader::new(bytes, "reduction partials");
    let count = reader.u64()?;
    for _ in 0..count {
        let group = reader.usize()?;
        let level = reader.u64()?;
        let index = reader.usize()?;
        let is_final = reader.u64()? == 1;
        let len = reader.usize()?;
        let raw = reader.take(len.saturating_mul(std::mem::size_of::<R::Acc>()))?;
        let accs = states_from(raw, run.reducer.identity());
        if is_final {
            run.lock().finals.insert(group, accs);
            continue;
        }
        let level = u32::try_from(level).map_err(|_| reader.corrupt())?;
        let mut width = leaves;
        for _ in 0..level {
            width = width.div_ceil(2);
        }
        if index >= width {
            return Err(reader.corrupt().into());
        }
        run.merge_up_from(group, level, index, width, accs)?;
    }
    Ok(reader.position())
}

impl<T: Element> Exchange for ReduceStage<T> {
    fn prepare(&self, budget: &MemoryBudget, workers: usize) -> Result<()> {
        for run in &self.runs {
            run.prepare_exchange(budget, workers, self.splits)?;
        }
        Ok(())
    }
    fn export(&self, _tasks: std::ops::Range<usize>) -> Vec<u8> {
        let mut out = Vec::new();
        for run in &self.runs {
            run.export_partials(&mut out);
        }
        out
    }
    fn import(&self, _tasks: std::ops::Range<usize>, bytes: &[u8]) -> Result<()> {
        let mut offset = 0;
        for run in &self.runs {
            offset += run.import_partials(&bytes[offset..], self.splits)?;
        }
        if offset != bytes.len() {
            return Err(WireError::Corrupt {
                what: "reduction partials".into(),
                detail: format!("{} bytes left over", bytes.len() - offset),
            }
            .into());
        }
        Ok(())
    }
}
