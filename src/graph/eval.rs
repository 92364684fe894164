//! The context evaluators are built in, and the evaluator of materialised results.

use super::node::{Eval, ExprRef, NodeId};
use super::region::Region;
use crate::dtype::Element;
use crate::exec::error::ExecError;
use crate::memory::Reservation;
use ndarray::ArrayD;
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Default tile length in elements: small enough that a chain of tile buffers stays in
/// the L2 cache, large enough that per-tile dispatch costs nothing.
pub const DEFAULT_TILE_ELEMS: usize = 4096;

/// The tile length in use: `SPILLWAY_TILE_ELEMS` when set to a positive number (for
/// tuning and for tests that check results do not depend on it), else the default.
pub fn tile_elems() -> usize {
    static TILE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *TILE.get_or_init(|| {
        std::env::var("SPILLWAY_TILE_ELEMS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&n: &usize| n > 0)
            .unwrap_or(DEFAULT_TILE_ELEMS)
    })
}

/// A node's values held in memory (a stage's result), with the reservation that pays for it.
pub struct Materialized {
    values: Arc<dyn Any + Send + Sync>,
    _reservation: Option<Reservation>,
}

/// Where evaluators report failures they cannot return (`Eval::eval` returns nothing):
/// a store read that failed, a corrupt chunk. The first error wins; the task that hit it
/// fails with it when it ends, and the stage stops.
///
/// ```
/// use spillway::graph::eval::ErrorSlot;
/// use spillway::store::StoreError;
/// let slot = ErrorSlot::default();
/// assert!(slot.take().is_none());
/// slot.report(StoreError::Io { location: "/x.zarr".into(), message: "gone".into(), source: None }.into());
/// assert!(slot.is_set());
/// assert!(slot.take().unwrap().to_string().contains("/x.zarr"));
/// ```
#[derive(Clone, Default)]
pub struct ErrorSlot {
    inner: Arc<(std::sync::atomic::AtomicBool, Mutex<Option<ExecError>>)>,
}

impl ErrorSlot {
    /// Records `error` unless an earlier one is already recorded.
    pub fn report(&self, error: ExecError) {
        let mut slot = self.inner.1.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(error);
        }
        self.inner
            .0
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// True once an error was reported (cheap: one atomic load).
    pub fn is_set(&self) -> bool {
        self.inner.0.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The recorded error, if any (it stays recorded, so every task sees the failure).
    pub fn take(&self) -> Option<ExecError> {
        if !self.is_set() {
            return None;
        }
        self.inner
            .1
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// `Err` with the recorded error, else `Ok`: what a task returns when it ends.
    pub fn check(&self) -> Result<(), ExecError> {
        match self.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// What evaluators are built from: tile size, the results of earlier stages, and the slot
/// failures are reported to.
pub struct EvalContext {
    tile_elems: usize,
    materialized: Mutex<HashMap<NodeId, Materialized>>,
    errors: ErrorSlot,
    /// Stores holding a node's input, written by a staging stage (see `rechunk`), by the
    /// id of the node that reads them; each is an `Arc<dyn ChunkStore<T>>` in an `Arc`.
    intermediates: Mutex<HashMap<NodeId, Arc<dyn Any + Send + Sync>>>,
    /// The running client's spill settings (set when the plan starts running).
    spill: std::sync::OnceLock<crate::exec::spill_settings::SpillSettings>,
    /// Counters of stores made while running (intermediates), for the run's report.
    late_meters: Mutex<Vec<Arc<dyn crate::store::IoMeter>>>,
    /// Block pools shared by the evaluators of one node, by node id; each is an
    /// `Arc<SharedBlocks<T>>`.
    block_pools: Mutex<HashMap<NodeId, Arc<dyn Any + Send + Sync>>>,
}

impl EvalContext {
    /// A context with tiles of `tile_elems` elements.
    pub fn new(tile_elems: usize) -> Self {
        EvalContext {
            tile_elems: tile_elems.max(1),
            materialized: Mutex::new(HashMap::new()),
            errors: ErrorSlot::default(),
            intermediates: Mutex::new(HashMap::new()),
            spill: std::sync::OnceLock::new(),
            late_meters: Mutex::new(Vec::new()),
            block_pools: Mutex::new(HashMap::new()),
        }
    }

    /// Records the spill settings of the client the plan runs on (first call wins).
    pub fn set_spill_settings(&self, settings: crate::exec::spill_settings::SpillSettings) {
        let _ = self.spill.set(settings);
    }

    /// The spill settings intermediates are made with (the defaults before a run).
    pub fn spill_settings(&self) -> crate::exec::spill_settings::SpillSettings {
        self.spill.get().cloned().unwrap_or_default()
    }

    /// Counts a store made while running (an intermediate) in the run's report.
    pub fn add_late_meter(&self, meter: Arc<dyn crate::store::IoMeter>) {
        self.late_meters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(meter);
    }

    /// The stores made while running.
    pub fn late_meters(&self) -> Vec<Arc<dyn crate::store::IoMeter>> {
        self.late_meters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The pool through which every evaluator of node `id` in this computation shares
    /// the node's whole blocks (made on first use).
    ///
    /// ```
    /// let ctx = spillway::graph::eval::EvalContext::new(64);
    /// let a = ctx.block_pool::<f64>(7);
    /// assert!(std::sync::Arc::ptr_eq(&a, &ctx.block_pool::<f64>(7)));
    /// ```
    pub fn block_pool<T: Element>(&self, id: NodeId) -> Arc<super::shared_blocks::SharedBlocks<T>> {
        let mut pools = self.block_pools.lock().unwrap_or_else(|e| e.into_inner());
        let any = pools
            .entry(id)
            .or_insert_with(|| Arc::new(super::shared_blocks::SharedBlocks::<T>::default()))
            .clone();
        any.downcast::<super::shared_blocks::SharedBlocks<T>>()
            .expect("a node's blocks have the node's element type")
    }

    /// Records the intermediate store a staging stage wrote for node `reader`.
    pub fn set_intermediate<T: Element>(
        &self,
        reader: NodeId,
        store: Arc<dyn crate::store::ChunkStore<T>>,
    ) {
        self.intermediates
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(reader, Arc::new(store));
    }

    /// The intermediate store written for node `reader`, if a staging stage made one.
    pub fn intermediate<T: Element>(
        &self,
        reader: NodeId,
    ) -> Option<Arc<dyn crate::store::ChunkStore<T>>> {
        let map = self.intermediates.lock().unwrap_or_else(|e| e.into_inner());
        let any = map.get(&reader)?.clone();
        any.downcast::<Arc<dyn crate::store::ChunkStore<T>>>()
            .ok()
            .map(|s| (*s).clone())
    }

    /// Records what a staging stage made for node `reader` when it is more than a store
    /// (a sort's sorted runs and their index): evaluators of `reader` find it with
    /// [`staged_state`](Self::staged_state).
    ///
    /// ```
    /// use spillway::graph::eval::EvalContext;
    /// let ctx = EvalContext::new(16);
    /// let id = spillway::graph::node::next_node_id();
    /// ctx.set_staged_state(id, std::sync::Arc::new(vec![1u8, 2]));
    /// assert_eq!(*ctx.staged_state::<Vec<u8>>(id).unwrap(), vec![1, 2]);
    /// assert!(ctx.staged_state::<String>(id).is_none());
    /// ```
    pub fn set_staged_state<S: Any + Send + Sync>(&self, reader: NodeId, state: Arc<S>) {
        self.intermediates
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(reader, state);
    }

    /// What a staging stage recorded for node `reader` with
    /// [`set_staged_state`](Self::set_staged_state), if it ran and `S` is its type.
    pub fn staged_state<S: Any + Send + Sync>(&self, reader: NodeId) -> Option<Arc<S>> {
        let map = self.intermediates.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&reader)?.clone().downcast::<S>().ok()
    }

    /// Where evaluators built in this context report failures.
    pub fn errors(&self) -> &ErrorSlot {
        &self.errors
    }

    /// Tile length in elements.
    pub fn tile_elems(&self) -> usize {
        self.tile_elems
    }

    /// Records a node's computed values; later evaluators of that node read them.
    pub fn store<T: Element>(
        &self,
        id: NodeId,
        values: ArrayD<T>,
        reservation: Option<Reservation>,
    ) {
        let entry = Materialized {
            values: Arc::new(values.as_standard_layout().into_owned()),
            _reservation: reservation,
        };
        self.lock().insert(id, entry);
    }

    /// The computed values of a node, if a stage produced them.
    pub fn get<T: Element>(&self, id: NodeId) -> Option<Arc<ArrayD<T>>> {
        let map = self.lock();
        let any = map.get(&id)?.values.clone();
        any.downcast::<ArrayD<T>>().ok()
    }

    /// Removes a node's computed values and hands them over (without a copy when nothing
    /// else holds them, as after a run).
    pub fn take<T: Element>(&self, id: NodeId) -> Option<ArrayD<T>> {
        let entry = self.lock().remove(&id)?;
        let values = entry.values.downcast::<ArrayD<T>>().ok()?;
        Some(Arc::try_unwrap(values).unwrap_or_else(|shared| (*shared).clone()))
    }

    /// True when the node has been computed by an earlier stage.
    pub fn is_materialized(&self, id: NodeId) -> bool {
        self.lock().contains_key(&id)
    }

    /// Builds the evaluator of `expr`: a reader of its stored values when an earlier stage
    /// computed them, else the node's own (fused) evaluator.
    pub fn build<T: Element>(&self, expr: &ExprRef<T>) -> Box<dyn Eval<T>> {
        match self.get::<T>(expr.meta().id) {
            Some(values) => Box::new(MaterializedEval { values }),
            None => expr.evaluator(self),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<NodeId, Materialized>> {
        // a poisoned map still holds valid entries: a panicking task never writes to it
        self.materialized.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Reads regions out of values held in memory.
struct MaterializedEval<T> {
    values: Arc<ArrayD<T>>,
}

impl<T: Element> Eval<T> for MaterializedEval<T> {
    fn eval(&mut self, region: &Region, out: &mut [T]) {
        copy_region(&self.values, region, out);
    }
}

/// Copies `region` of a standard-layout array into `out` (row-major).
pub fn copy_region<T: Element>(values: &ArrayD<T>, region: &Region, out: &mut [T]) {
    let data = values
        .as_slice()
        .expect("materialised values are stored in standard layout");
    region.for_each_run(values.shape(), |flat, offset, len| {
        out[offset..offset + len].copy_from_slice(&data[flat..flat + len]);
    });
}
