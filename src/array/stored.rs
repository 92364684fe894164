//! Arrays whose chunks live in a [`ChunkStore`]: reading (`from_store`, and through it
//! `from_zarr`) and writing (`store`, and through it `to_zarr`).
//!
//! A stored array's chunks are the store's chunks. Its evaluator reads a whole chunk the
//! first time a request touches it and serves the chunk's tiles from a pooled buffer
//! ([`SharedBlockEval`]), so a task that covers one chunk reads it exactly once, and a
//! chunk that another evaluator of the same array holds or just released (`x` and `x.T`
//! in `x + x.T`) is not read again.

use super::Array;
use crate::dtype::Element;
use crate::graph::block::BlockCompute;
use crate::graph::chunks::Chunks;
use crate::graph::eval::{ErrorSlot, EvalContext};
use crate::graph::node::{Eval, Expr, Node, NodeKind, NodeMeta, NodeRef, node_meta};
use crate::graph::plan::{Plan, fused_scratch};
use crate::graph::region::Region;
use crate::graph::shared_blocks::SharedBlockEval;
use crate::graph::write::WriteStage;
use crate::store::ChunkStore;
use crate::store::{IoMeter, StoreIdentity};
use std::sync::Arc;

/// The node of an array read from a store.
pub(crate) struct StoreSource<T: Element> {
    meta: NodeMeta,
    store: Arc<dyn ChunkStore<T>>,
    meter: Option<Arc<dyn IoMeter>>,
}

impl<T: Element> std::fmt::Debug for StoreSource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoreSource({}, {:?})", self.store.location(), self.meta)
    }
}

/// A lazy array over the chunks of `store`, labelled `label` in reprs and graphs;
/// `meter`, when given, counts the bytes its reads move (for run reports).
///
/// ```
/// use spillway::array::stored::from_store;
/// use spillway::store::{ChunkStore, StoreError};
/// use std::sync::Arc;
///
/// /// A read-only store whose chunk [i] holds i+1 everywhere.
/// struct Steps;
/// impl ChunkStore<f64> for Steps {
///     fn shape(&self) -> &[usize] { &[10] }
///     fn chunk_shape(&self) -> &[usize] { &[4] }
///     fn read_chunk(&self, index: &[usize], out: &mut [f64]) -> Result<(), StoreError> {
///         out.fill(index[0] as f64 + 1.0);
///         Ok(())
///     }
///     fn write_chunk(&self, _: &[usize], _: &[f64]) -> Result<(), StoreError> {
///         Err(StoreError::Io { location: self.location(), message: "read-only".into(), source: None })
///     }
///     fn contains_chunk(&self, _: &[usize]) -> Result<bool, StoreError> { Ok(true) }
///     fn location(&self) -> String { "steps".into() }
/// }
///
/// let x = from_store(Arc::new(Steps), "steps", None);
/// assert_eq!(x.chunks().to_string(), "((4, 4, 2),)");
/// assert_eq!(x.sum().compute_scalar().unwrap(), 4.0 * 1.0 + 4.0 * 2.0 + 2.0 * 3.0);
/// ```
pub fn from_store<T: Element>(
    store: Arc<dyn ChunkStore<T>>,
    label: &str,
    meter: Option<Arc<dyn IoMeter>>,
) -> Array<T> {
    let shape = store.shape().to_vec();
    if let Err(e) = super::check_rank(&shape) {
        return Array::invalid(e);
    }
    // the chunk lengths are built per axis: a grid beyond creation's limit is refused
    // before they are (a store's sizes may come from a file)
    let chunk_shape = store.chunk_shape();
    if chunk_shape.len() != shape.len() || chunk_shape.contains(&0) {
        return Array::invalid(crate::store::StoreError::Shape {
            location: store.location(),
            message: format!(
                "its chunk shape {chunk_shape:?} does not fit its shape {shape:?}: give one length of at least 1 per axis"
            ),
        });
    }
    for (axis, (&extent, &c)) in shape.iter().zip(chunk_shape).enumerate() {
        let blocks = extent.div_ceil(c);
        if blocks > super::chunks::MAX_BLOCKS_PER_AXIS {
            return Array::invalid(super::ArrayError::TooManyChunks {
                axis,
                blocks,
                max: super::chunks::MAX_BLOCKS_PER_AXIS,
                extent,
            });
        }
    }
    let chunk_bytes = chunk_shape
        .iter()
        .try_fold(std::mem::size_of::<T>(), |n, &c| n.checked_mul(c))
        .filter(|&b| b <= isize::MAX as usize);
    if chunk_bytes.is_none() {
        return Array::invalid(crate::store::StoreError::Shape {
            location: store.location(),
            message: format!(
                "its chunk shape {chunk_shape:?} is more bytes than this machine can address; use smaller chunks"
            ),
        });
    }
    let chunks = Chunks::regular(&shape, chunk_shape);
    Array::from_expr(Arc::new(StoreSource {
        meta: NodeMeta::new(label, shape, chunks, T::DTYPE),
        store,
        meter,
    }))
}

impl<T: Element> Node for StoreSource<T> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Source
    }
    fn scratch_bytes(&self, _tile_elems: usize) -> u64 {
        // one whole chunk, held while its tiles are served, and the store's scratch
        // (the encoded chunk) while it is read
        (self.store.chunk_shape().iter().product::<usize>() * std::mem::size_of::<T>()) as u64
            + self.store.io_scratch_bytes()
    }
    fn computes_whole_blocks(&self) -> bool {
        true
    }
    fn io_meter(&self) -> Option<Arc<dyn IoMeter>> {
        self.meter.clone()
    }
    fn will_need_block(&self, block: &[usize]) {
        self.store.will_need(block);
    }
    fn source_store(&self) -> Option<StoreIdentity> {
        Some(StoreIdentity::of(&self.store))
    }
}

impl<T: Element> Expr<T> for StoreSource<T> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T>> {
        // evaluators of this node share its chunks: `x + x.T` reads each chunk once
        Box::new(SharedBlockEval::new(
            &self.meta.chunks,
            &ctx.block_pool(self.meta.id),
            ChunkReader {
                store: self.store.clone(),
                errors: ctx.errors().clone(),
            },
        ))
    }
}

/// Reads whole chunks out of a store; a failed read is reported to the computation's
/// error slot (the task then fails with it) and leaves zeros.
struct ChunkReader<T: Element> {
    store: Arc<dyn ChunkStore<T>>,
    errors: ErrorSlot,
}

impl<T: Element> BlockCompute<T> for ChunkReader<T> {
    fn compute_block(&mut self, block: &[usize], _region: &Region, out: &mut [T]) {
        if self.errors.is_set() {
            out.fill(T::default());
            return;
        }
        if let Err(e) = self.store.read_chunk(block, out) {
            out.fill(T::default());
            self.errors.report(e.into());
        }
    }
}

/// How [`Array::store`] writes.
///
/// ```
/// let options = spillway::array::stored::StoreOptions { skip_existing: true };
/// assert!(options.skip_existing);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreOptions {
    /// Leave chunks the store already holds as they are (how an interrupted write resumes).
    pub skip_existing: bool,
}

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreReport {
    /// Chunks written (the store's chunks: the inner chunks of a sharded zarr array).
    pub chunks_written: usize,
    /// Chunks skipped because the store held them already.
    pub chunks_skipped: usize,
    /// Shards written, for a sharded zarr array (each holds several chunks); 0 otherwise.
    pub shards_written: usize,
    /// The run's report (bytes written, time, peak memory).
    pub run: crate::exec::report::RunReport,
    /// The codec [`Codec::Auto`](crate::store::zarr::Codec::Auto) picked for a zarr write,
    /// with what each candidate did on the sample chunk; `None` for a codec given.
    pub codec_choice: Option<crate::store::zarr::CodecChoice>,
}

impl<T: Element> Array<T> {
    /// Computes the array into `target`, chunk by chunk on the current client, as Dask's
    /// `da.store`: each worker evaluates one store chunk at a time into a reused buffer,
    /// so memory stays at a chunk per worker whatever the array's size. `target` must have
    /// the array's shape; its chunk shape sets the tasks.
    ///
    /// ```
    /// use spillway::array::stored::{from_store, StoreOptions};
    /// use spillway::store::{ChunkStore, StoreError};
    /// use std::collections::HashMap;
    /// use std::sync::{Arc, Mutex};
    ///
    /// struct Chunks1d(Mutex<HashMap<usize, Vec<i64>>>);
    /// impl ChunkStore<i64> for Chunks1d {
    ///     fn shape(&self) -> &[usize] { &[10] }
    ///     fn chunk_shape(&self) -> &[usize] { &[3] }
    ///     fn read_chunk(&self, i: &[usize], out: &mut [i64]) -> Result<(), StoreError> {
    ///         out.copy_from_slice(&self.0.lock().unwrap()[&i[0]]);
    ///         Ok(())
    ///     }
    ///     fn write_chunk(&self, i: &[usize], data: &[i64]) -> Result<(), StoreError> {
    ///         self.0.lock().unwrap().insert(i[0], data.to_vec());
    ///         Ok(())
    ///     }
    ///     fn contains_chunk(&self, i: &[usize]) -> Result<bool, StoreError> {
    ///         Ok(self.0.lock().unwrap().contains_key(&i[0]))
    ///     }
    ///     fn location(&self) -> String { "memory".into() }
    /// }
    ///
    /// let target = Arc::new(Chunks1d(Mutex::new(HashMap::new())));
    /// let report = spillway::arange(0i64, 10, 1, 5).powi(2).store(target.clone(), StoreOptions::default()).unwrap();
    /// assert_eq!(report.chunks_written, 4);
    /// let back = from_store::<i64>(target, "squares", None).compute_vec().unwrap();
    /// assert_eq!(back, vec![0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    /// ```
    pub fn store(
        &self,
        target: Arc<dyn ChunkStore<T>>,
        options: StoreOptions,
    ) -> crate::error::Result<StoreReport> {
        self.store_metered(target, options, None)
    }

    /// [`store`](Self::store), counting `meter`'s bytes in the report.
    pub(crate) fn store_metered(
        &self,
        target: Arc<dyn ChunkStore<T>>,
        options: StoreOptions,
        meter: Option<Arc<dyn IoMeter>>,
    ) -> crate::error::Result<StoreReport> {
        if target.shape() != self.shape() {
            return Err(super::ArrayError::InvalidArgument {
                op: "store",
                message: format!(
                    "the array has shape {:?} but the store {} has shape {:?}; create the store with the array's shape",
                    self.shape(),
                    target.location(),
                    target.shape()
                ),
            }
            .into());
        }
        self.refuse_writing_a_source(&StoreIdentity::of(&target))?;
        super::compute::on_current(|client| {
            let (plan, stage) = self.write_plan(target.clone(), options, meter.clone())?;
            let finished = plan.run(client)?;
            Ok(StoreReport {
                chunks_written: stage.chunks_written(),
                chunks_skipped: stage.chunks_skipped(),
                shards_written: 0,
                run: finished.report,
                codec_choice: None,
            })
        })
    }

    /// The plan that writes the array into `target`, and its write stage.
    fn write_plan(
        &self,
        target: Arc<dyn ChunkStore<T>>,
        options: StoreOptions,
        meter: Option<Arc<dyn IoMeter>>,
    ) -> crate::error::Result<(Plan, Arc<WriteStage<T>>)> {
        let root = self.expr.clone();
        let mut plan = Plan::new(&[root.clone().as_node()])?;
        if let Some(meter) = meter {
            plan.add_io_meter(meter);
        }
        let scratch = fused_scratch(
            &root.clone().as_node(),
            plan.staged_ids(),
            plan.context().tile_elems(),
        );
        let stage = Arc::new(WriteStage::new(
            root.clone(),
            target,
            plan.context().clone(),
            scratch,
            options.skip_existing,
        ));
        plan.push_stage(Box::new(stage.clone()), vec![root.as_node()]);
        Ok((plan, stage))
    }

    /// Checks, without running anything, that writing the array into a store like
    /// `planned` (of the array's shape; its chunk shape and I/O scratch as the real store
    /// will have them) fits the current client's budget: what a write does before it
    /// makes its store.
    pub(crate) fn check_store_plan(
        &self,
        planned: Arc<dyn ChunkStore<T>>,
    ) -> crate::error::Result<()> {
        let (plan, _stage) = self.write_plan(planned, StoreOptions::default(), None)?;
        super::compute::on_current(|client| Ok(plan.validate(client)?))
    }

    /// Refuses, naming both, a write into `target` when the computation reads a store
    /// that shares data with it (the same store, or a path inside or around it).
    pub(crate) fn refuse_writing_a_source(
        &self,
        target: &StoreIdentity,
    ) -> crate::error::Result<()> {
        for node in crate::graph::plan::topological(&[self.node()]) {
            if let Some(read) = node.source_store()
                && read.overlaps(target)
            {
                return Err(super::ArrayError::WriteOverSource {
                    target: target.location().to_string(),
                    read: read.location().to_string(),
                    relation: read.relation_to(target),
                }
                .into());
            }
        }
        Ok(())
    }
}

impl<T: Element> Array<T> {
    /// Computes the array once and keeps its chunks for the computations that follow, as
    /// Dask's `persist()`: the chunks are held in memory under the client's budget and
    /// spilled to local disk when it runs short, and the returned array reads them back.
    /// Use it for an expensive intermediate that several computations read; sources (a zarr
    /// store, random numbers) are cheaper to read again than to keep.
    ///
    /// ```
    /// let x = spillway::random::random([100, 100], 25);
    /// let y = (&x * 2.0).persist().unwrap();
    /// assert_eq!(y.chunks(), x.chunks());
    /// assert_eq!(y.compute().unwrap(), (&x * 2.0).compute().unwrap());
    /// ```
    pub fn persist(&self) -> crate::error::Result<Array<T>> {
        if let Some(e) = self.error() {
            return Err(e);
        }
        let chunk_shape: Vec<usize> = self.chunksize().iter().map(|&c| c.max(1)).collect();
        let client = crate::exec::client::Client::current();
        let (store, _meter) = crate::graph::intermediate::intermediate_store::<T>(
            client.budget(),
            client.spill_settings(),
            self.shape(),
            &chunk_shape,
            self.name(),
        )?;
        self.store(store.clone(), StoreOptions::default())?;
        let persisted = from_store(store, self.name(), None);
        // keep Dask's chunks when they were irregular
        Ok(persisted.rechunk(self.chunks().as_vecs().to_vec()))
    }
}
