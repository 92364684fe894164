//! The second pass of the out-of-core sort, done by whoever reads the sorted array: a
//! k-way merge of the sorted runs, one block per run in memory. A reader asked for
//! sorted positions `s..e` starts each run at the position the fences give for `s`,
//! merges, and drops what comes before `s`; a reader asked for the positions right after
//! the last ones it gave goes on merging without starting again, so a task pulling its
//! chunk tile by tile reads every block of the runs it covers once.
//!
//! Ties are broken by run, and runs are in input order, so the merge is stable: the
//! answer is NumPy's stable sort, the same bits whatever the runs.

use super::runs::SortedRuns;
use crate::dtype::Element;
use crate::graph::eval::ErrorSlot;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;
use std::sync::Arc;

/// Reads one block per run on demand.
struct RunReader<T: Element> {
    runs: Arc<SortedRuns<T>>,
    errors: ErrorSlot,
    /// Per run: its current block's values, their input indices (`argsort`), which
    /// block of the run that is.
    blocks: Vec<(Vec<T>, Vec<i64>, usize)>,
}

impl<T: Element> RunReader<T> {
    /// The value at position `p` of run `r`, and its input index when the runs keep
    /// them (0 otherwise).
    #[inline]
    fn value(&mut self, r: usize, p: usize) -> (T, i64) {
        let block = self.runs.layout.block;
        let (values, indices, held) = &mut self.blocks[r];
        let wanted = p / block;
        if *held != wanted {
            values.resize(block, T::default());
            let chunk = self.runs.layout.offsets[r] / block + wanted;
            if let Err(e) = self.runs.store.read_chunk(&[chunk], values) {
                self.errors.report(e.into());
            }
            if let Some(store) = &self.runs.indices {
                indices.resize(block, 0);
                if let Err(e) = store.read_chunk(&[chunk], indices) {
                    self.errors.report(e.into());
                }
            }
            *held = wanted;
        }
        let at = p % block;
        (values[at], indices.get(at).copied().unwrap_or(0))
    }
}

/// A k-way merge of the sorted runs from any sorted position.
pub(crate) struct MergeCursor<T: Element> {
    reader: RunReader<T>,
    /// Per run, the next position to merge.
    pos: Vec<usize>,
    /// `(key, run)` of each run's next value.
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    /// The sorted position of the next value merged; `usize::MAX` before any start.
    next: usize,
}

impl<T: Element> MergeCursor<T> {
    /// A cursor over `runs`; read failures go to `errors`.
    pub fn new(runs: Arc<SortedRuns<T>>, errors: ErrorSlot) -> Self {
        let k = runs.layout.runs.len();
        MergeCursor {
            reader: RunReader {
                runs,
                errors,
                blocks: (0..k)
                    .map(|_| (Vec::new(), Vec::new(), usize::MAX))
                    .collect(),
            },
            pos: vec![0; k],
            heap: BinaryHeap::with_capacity(k),
            next: usize::MAX,
        }
    }

    /// Merges the sorted values at positions `start..start + count` into `emit(i, value,
    /// input index)`, `i` from 0 (the index is 0 unless the runs keep indices).
    pub fn merge(&mut self, start: usize, count: usize, mut emit: impl FnMut(usize, T, i64)) {
        if self.next != start {
            self.restart(start);
        }
        let runs = self.reader.runs.clone();
        let layout = &runs.layout;
        for i in 0..count {
            let Some(mut top) = self.heap.peek_mut() else {
                // only if a start lay beyond the data: the caller's region was checked
                break;
            };
            let r = top.0.1 as usize;
            let p = self.pos[r];
            let (value, index) = self.reader.value(r, p);
            emit(i, value, index);
            self.pos[r] = p + 1;
            if p + 1 < layout.runs[r].len() {
                top.0 = (self.reader.value(r, p + 1).0.order_key(), r as u32);
                drop(top);
            } else {
                PeekMut::pop(top);
            }
        }
        self.next = start + count;
    }

    /// Starts each run where the fences allow for sorted position `start`, then merges
    /// and drops the values before it.
    fn restart(&mut self, start: usize) {
        let runs = self.reader.runs.clone();
        let starts = runs.starts(start);
        self.heap.clear();
        for (r, &p) in starts.iter().enumerate() {
            self.pos[r] = p;
            if p < runs.layout.runs[r].len() {
                let key = self.reader.value(r, p).0.order_key();
                self.heap.push(Reverse((key, r as u32)));
            }
        }
        let before: usize = starts.iter().sum();
        self.next = before;
        if start > before {
            self.merge(before, start - before, |_, _, _| {});
        }
    }
}
