//! How an out-of-core sort cuts its work to fit the memory budget: the runs (input ranges
//! sorted in memory, one task each), the blocks the sorted runs are stored and read back
//! in, and how often a run keeps a fence (a sampled key that lets a reader start merging
//! anywhere without reading the runs first).
//!
//! Sizes follow from the budget and the thread count, never from the data, and the sorted
//! result does not depend on them: a stable sort has one answer.

use std::ops::Range;

/// Bytes one fence costs: its key in its run's list and in the merged index.
pub(crate) const FENCE_BYTES: u64 = 24;

/// The smallest block a sorted run is stored in, in elements.
const MIN_BLOCK: usize = 512;
/// The largest block, in elements (1 MiB of `f64`).
const MAX_BLOCK: usize = 1 << 17;
/// The most blocks a sort's run store is cut into (while blocks stay under `MAX_BLOCK`).
const MAX_BLOCKS: usize = 1 << 15;
/// The smallest run, in elements.
const MIN_RUN: usize = 4096;

/// The cut of one sort: runs, blocks and fences.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SortLayout {
    /// Elements sorted.
    pub n: usize,
    /// The input range each run sorts, in order (runs never cross an input chunk).
    pub runs: Vec<Range<usize>>,
    /// Where each run starts in the run store (a multiple of `block`).
    pub offsets: Vec<usize>,
    /// Elements per block of the run store.
    pub block: usize,
    /// A run keeps the key at every `fence_every`-th position.
    pub fence_every: usize,
    /// Bytes per element.
    pub item: usize,
    /// Whether runs keep each value's input index beside it (`argsort`).
    pub with_indices: bool,
    /// Bytes per element while a run is sorted: the value, or the value and its index.
    pub sort_item: usize,
}

impl SortLayout {
    /// The layout for `n` elements of `item` bytes in input chunks of `chunk_lengths`,
    /// sorted under a budget of `budget` bytes by `threads` threads, keeping each
    /// value's input index when `with_indices` (then a run sorts `(value, index)` pairs of
    /// `pair_item` bytes): each run worker
    /// holds a run and its radix scratch within half the budget, each merging
    /// reader one block per run within a quarter (blocks are larger when the array would
    /// need more than `MAX_BLOCKS` of them), the fences a thirty-second.
    pub fn new(
        n: usize,
        chunk_lengths: &[usize],
        (item, with_indices, pair_item): (usize, bool, usize),
        budget: u64,
        threads: usize,
    ) -> SortLayout {
        let threads = threads.max(1) as u64;
        let item = item.max(1);
        let sort_item = if with_indices {
            pair_item.max(item + 8)
        } else {
            item
        };
        let stored_item = if with_indices { item + 8 } else { item };
        let run_target = ((budget / (2 * threads * 2 * sort_item as u64)) as usize).max(MIN_RUN);
        // consecutive small chunks share a run; a chunk larger than a run is cut into
        // near-equal parts, so runs never straddle a chunk boundary they do not have to
        let mut runs: Vec<Range<usize>> = Vec::new();
        let mut start = 0;
        for &len in chunk_lengths {
            match runs.last_mut() {
                Some(last) if last.end == start && last.len() + len <= run_target => {
                    last.end += len;
                }
                _ => {
                    let parts = len.div_ceil(run_target).max(1);
                    for p in 0..parts {
                        let a = start + len * p / parts;
                        let b = start + len * (p + 1) / parts;
                        if b > a {
                            runs.push(a..b);
                        }
                    }
                }
            }
            start += len;
        }
        let k = runs.len().max(1) as u64;
        // at most MAX_BLOCKS blocks in all: the run store keeps a few hundred bytes of
        // bookkeeping per block outside the budget
        let block = ((budget / (4 * threads * k * stored_item as u64)) as usize)
            .max(n.div_ceil(MAX_BLOCKS))
            .clamp(MIN_BLOCK, MAX_BLOCK)
            .min(runs.iter().map(|r| r.len()).max().unwrap_or(1).max(1));
        let mut offsets = Vec::with_capacity(runs.len());
        let mut at = 0;
        for run in &runs {
            offsets.push(at);
            at += run.len().div_ceil(block) * block;
        }
        let fence_every = ((n as u64 * FENCE_BYTES * 32).div_ceil(budget.max(1)) as usize).max(64);
        SortLayout {
            n,
            runs,
            offsets,
            block,
            fence_every,
            item,
            with_indices,
            sort_item,
        }
    }

    /// Elements of the run store (each run padded to whole blocks).
    pub fn store_len(&self) -> usize {
        match (self.runs.last(), self.offsets.last()) {
            (Some(run), Some(&at)) => at + run.len().div_ceil(self.block) * self.block,
            _ => 0,
        }
    }

    /// The longest run, in elements.
    pub fn max_run(&self) -> usize {
        self.runs.iter().map(|r| r.len()).max().unwrap_or(0)
    }

    /// Bytes per element stored: the value, and its index for `argsort`.
    pub fn stored_item(&self) -> usize {
        self.item + if self.with_indices { 8 } else { 0 }
    }

    /// Bytes a run worker holds: the run and its radix scratch, one block of values and
    /// of indices being written and its padded copy.
    pub fn run_worker_bytes(&self) -> u64 {
        (2 * self.max_run() * self.sort_item + 2 * self.block * self.stored_item()) as u64
    }

    /// Bytes a merging reader holds: one block per run and its merge heap.
    pub fn reader_bytes(&self) -> u64 {
        (self.runs.len() * (self.block * self.stored_item() + 16)) as u64
    }

    /// Fences every run keeps in all.
    pub fn total_fences(&self) -> usize {
        self.runs
            .iter()
            .map(|r| r.len().div_ceil(self.fence_every))
            .sum()
    }

    /// Bytes the fences take (held from the runs' stage to the computation's end).
    pub fn fence_bytes(&self) -> u64 {
        self.total_fences() as u64 * FENCE_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_cover_the_input_in_order_inside_chunks() {
        // runs of at most 4096 elements: each 10000-element chunk is cut in three
        let layout = SortLayout::new(30_000, &[10_000; 3], (8, false, 16), 200_000, 2);
        let mut at = 0;
        for run in &layout.runs {
            assert_eq!(run.start, at);
            at = run.end;
        }
        assert_eq!(at, 30_000);
        assert_eq!(layout.runs.len(), 9);
        let straddles = |r: &Range<usize>, cut: usize| r.start < cut && r.end > cut;
        assert!(
            !layout
                .runs
                .iter()
                .any(|r| straddles(r, 10_000) || straddles(r, 20_000))
        );
        // chunks of one element share runs
        let tiny = SortLayout::new(1000, &[1; 1000], (8, false, 16), 200_000, 2);
        assert!(tiny.runs.len() < 10, "{:?}", tiny.runs.len());
        assert!(layout.offsets.iter().all(|o| o % layout.block == 0));
        assert!(layout.store_len() >= 30_000);
    }

    #[test]
    fn a_small_budget_gives_more_and_smaller_runs() {
        let big = SortLayout::new(1 << 24, &[1 << 24], (8, true, 16), 1 << 30, 2);
        let small = SortLayout::new(1 << 24, &[1 << 24], (8, true, 16), 64 << 20, 2);
        assert!(small.runs.len() > big.runs.len());
        assert!(2 * small.run_worker_bytes() <= 64 << 20);
        assert!(2 * small.reader_bytes() <= 64 << 20);
        assert!(small.fence_bytes() <= (64 << 20) / 16);
    }
}
