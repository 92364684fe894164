//! The first pass of the out-of-core sort: one task per run sorts its range of the input
//! in memory (a stable radix sort by [`Element::order_key`]), keeps every
//! `fence_every`-th key as a fence, and writes the sorted run in blocks to an intermediate
//! store, which holds them in memory under the budget and spills them when memory runs
//! short. When every run is in, the fences are merged into one index, and readers of the
//! sort find the runs and the index in the computation's context.

use super::layout::SortLayout;
use crate::dtype::Element;
use crate::exec::error::{ExecError, Result};
use crate::exec::stage::{Stage, StageWorker};
use crate::graph::eval::EvalContext;
use crate::graph::intermediate::intermediate_store;
use crate::graph::node::{Eval, ExprRef, NodeId};
use crate::graph::region::Region;
use crate::kernels::sort::radix_sort_by_key;
use crate::memory::{MemoryBudget, Reservation};
use crate::store::ChunkStore;
use crate::util::size::format_bytes;
use std::sync::{Arc, Mutex, OnceLock};

/// The sorted runs of one sort in one computation, and the index to start merging from.
pub(crate) struct SortedRuns<T: Element> {
    pub layout: SortLayout,
    pub store: Arc<dyn ChunkStore<T>>,
    /// The input index of each stored value, block for block (`argsort`).
    pub indices: Option<Arc<dyn ChunkStore<i64>>>,
    /// Per run, the keys at positions `0, f, 2f, ...` of the sorted run.
    fences: Vec<Vec<u64>>,
    /// Every fence as `(key, run, index in its run's fences)`, in sort order.
    merged: Vec<(u64, u32, u32)>,
    /// The budget's share for the fences, given back when the computation ends.
    _reservation: Reservation,
}

impl<T: Element> SortedRuns<T> {
    /// Per run, a position from which merging toward sorted position `target` may start:
    /// every element before it has a smaller sorted position than `target`, and the
    /// positions sum to at most `target`. Found from the fences alone (no reads): the
    /// starts are at most one fence interval per run before the exact cut.
    pub fn starts(&self, target: usize) -> Vec<usize> {
        let f = self.layout.fence_every;
        let runs = &self.layout.runs;
        // fences of run `r` before the pivot fence `(key, q, j)` in sort order
        let before = |r: usize, key: u64, q: usize, j: usize| -> usize {
            if r == q {
                j
            } else if r < q {
                self.fences[r].partition_point(|&x| x <= key)
            } else {
                self.fences[r].partition_point(|&x| x < key)
            }
        };
        // at most this many elements sort before the pivot
        let at_most_before = |&(key, q, j): &(u64, u32, u32)| -> usize {
            (0..runs.len())
                .map(|r| (before(r, key, q as usize, j as usize) * f).min(runs[r].len()))
                .sum()
        };
        let fitting = self
            .merged
            .partition_point(|pivot| at_most_before(pivot) <= target);
        let Some(&(key, q, j)) = fitting.checked_sub(1).map(|i| &self.merged[i]) else {
            return vec![0; runs.len()];
        };
        (0..runs.len())
            .map(|r| {
                let m = before(r, key, q as usize, j as usize);
                if r == q as usize {
                    m * f
                } else {
                    m.saturating_sub(1) * f
                }
            })
            .collect()
    }
}

/// The stage that sorts the runs.
pub(crate) struct RunStage<T: Element> {
    label: String,
    input: ExprRef<T>,
    layout: SortLayout,
    ctx: Arc<EvalContext>,
    /// The sort node: where the runs are published in the context.
    reader: NodeId,
    input_scratch: u64,
    store: OnceLock<Arc<dyn ChunkStore<T>>>,
    indices: OnceLock<Arc<dyn ChunkStore<i64>>>,
    fences: Mutex<Vec<Vec<u64>>>,
    reservation: Mutex<Option<Reservation>>,
}

impl<T: Element> RunStage<T> {
    pub fn new(
        label: String,
        input: ExprRef<T>,
        layout: SortLayout,
        ctx: Arc<EvalContext>,
        reader: NodeId,
        input_scratch: u64,
    ) -> Self {
        let runs = layout.runs.len();
        RunStage {
            label,
            input,
            layout,
            ctx,
            reader,
            input_scratch,
            store: OnceLock::new(),
            indices: OnceLock::new(),
            fences: Mutex::new(vec![Vec::new(); runs]),
            reservation: Mutex::new(None),
        }
    }
}

impl<T: Element> Stage for RunStage<T> {
    fn label(&self) -> String {
        self.label.clone()
    }
    fn num_tasks(&self) -> usize {
        self.layout.runs.len()
    }
    fn task_shape(&self) -> Vec<usize> {
        vec![self.layout.max_run()]
    }
    fn worker_bytes(&self) -> u64 {
        self.layout.run_worker_bytes()
            + self.input_scratch
            + (self.ctx.tile_elems() * std::mem::size_of::<T>()) as u64
    }
    fn stage_bytes(&self, _workers: usize) -> u64 {
        self.layout.fence_bytes()
    }
    fn work_bytes(&self) -> u64 {
        (self.layout.n * std::mem::size_of::<T>()) as u64
    }
    fn suggest_fit(&self, budget: u64) -> Option<String> {
        Some(format!(
            "sorting runs of {} elements needs {} per thread; raise the memory limit above {} or use fewer threads",
            self.layout.max_run(),
            format_bytes(self.worker_bytes()),
            format_bytes(budget)
        ))
    }
    fn prepare(&self, budget: &MemoryBudget, _workers: usize) -> Result<()> {
        let mut reservation = budget.consumer(format!("{} fences", self.label)).register();
        reservation.grow_waiting(
            self.layout.fence_bytes(),
            std::time::Duration::from_secs(600),
        )?;
        *self.reservation.lock().unwrap_or_else(|e| e.into_inner()) = Some(reservation);
        let (store, meter) = intermediate_store::<T>(
            budget,
            &self.ctx.spill_settings(),
            &[self.layout.store_len().max(1)],
            &[self.layout.block],
            &self.label,
        )?;
        self.ctx.add_late_meter(meter);
        let _ = self.store.set(store);
        if self.layout.with_indices {
            let (indices, meter) = intermediate_store::<i64>(
                budget,
                &self.ctx.spill_settings(),
                &[self.layout.store_len().max(1)],
                &[self.layout.block],
                &format!("{} indices", self.label),
            )?;
            self.ctx.add_late_meter(meter);
            let _ = self.indices.set(indices);
        }
        Ok(())
    }
    fn worker(&self) -> Box<dyn StageWorker + '_> {
        Box::new(RunWorker {
            stage: self,
            input: self.ctx.build(&self.input),
            run: Vec::new(),
            scratch: Vec::new(),
            pairs: Vec::new(),
            pair_scratch: Vec::new(),
            block_values: Vec::new(),
            block_indices: Vec::new(),
        })
    }
    fn finish(&self) -> Result<()> {
        let fences = std::mem::take(&mut *self.fences.lock().unwrap_or_else(|e| e.into_inner()));
        let mut merged: Vec<(u64, u32, u32)> = Vec::with_capacity(self.layout.total_fences());
        for (r, keys) in fences.iter().enumerate() {
            merged.extend(
                keys.iter()
                    .enumerate()
                    .map(|(j, &k)| (k, r as u32, j as u32)),
            );
        }
        merged.sort_unstable();
        let reservation = self
            .reservation
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| internal("the sort's fences were never reserved"))?;
        let store = self
            .store
            .get()
            .cloned()
            .ok_or_else(|| internal("the sort's run store was never made"))?;
        let runs = SortedRuns {
            layout: self.layout.clone(),
            store,
            indices: self.indices.get().cloned(),
            fences,
            merged,
            _reservation: reservation,
        };
        self.ctx.set_staged_state(self.reader, Arc::new(runs));
        Ok(())
    }
}

fn internal(message: &str) -> ExecError {
    ExecError::Op(crate::exec::error::OpError::new(std::io::Error::other(
        message.to_string(),
    )))
}

struct RunWorker<'a, T: Element> {
    stage: &'a RunStage<T>,
    input: Box<dyn Eval<T>>,
    /// `sort`: the run and its radix scratch.
    run: Vec<T>,
    scratch: Vec<T>,
    /// `argsort`: the run as `(value, input index)` pairs and their radix scratch.
    pairs: Vec<(T, i64)>,
    pair_scratch: Vec<(T, i64)>,
    /// One block of values and of indices being written (a padded last block).
    block_values: Vec<T>,
    block_indices: Vec<i64>,
}

impl<T: Element> RunWorker<'_, T> {
    /// Evaluates the input over `range` into `self.run`, tile by tile.
    fn evaluate(&mut self, range: std::ops::Range<usize>) -> Result<()> {
        let len = range.len();
        self.run.resize(len, T::default());
        let tile = self.stage.ctx.tile_elems().max(1);
        for a in (0..len).step_by(tile) {
            let b = (a + tile).min(len);
            let region = Region::new(&[range.start + a], &[b - a]);
            self.input.eval(&region, &mut self.run[a..b]);
        }
        self.stage.ctx.errors().check()
    }

    /// Writes block `b` of a sorted run whose first block is `first`: `values` (and
    /// `indices` for `argsort`), padded to a whole block.
    fn write_block(&mut self, block: usize, values: &[T], indices: Option<&[i64]>) -> Result<()> {
        let stage = self.stage;
        let full = stage.layout.block;
        let store = stage
            .store
            .get()
            .ok_or_else(|| internal("the sort's run store was never made"))?;
        if values.len() == full {
            store.write_chunk(&[block], values)?;
        } else {
            self.block_values.clear();
            self.block_values.extend_from_slice(values);
            self.block_values.resize(full, T::default());
            store.write_chunk(&[block], &self.block_values)?;
        }
        if let Some(indices) = indices {
            let store = stage
                .indices
                .get()
                .ok_or_else(|| internal("the argsort's index store was never made"))?;
            self.block_indices.clear();
            self.block_indices.extend_from_slice(indices);
            self.block_indices.resize(full, 0);
            store.write_chunk(&[block], &self.block_indices)?;
        }
        Ok(())
    }
}

impl<T: Element> StageWorker for RunWorker<'_, T> {
    fn run(&mut self, index: usize) -> Result<()> {
        let stage = self.stage;
        let layout = &stage.layout;
        let range = layout.runs[index].clone();
        let len = range.len();
        let block = layout.block;
        let first = layout.offsets[index] / block;
        let every = layout.fence_every;
        let key_bytes = std::mem::size_of::<T>();
        if !layout.with_indices {
            self.evaluate(range)?;
            self.scratch.resize(len, T::default());
            radix_sort_by_key(&mut self.run, &mut self.scratch, key_bytes, T::order_key);
            let keys: Vec<u64> = self
                .run
                .iter()
                .step_by(every)
                .map(|v| v.order_key())
                .collect();
            stage.fences.lock().unwrap_or_else(|e| e.into_inner())[index] = keys;
            let run = std::mem::take(&mut self.run);
            let written = (0..len.div_ceil(block)).try_for_each(|b| {
                let values = &run[b * block..((b + 1) * block).min(len)];
                self.write_block(first + b, values, None)
            });
            self.run = run;
            return written;
        }
        // argsort: sort (value, input index) pairs, evaluated a tile at a time
        self.pairs.clear();
        let tile = stage.ctx.tile_elems().max(1);
        for a in (range.start..range.end).step_by(tile) {
            let b = (a + tile).min(range.end);
            self.evaluate(a..b)?;
            self.pairs.extend(
                self.run
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| (v, (a + i) as i64)),
            );
        }
        self.pair_scratch.resize(len, (T::default(), 0));
        radix_sort_by_key(&mut self.pairs, &mut self.pair_scratch, key_bytes, |p| {
            p.0.order_key()
        });
        let keys: Vec<u64> = self
            .pairs
            .iter()
            .step_by(every)
            .map(|p| p.0.order_key())
            .collect();
        stage.fences.lock().unwrap_or_else(|e| e.into_inner())[index] = keys;
        let pairs = std::mem::take(&mut self.pairs);
        let mut values = Vec::new();
        let mut indices = Vec::new();
        let written = (0..len.div_ceil(block)).try_for_each(|b| {
            let part = &pairs[b * block..((b + 1) * block).min(len)];
            values.clear();
            indices.clear();
            values.extend(part.iter().map(|p| p.0));
            indices.extend(part.iter().map(|p| p.1));
            self.write_block(first + b, &values, Some(&indices))
        });
        self.pairs = pairs;
        written
    }
}
