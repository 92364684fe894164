//! Observers of running computations: what progress bars, the dashboard and traces see.
//!
//! A [`Monitor`] registered on a [`Client`](super::client::Client) is told when a
//! computation and each of its stages start and finish, and receives one [`TaskRecord`] per
//! task (which thread ran it, when). With no monitor registered the executor does not even
//! read the clock per task.

use super::report::RunReport;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One stage as monitors see it.
#[derive(Debug, Clone, PartialEq)]
pub struct StageInfo {
    /// The op the stage computes (`"sum"`, `"mean+std"`, `"add"`, a delayed task's name).
    pub label: String,
    /// Tasks in the stage.
    pub tasks: usize,
    /// Projected bytes one worker thread holds while running its tasks.
    pub worker_bytes: u64,
    /// Projected bytes the stage holds from start to end.
    pub stage_bytes: u64,
    /// Bytes of data the stage's tasks go through, all together (0 when unknown): what a
    /// progress display counts done in proportion to tasks.
    pub work_bytes: u64,
}

/// One finished task.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    /// Index of its stage within the computation.
    pub stage: usize,
    /// The stage's label.
    pub label: Arc<str>,
    /// The task's index within its stage.
    pub task: usize,
    /// The pool thread that ran it (0-based).
    pub thread: usize,
    /// The client worker that thread belongs to.
    pub worker: usize,
    /// When it started, since the computation started.
    pub start: Duration,
    /// When it ended, since the computation started.
    pub end: Duration,
}

/// An observer of computations on a client. Every method has an empty default.
///
/// ```
/// use spillway::exec::monitor::{Monitor, TaskRecord};
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// #[derive(Default)]
/// struct CountTasks(AtomicUsize);
/// impl Monitor for CountTasks {
///     fn task_finished(&self, _record: &TaskRecord) {
///         self.0.fetch_add(1, Ordering::Relaxed);
///     }
/// }
///
/// let client = spillway::Client::builder().n_workers(1).threads_per_worker(2).memory_limit("64MB").build().unwrap();
/// let counter = Arc::new(CountTasks::default());
/// client.add_monitor(counter.clone());
/// spillway::ones::<f64>(100, 10).sum().compute_on(&client).unwrap();
/// assert_eq!(counter.0.load(Ordering::Relaxed), 10);
/// client.close();
/// ```
pub trait Monitor: Send + Sync {
    /// A computation of `stages` starts; `started` is its time origin.
    fn computation_started(&self, _stages: &[StageInfo], _started: Instant) {}
    /// Stage `index` starts with `workers` worker threads.
    fn stage_started(&self, _index: usize, _info: &StageInfo, _workers: usize) {}
    /// A task finished (successfully or not).
    fn task_finished(&self, _record: &TaskRecord) {}
    /// Stage `index` finished after `seconds`.
    fn stage_finished(&self, _index: usize, _info: &StageInfo, _seconds: f64) {}
    /// The computation ended: `Some(report)` on success, `None` on error.
    fn computation_finished(&self, _report: Option<&RunReport>) {}
}
