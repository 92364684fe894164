//! The stage that writes an array into a [`ChunkStore`], one task per store chunk.
//!
//! Each worker evaluates its chunk tile by tile into one reused buffer (fresh pages are
//! slow to touch on these machines) and hands the whole chunk to the store, which
//! replaces the chunk atomically. A resumed write skips chunks the store already holds.
//!
//! Under MPI a stage whose store every process sees (a zarr store on a shared file
//! system) is split over the worker ranks like a reduction: each writes its share of
//! the chunks, and only the counts travel (`write/exchange.rs`).

use super::block::eval_by_input_blocks;
use super::chunks::{BlockGrid, Chunks};
use super::eval::EvalContext;
use super::node::{Eval, ExprRef, Scratch};
use super::region::Region;
use crate::dtype::Element;
use crate::exec::error::Result;
use crate::exec::stage::{Stage, StageWorker};
use crate::memory::MemoryBudget;
use crate::store::ChunkStore;
use crate::util::size::format_bytes;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

#[cfg(feature = "mpi")]
mod exchange;

/// Makes a stage's target store once the budget it runs under is known (an intermediate
/// store charges its chunks to that budget).
pub type StoreFactory<T> =
    Box<dyn Fn(&MemoryBudget) -> Result<Arc<dyn ChunkStore<T>>> + Send + Sync>;

/// Told about the target store once it exists (to publish an intermediate in the context).
pub type StoreReady<T> = Box<dyn Fn(Arc<dyn ChunkStore<T>>) + Send + Sync>;

/// Writes `root`'s values into `store` chunk by chunk.
pub struct WriteStage<T: Element> {
    root: ExprRef<T>,
    chunk_shape: Vec<usize>,
    store: OnceLock<Arc<dyn ChunkStore<T>>>,
    factory: Option<(StoreFactory<T>, StoreReady<T>)>,
    input_grid: BlockGrid,
    ctx: Arc<EvalContext>,
    grid: BlockGrid,
    /// Read-ahead of the stored chunks the next chunks are computed from.
    prefetch: Option<super::prefetch::BlockPrefetch>,
    /// The order chunks are written in, when not chunk order (see `order.rs`).
    order: Option<Vec<usize>>,
    scratch: u64,
    skip_existing: bool,
    /// Every process sees the store's chunks: MPI ranks split the writes.
    shared: bool,
    written: AtomicUsize,
    skipped: AtomicUsize,
}

impl<T: Element> WriteStage<T> {
    /// A stage writing `root` into `store` (of the same shape); with `skip_existing`, chunks
    /// the store already holds are not written again (a resumed write). `scratch` is the
    /// fused evaluator's tile scratch.
    pub fn new(
        root: ExprRef<T>,
        store: Arc<dyn ChunkStore<T>>,
        ctx: Arc<EvalContext>,
        scratch: u64,
        skip_existing: bool,
    ) -> Self {
        let (shape, chunk_shape) = (store.shape().to_vec(), store.chunk_shape().to_vec());
        let mut stage = Self::build(root, shape, chunk_shape, None, ctx, scratch, skip_existing);
        stage.shared = store.shared_between_processes();
        let _ = stage.store.set(store);
        stage
    }

    /// A stage writing `root` into a store of `chunk_shape` that `factory` makes when the
    /// stage is prepared; `ready` is then told about it. `shared` says whether that store
    /// will be seen by every process ([`ChunkStore::shared_between_processes`]).
    pub fn deferred(
        root: ExprRef<T>,
        chunk_shape: Vec<usize>,
        (factory, ready): (StoreFactory<T>, StoreReady<T>),
        shared: bool,
        ctx: Arc<EvalContext>,
        scratch: u64,
    ) -> Self {
        let shape = root.meta().shape.clone();
        let mut stage = Self::build(
            root,
            shape,
            chunk_shape,
            Some((factory, ready)),
            ctx,
            scratch,
            false,
        );
        stage.shared = shared;
        stage
    }

    fn build(
        root: ExprRef<T>,
        shape: Vec<usize>,
        chunk_shape: Vec<usize>,
        factory: Option<(StoreFactory<T>, StoreReady<T>)>,
        ctx: Arc<EvalContext>,
        scratch: u64,
        skip_existing: bool,
    ) -> Self {
        let chunks = Chunks::regular(&shape, &chunk_shape);
        let order = super::order::task_order(&root.clone().as_node(), chunks.clone());
        let prefetch = super::prefetch::BlockPrefetch::new(&root.clone().as_node(), &chunks);
        WriteStage {
            prefetch,
            input_grid: BlockGrid::new(&root.meta().chunks),
            root,
            grid: BlockGrid::new(&chunks),
            order,
            chunk_shape,
            store: OnceLock::new(),
            factory,
            ctx,
            scratch,
            skip_existing,
            shared: false,
            written: AtomicUsize::new(0),
            skipped: AtomicUsize::new(0),
        }
    }

    fn target(&self) -> &Arc<dyn ChunkStore<T>> {
        self.store
            .get()
            .expect("the target store exists once the stage is prepared")
    }

    /// Chunks written so far.
    pub fn chunks_written(&self) -> usize {
        self.written.load(Ordering::Relaxed)
    }

    /// Chunks skipped because the store already held them.
    pub fn chunks_skipped(&self) -> usize {
        self.skipped.load(Ordering::Relaxed)
    }

    fn chunk_bytes(&self) -> u64 {
        (self.chunk_shape.iter().product::<usize>() * std::mem::size_of::<T>()) as u64
    }
}

impl<T: Element> Stage for Arc<WriteStage<T>> {
    fn label(&self) -> String {
        format!("store {}", self.root.meta().label)
    }
    fn num_tasks(&self) -> usize {
        if self.root.meta().shape.contains(&0) {
            0
        } else {
            self.grid.len()
        }
    }
    fn task_shape(&self) -> Vec<usize> {
        self.chunk_shape.clone()
    }
    fn worker_bytes(&self) -> u64 {
        // the chunk, the store's scratch while it writes (the encoded chunk), the inputs'
        self.chunk_bytes()
            + self.store.get().map_or(0, |s| s.io_scratch_bytes())
            + self.scratch
            + (self.ctx.tile_elems() * std::mem::size_of::<T>()) as u64
    }
    fn stage_bytes(&self, _workers: usize) -> u64 {
        0
    }
    fn work_bytes(&self) -> u64 {
        (self.root.meta().shape.iter().product::<usize>() * std::mem::size_of::<T>()) as u64
    }
    fn suggest_fit(&self, budget: u64) -> Option<String> {
        Some(format!(
            "writing one {:?} chunk with its inputs needs {}; write with smaller chunks (rechunk first) so that one fits in {}, or raise the memory limit",
            self.chunk_shape,
            format_bytes(self.worker_bytes()),
            format_bytes(budget)
        ))
    }
    fn prepare(&self, budget: &MemoryBudget, _workers: usize) -> Result<()> {
        if let Some((factory, ready)) = &self.factory {
            let store = factory(budget)?;
            ready(store.clone());
            let _ = self.store.set(store);
        }
        Ok(())
    }
    fn worker(&self) -> Box<dyn StageWorker + '_> {
        Box::new(WriteWorker {
            stage: self,
            eval: self.ctx.build(&self.root),
            tile: Scratch::default(),
            chunk: Scratch::default(),
        })
    }
    fn prefetch(&self, index: usize) {
        if let Some(prefetch) = &self.prefetch {
            prefetch.hint(self.order.as_ref().map_or(index, |o| o[index]));
        }
    }
    fn finish(&self) -> Result<()> {
        Ok(())
    }
    #[cfg(feature = "mpi")]
    fn exchange(&self) -> Option<&dyn crate::exec::stage::Exchange> {
        self.shared
            .then_some(self as &dyn crate::exec::stage::Exchange)
    }
}

struct WriteWorker<'s, T: Element> {
    stage: &'s WriteStage<T>,
    eval: Box<dyn Eval<T>>,
    tile: Scratch<T>,
    chunk: Scratch<T>,
}

impl<T: Element> StageWorker for WriteWorker<'_, T> {
    fn run(&mut self, index: usize) -> Result<()> {
        let stage = self.stage;
        let index = stage.order.as_ref().map_or(index, |o| o[index]);
        let block = stage.grid.index(index);
        let region: Region = stage.grid.region(&block);
        let ndim = region.ndim();
        let store = stage.target();
        if stage.skip_existing && store.contains_chunk(&block[..ndim])? {
            stage.skipped.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let chunk = self.chunk.get(region.size());
        // one input block at a time, so an input that reads whole blocks reads each once
        eval_by_input_blocks(
            self.eval.as_mut(),
            &stage.input_grid,
            &region,
            chunk,
            stage.ctx.tile_elems(),
            &mut self.tile,
        );
        // an evaluator that failed (a store read) left garbage: write nothing
        stage.ctx.errors().check()?;
        store.write_chunk(&block[..ndim], chunk)?;
        stage.written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
