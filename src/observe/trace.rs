//! Task traces for Perfetto and `chrome://tracing`, as a [`Monitor`].
//!
//! A [`TraceRecorder`] registered on a client keeps one record per task of every
//! computation it sees (which worker and thread ran it, when) and writes them as Chrome
//! trace JSON: one complete event (`"ph":"X"`) per task, with the worker as the process
//! and the pool thread as the thread, names for both, and the report of the latest
//! computation beside the events as `"spillwayReport"`. Open the file at
//! <https://ui.perfetto.dev> or in `chrome://tracing`.
//!
//! ```
//! use spillway::observe::trace::TraceRecorder;
//! use std::sync::Arc;
//!
//! let client = spillway::Client::builder().n_workers(2).threads_per_worker(1).memory_limit("64MB").build().unwrap();
//! let trace = Arc::new(TraceRecorder::new());
//! client.add_monitor(trace.clone());
//! spillway::ones::<f64>(100, 10).sum().compute_on(&client).unwrap();
//! assert_eq!(trace.len(), 10);
//! let json: serde_json::Value = serde_json::from_str(&trace.to_json()).unwrap();
//! assert_eq!(json["spillwayReport"]["tasks"], 10);
//! client.close();
//! ```
//!
//! # Memory
//!
//! Each record takes 48 bytes, outside the client's memory budget. A recorder keeps at
//! most its capacity of records ([`DEFAULT_CAPACITY`], one million — about 48 MB — unless
//! [`TraceRecorder::with_capacity`] says otherwise); tasks beyond it are counted in
//! [`TraceRecorder::dropped`] and not stored. The interned op labels are bounded too.
//!
//! # Cost
//!
//! Recording a task is a read lock, a counter and a push into one of 64 vectors chosen by
//! thread, so threads do not contend; all the JSON work happens in [`TraceRecorder::write`]
//! and [`TraceRecorder::to_json`].
//!
//! # Timeline
//!
//! Times are on one timeline starting when the first computation the recorder saw
//! started, so several computations appear one after another. Records carry no
//! computation id from the executor: two computations running *at the same time* on one
//! client are attributed to the one that started last.

use crate::exec::error::{ExecError, Result};
use crate::exec::monitor::{Monitor, StageInfo, TaskRecord};
use crate::exec::report::RunReport;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// Records a [`TraceRecorder::new`] keeps at most.
pub const DEFAULT_CAPACITY: usize = 1_000_000;

/// Distinct op labels kept; later ones share the label `"(other)"`.
const MAX_LABELS: usize = 65_536;

/// Vectors records are spread over, by thread.
const SHARDS: usize = 64;

/// Label id of a task whose stage the recorder was not told about.
const UNKNOWN: u32 = u32::MAX;

/// One stored task, compact.
#[derive(Debug, Clone, Copy)]
struct Compact {
    computation: u32,
    stage: u32,
    label: u32,
    thread: u32,
    worker: u32,
    task: u64,
    /// On the recorder's timeline, in nanoseconds.
    start_ns: u64,
    end_ns: u64,
}

/// The computation tasks are attributed to.
#[derive(Debug, Default)]
struct Current {
    computation: u32,
    offset_ns: u64,
    labels: Vec<u32>,
}

#[derive(Debug, Default)]
struct Meta {
    origin: Option<Instant>,
    labels: Vec<Arc<str>>,
    label_ids: HashMap<String, u32>,
    computations: usize,
    failed: usize,
    report: Option<RunReport>,
}

impl Meta {
    fn intern(&mut self, label: &str) -> u32 {
        if let Some(&id) = self.label_ids.get(label) {
            return id;
        }
        let label = if self.labels.len() >= MAX_LABELS {
            "(other)"
        } else {
            label
        };
        if let Some(&id) = self.label_ids.get(label) {
            return id;
        }
        let id = u32::try_from(self.labels.len()).unwrap_or(UNKNOWN);
        self.labels.push(Arc::from(label));
        self.label_ids.insert(label.to_string(), id);
        id
    }

    fn label(&self, id: u32) -> Arc<str> {
        self.labels
            .get(id as usize)
            .cloned()
            .unwrap_or_else(|| Arc::from("(unknown)"))
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn micros(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

/// Collects the tasks of a client's computations and writes them as a Chrome trace (see
/// the [module docs](self)).
///
/// ```
/// use spillway::observe::trace::TraceRecorder;
/// let trace = TraceRecorder::with_capacity(10);
/// assert_eq!(trace.capacity(), 10);
/// assert!(trace.is_empty());
/// ```
pub struct TraceRecorder {
    capacity: usize,
    claimed: AtomicUsize,
    dropped: AtomicU64,
    shards: Box<[Mutex<Vec<Compact>>]>,
    current: RwLock<Current>,
    meta: Mutex<Meta>,
}

impl Default for TraceRecorder {
    fn default() -> Self {
        TraceRecorder::new()
    }
}

impl fmt::Debug for TraceRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceRecorder")
            .field("capacity", &self.capacity)
            .field("records", &self.len())
            .field("dropped", &self.dropped())
            .field("computations", &self.computations())
            .finish()
    }
}

impl TraceRecorder {
    /// A recorder keeping at most [`DEFAULT_CAPACITY`] records.
    ///
    /// ```
    /// let trace = spillway::observe::trace::TraceRecorder::new();
    /// assert_eq!(trace.capacity(), 1_000_000);
    /// ```
    pub fn new() -> Self {
        TraceRecorder::with_capacity(DEFAULT_CAPACITY)
    }

    /// A recorder keeping at most `capacity` records; later tasks are only counted.
    ///
    /// ```
    /// use spillway::observe::trace::TraceRecorder;
    /// use std::sync::Arc;
    /// let client = spillway::Client::builder().n_workers(1).threads_per_worker(2).memory_limit("64MB").build().unwrap();
    /// let trace = Arc::new(TraceRecorder::with_capacity(3));
    /// client.add_monitor(trace.clone());
    /// spillway::ones::<f64>(100, 10).sum().compute_on(&client).unwrap();
    /// assert_eq!((trace.len(), trace.dropped()), (3, 7));
    /// client.close();
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        TraceRecorder {
            capacity,
            claimed: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
            shards: (0..SHARDS).map(|_| Mutex::new(Vec::new())).collect(),
            current: RwLock::new(Current::default()),
            meta: Mutex::new(Meta::default()),
        }
    }

    /// The most records kept.
    ///
    /// ```
    /// assert_eq!(spillway::observe::trace::TraceRecorder::with_capacity(5).capacity(), 5);
    /// ```
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Records kept.
    ///
    /// ```
    /// assert_eq!(spillway::observe::trace::TraceRecorder::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }

    /// Whether no record is kept.
    ///
    /// ```
    /// assert!(spillway::observe::trace::TraceRecorder::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Tasks seen but not kept, beyond the capacity.
    ///
    /// ```
    /// assert_eq!(spillway::observe::trace::TraceRecorder::new().dropped(), 0);
    /// ```
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Computations seen.
    ///
    /// ```
    /// assert_eq!(spillway::observe::trace::TraceRecorder::new().computations(), 0);
    /// ```
    pub fn computations(&self) -> usize {
        self.lock_meta().computations
    }

    /// The report of the latest computation, when it succeeded.
    ///
    /// ```
    /// use spillway::observe::trace::TraceRecorder;
    /// use std::sync::Arc;
    /// let client = spillway::Client::builder().n_workers(1).threads_per_worker(1).memory_limit("64MB").build().unwrap();
    /// let trace = Arc::new(TraceRecorder::new());
    /// client.add_monitor(trace.clone());
    /// spillway::ones::<f64>(100, 10).sum().compute_on(&client).unwrap();
    /// assert_eq!(trace.report().unwrap().tasks, 10);
    /// client.close();
    /// ```
    pub fn report(&self) -> Option<RunReport> {
        self.lock_meta().report.clone()
    }

    /// The kept records, ordered by start time. Their `start` and `end` are on the
    /// recorder's timeline (since the first computation it saw started).
    ///
    /// ```
    /// use spillway::observe::trace::TraceRecorder;
    /// use std::sync::Arc;
    /// let client = spillway::Client::builder().n_workers(1).threads_per_worker(1).memory_limit("64MB").build().unwrap();
    /// let trace = Arc::new(TraceRecorder::new());
    /// client.add_monitor(trace.clone());
    /// spillway::ones::<f64>(30, 10).sum().compute_on(&client).unwrap();
    /// let records = trace.records();
    /// assert_eq!(records.len(), 3);
    /// assert!(records.iter().all(|r| r.start <= r.end && &*r.label == "sum"));
    /// client.close();
    /// ```
    pub fn records(&self) -> Vec<TaskRecord> {
        let compact = self.sorted();
        let meta = self.lock_meta();
        compact
            .iter()
            .map(|c| TaskRecord {
                stage: c.stage as usize,
                label: meta.label(c.label),
                task: c.task as usize,
                thread: c.thread as usize,
                worker: c.worker as usize,
                start: Duration::from_nanos(c.start_ns),
                end: Duration::from_nanos(c.end_ns),
            })
            .collect()
    }

    /// Forgets every record, counter and report.
    ///
    /// ```
    /// let trace = spillway::observe::trace::TraceRecorder::new();
    /// trace.clear();
    /// assert!(trace.is_empty());
    /// ```
    pub fn clear(&self) {
        let mut meta = self.lock_meta();
        *meta = Meta::default();
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Current::default();
        for shard in self.shards.iter() {
            *shard.lock().unwrap_or_else(PoisonError::into_inner) = Vec::new();
        }
        self.claimed.store(0, Ordering::Relaxed);
        self.dropped.store(0, Ordering::Relaxed);
    }

    /// The trace as Chrome trace JSON (the same text [`TraceRecorder::write`] writes).
    ///
    /// ```
    /// let json = spillway::observe::trace::TraceRecorder::new().to_json();
    /// let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    /// assert_eq!(v["displayTimeUnit"], "ms");
    /// assert!(v["traceEvents"].as_array().unwrap().is_empty());
    /// assert!(v["spillwayReport"].is_null());
    /// ```
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        // writing to a Vec cannot fail
        let _ = self.write_json(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Writes the trace to `path` as Chrome trace JSON.
    ///
    /// # Errors
    ///
    /// [`ExecError::Io`] when the file cannot be created or written.
    ///
    /// ```
    /// use spillway::observe::trace::TraceRecorder;
    /// let trace = TraceRecorder::new();
    /// let path = std::env::temp_dir().join("spillway-doc-trace.json");
    /// trace.write(&path).unwrap();
    /// assert!(std::fs::read_to_string(&path).unwrap().starts_with("{\"traceEvents\":["));
    /// let err = trace.write("/no/such/dir/trace.json").unwrap_err();
    /// assert!(err.to_string().starts_with("cannot write /no/such/dir/trace.json: "));
    /// # std::fs::remove_file(&path).ok();
    /// ```
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let io_error = |e: io::Error| ExecError::Io {
            path: path.display().to_string(),
            source: Arc::new(e),
        };
        let file = std::fs::File::create(path).map_err(io_error)?;
        let mut out = BufWriter::new(file);
        self.write_json(&mut out).map_err(io_error)?;
        out.flush().map_err(io_error)
    }

    fn lock_meta(&self) -> std::sync::MutexGuard<'_, Meta> {
        self.meta.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn sorted(&self) -> Vec<Compact> {
        let mut all = Vec::with_capacity(self.len());
        for shard in self.shards.iter() {
            all.extend_from_slice(&shard.lock().unwrap_or_else(PoisonError::into_inner));
        }
        all.sort_by_key(|c| (c.start_ns, c.thread, c.end_ns));
        all
    }

    fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        let records = self.sorted();
        let (labels, report, computations, failed) = {
            let meta = self.lock_meta();
            (
                meta.labels.clone(),
                meta.report.clone(),
                meta.computations,
                meta.failed,
            )
        };
        let label = |id: u32| labels.get(id as usize).map_or("(unknown)", |l| &**l);
        out.write_all(b"{\"traceEvents\":[")?;
        let mut first = true;
        let mut event = |out: &mut dyn Write, value: Value| -> io::Result<()> {
            if !first {
                out.write_all(b",\n")?;
            }
            first = false;
            serde_json::to_writer(out, &value).map_err(io::Error::other)
        };
        let workers: BTreeSet<u32> = records.iter().map(|c| c.worker).collect();
        let threads: BTreeSet<(u32, u32)> = records.iter().map(|c| (c.worker, c.thread)).collect();
        for w in &workers {
            event(
                out,
                json!({"name": "process_name", "ph": "M", "pid": w, "tid": 0,
                       "args": {"name": format!("worker {w}")}}),
            )?;
        }
        for (w, t) in &threads {
            event(
                out,
                json!({"name": "thread_name", "ph": "M", "pid": w, "tid": t,
                       "args": {"name": format!("thread {t}")}}),
            )?;
        }
        for c in &records {
            event(
                out,
                json!({
                    "name": label(c.label),
                    "cat": "task",
                    "ph": "X",
                    "ts": micros(c.start_ns),
                    "dur": micros(c.end_ns.saturating_sub(c.start_ns)),
                    "pid": c.worker,
                    "tid": c.thread,
                    "args": {"task": c.task, "stage": c.stage, "computation": c.computation},
                }),
            )?;
        }
        out.write_all(b"],\n\"displayTimeUnit\":\"ms\",\n\"spillwayReport\":")?;
        let report = report.as_ref().map_or(Value::Null, report_json);
        serde_json::to_writer(&mut *out, &report).map_err(io::Error::other)?;
        out.write_all(b",\n\"spillwayTrace\":")?;
        let summary = json!({
            "computations": computations,
            "failed_computations": failed,
            "recorded_tasks": records.len(),
            "dropped_tasks": self.dropped(),
            "capacity": self.capacity,
        });
        serde_json::to_writer(&mut *out, &summary).map_err(io::Error::other)?;
        out.write_all(b"}\n")
    }
}

/// The report as the trace's `"spillwayReport"` object.
fn report_json(report: &RunReport) -> Value {
    json!({
        "tasks": report.tasks,
        "stages": report.stages.iter().map(|s| json!({
            "label": s.label, "tasks": s.tasks, "seconds": s.seconds,
        })).collect::<Vec<_>>(),
        "peak_reserved_bytes": report.peak_reserved_bytes,
        "budget_bytes": report.budget_bytes,
        "seconds": report.seconds,
        "text": report.to_string(),
    })
}

impl Monitor for TraceRecorder {
    fn computation_started(&self, stages: &[StageInfo], started: Instant) {
        let mut meta = self.lock_meta();
        let origin = *meta.origin.get_or_insert(started);
        let labels = stages.iter().map(|s| meta.intern(&s.label)).collect();
        let computation = u32::try_from(meta.computations).unwrap_or(u32::MAX);
        meta.computations = meta.computations.saturating_add(1);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Current {
            computation,
            offset_ns: nanos(started.saturating_duration_since(origin)),
            labels,
        };
    }

    fn task_finished(&self, record: &TaskRecord) {
        if self.claimed.load(Ordering::Relaxed) >= self.capacity
            || self.claimed.fetch_add(1, Ordering::Relaxed) >= self.capacity
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let compact = {
            let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
            Compact {
                computation: current.computation,
                stage: u32::try_from(record.stage).unwrap_or(u32::MAX),
                label: current.labels.get(record.stage).copied().unwrap_or(UNKNOWN),
                thread: u32::try_from(record.thread).unwrap_or(u32::MAX),
                worker: u32::try_from(record.worker).unwrap_or(u32::MAX),
                task: record.task as u64,
                start_ns: current.offset_ns.saturating_add(nanos(record.start)),
                end_ns: current.offset_ns.saturating_add(nanos(record.end)),
            }
        };
        self.shards[record.thread % SHARDS]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(compact);
    }

    fn computation_finished(&self, report: Option<&RunReport>) {
        let mut meta = self.lock_meta();
        match report {
            Some(r) => meta.report = Some(r.clone()),
            None => meta.failed = meta.failed.saturating_add(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_record_is_48_bytes() {
        assert_eq!(std::mem::size_of::<Compact>(), 48);
    }

    #[test]
    fn labels_are_bounded() {
        let mut meta = Meta::default();
        for i in 0..MAX_LABELS + 10 {
            meta.intern(&format!("op{i}"));
        }
        assert_eq!(meta.labels.len(), MAX_LABELS + 1);
        let id = meta.intern("op999999");
        assert_eq!(&*meta.label(id), "(other)");
        assert_eq!(&*meta.label(UNKNOWN), "(unknown)");
    }

    #[test]
    fn tasks_of_unknown_stages_are_kept_as_unknown() {
        let trace = TraceRecorder::new();
        trace.task_finished(&TaskRecord {
            stage: 3,
            label: Arc::from("x"),
            task: 0,
            thread: 70,
            worker: 1,
            start: Duration::from_micros(5),
            end: Duration::from_micros(9),
        });
        let v: Value = serde_json::from_str(&trace.to_json()).unwrap();
        let events = v["traceEvents"].as_array().unwrap();
        let x: Vec<_> = events.iter().filter(|e| e["ph"] == "X").collect();
        assert_eq!(x.len(), 1);
        assert_eq!(x[0]["name"], "(unknown)");
        assert_eq!(x[0]["ts"], 5.0);
        assert_eq!(x[0]["dur"], 4.0);
    }
}
