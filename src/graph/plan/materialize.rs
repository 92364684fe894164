//! The output stage: writes a requested array's values into an `ndarray::ArrayD`, one task
//! per output chunk.

use crate::dtype::Element;
use crate::exec::error::Result;
use crate::exec::stage::{Stage, StageWorker};
use crate::graph::chunks::BlockGrid;
use crate::graph::eval::EvalContext;
use crate::graph::node::{Eval, ExprRef, Scratch};
use crate::memory::{MemoryBudget, Reservation};
use crate::util::size::format_bytes;
use ndarray::{ArrayD, IxDyn};
use std::sync::{Arc, Mutex};

/// How long a stage waits for memory that other computations hold before it fails.
const RESERVE_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

/// Writes an array's values into an `ArrayD`, one task per output chunk.
pub struct MaterializeStage<T: Element> {
    pub(super) root: ExprRef<T>,
    ctx: Arc<EvalContext>,
    scratch: u64,
    pub(super) grid: BlockGrid,
    /// The order blocks are computed in, when not block order (see `order.rs`).
    order: Option<Vec<usize>>,
    /// Read-ahead of the stored chunks the next blocks are computed from.
    prefetch: Option<crate::graph::prefetch::BlockPrefetch>,
    pub(super) out: Mutex<Option<(Vec<T>, Reservation)>>,
    out_ptr: SharedOut<T>,
}

/// A raw view of the output buffer that tasks write disjoint regions of.
struct SharedOut<T> {
    ptr: std::sync::atomic::AtomicPtr<T>,
    len: std::sync::atomic::AtomicUsize,
}

impl<T: Element> MaterializeStage<T> {
    pub(super) fn new(root: ExprRef<T>, ctx: Arc<EvalContext>, scratch: u64) -> Self {
        let grid = BlockGrid::new(&root.meta().chunks);
        let order =
            crate::graph::order::task_order(&root.clone().as_node(), root.meta().chunks.clone());
        let prefetch = crate::graph::prefetch::BlockPrefetch::new(
            &root.clone().as_node(),
            &root.meta().chunks,
        );
        MaterializeStage {
            prefetch,
            root,
            ctx,
            scratch,
            grid,
            order,
            out: Mutex::new(None),
            out_ptr: SharedOut {
                ptr: std::sync::atomic::AtomicPtr::new(std::ptr::null_mut()),
                len: std::sync::atomic::AtomicUsize::new(0),
            },
        }
    }

    fn size(&self) -> usize {
        self.root.meta().shape.iter().product()
    }

    /// The block number task `task` computes.
    pub(super) fn task_block(&self, task: usize) -> usize {
        self.order.as_ref().map_or(task, |o| o[task])
    }

    /// Takes the written values out (once, after the stage finished).
    pub(super) fn take_array(&self) -> ArrayD<T> {
        let shape = self.root.meta().shape.clone();
        let (data, _reservation) = self
            .out
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .expect("the output buffer is allocated in prepare and taken once");
        ArrayD::from_shape_vec(IxDyn(&shape), data).expect("buffer length equals the shape's size")
    }
}

impl<T: Element> Stage for Arc<MaterializeStage<T>> {
    fn label(&self) -> String {
        self.root.meta().label.clone()
    }
    fn num_tasks(&self) -> usize {
        if self.size() == 0 { 0 } else { self.grid.len() }
    }
    fn task_shape(&self) -> Vec<usize> {
        self.root.meta().chunks.chunksize()
    }
    fn worker_bytes(&self) -> u64 {
        self.scratch + (self.ctx.tile_elems() * std::mem::size_of::<T>()) as u64
    }
    fn work_bytes(&self) -> u64 {
        (self.size() * std::mem::size_of::<T>()) as u64
    }
    fn stage_bytes(&self, _workers: usize) -> u64 {
        (self.size() * std::mem::size_of::<T>()) as u64
    }
    fn suggest_fit(&self, budget: u64) -> Option<String> {
        if self.worker_bytes() > budget {
            return Some(format!(
                "one worker's tile buffers alone need {}; raise the memory limit to at least that",
                format_bytes(self.worker_bytes())
            ));
        }
        Some(format!(
            "the computed result alone takes {}; compute a reduction of it, or a smaller array, that fits in {}, or raise the memory limit",
            format_bytes(self.stage_bytes(1)),
            format_bytes(budget.saturating_sub(self.worker_bytes()))
        ))
    }
    fn prepare(&self, budget: &MemoryBudget, _workers: usize) -> Result<()> {
        let mut reservation = budget
            .consumer(format!("{} result", self.label()))
            .register();
        // another computation on the same client may hold memory for a while: wait for it
        reservation.grow_waiting(self.stage_bytes(1), RESERVE_WAIT)?;
        let mut data = vec![T::default(); self.size()];
        self.out_ptr
            .ptr
            .store(data.as_mut_ptr(), std::sync::atomic::Ordering::Release);
        self.out_ptr
            .len
            .store(data.len(), std::sync::atomic::Ordering::Release);
        *self.out.lock().unwrap_or_else(|e| e.into_inner()) = Some((data, reservation));
        Ok(())
    }
    fn worker(&self) -> Box<dyn StageWorker + '_> {
        Box::new(MaterializeWorker {
            stage: self,
            eval: self.ctx.build(&self.root),
            scratch: Scratch::default(),
        })
    }
    fn prefetch(&self, index: usize) {
        if let Some(prefetch) = &self.prefetch {
            prefetch.hint(self.task_block(index));
        }
    }
    fn finish(&self) -> Result<()> {
        Ok(())
    }
    #[cfg(feature = "mpi")]
    fn exchange(&self) -> Option<&dyn crate::exec::stage::Exchange> {
        Some(self)
    }
}

struct MaterializeWorker<'s, T: Element> {
    stage: &'s MaterializeStage<T>,
    eval: Box<dyn Eval<T>>,
    scratch: Scratch<T>,
}

impl<T: Element> StageWorker for MaterializeWorker<'_, T> {
    fn run(&mut self, index: usize) -> Result<()> {
        let index = self.stage.task_block(index);
        let region = self.stage.grid.region(&self.stage.grid.index(index));
        let shape = &self.stage.root.meta().shape;
        let ptr = self
            .stage
            .out_ptr
            .ptr
            .load(std::sync::atomic::Ordering::Acquire);
        let len = self
            .stage
            .out_ptr
            .len
            .load(std::sync::atomic::Ordering::Acquire);
        for tile in region.tiles(self.stage.ctx.tile_elems()) {
            let buf = self.scratch.get(tile.size());
            self.eval.eval(&tile, buf);
            tile.for_each_run(shape, |flat, offset, run| {
                assert!(flat + run <= len, "run inside the output buffer");
                // SAFETY: the buffer lives in `stage.out` until `take_array`, after every
                // task ended; tasks cover disjoint chunk blocks, so no two threads write the
                // same element and nobody reads the buffer while tasks run.
                let dst = unsafe { std::slice::from_raw_parts_mut(ptr.add(flat), run) };
                dst.copy_from_slice(&buf[offset..offset + run]);
            });
        }
        self.stage.ctx.errors().check()
    }
}
