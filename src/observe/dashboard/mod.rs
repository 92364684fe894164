//! A live status page for a client, like Dask's dashboard (opt-in).
//!
//! A [`Dashboard`] is a [`Monitor`] registered on a [`Client`] plus a small HTTP server
//! ([`tiny_http`]) on its own thread. Turn it on with
//! [`ClientBuilder::dashboard`](crate::exec::client::ClientBuilder::dashboard) and open
//! [`Client::dashboard_url`] in a browser:
//!
//! ```
//! use spillway::Client;
//!
//! let client = Client::builder()
//!     .n_workers(1)
//!     .threads_per_worker(2)
//!     .memory_limit("64MB")
//!     .dashboard("127.0.0.1:0") // port 0: the OS picks a free one
//!     .build()?;
//! let url = client.dashboard_url().unwrap();
//! assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/status"));
//! spillway::ones::<f64>(100, 10).sum().compute_on(&client)?;
//! client.close(); // stops the server and frees the port
//! assert_eq!(client.dashboard_url(), None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Routes
//!
//! - `GET /` and `GET /status`: one self-contained HTML page (inline CSS and JavaScript,
//!   no external assets) that polls `/status.json` every 500 ms and draws the progress of
//!   each stage, the memory reserved against the budget over time, the bytes spilled and
//!   read back, and the task stream (one row per worker thread, one bar per task,
//!   coloured by op).
//! - `GET /status.json`: the state, as below.
//!
//! Anything else is `404`; methods other than `GET` and `HEAD` are `405`. The server has no
//! authentication: keep it on a loopback address (the default) or tunnel to it, as with
//! Dask's dashboard.
//!
//! # `/status.json`
//!
//! Times are seconds (floating point) since the dashboard started; sizes are bytes.
//!
//! ```text
//! {
//!   "version": 1,
//!   "now": 12.5,                              // seconds since the dashboard started
//!   "client": {
//!     "connection": "in-process",             // a local cluster in this process
//!     "workers": 2, "threads_per_worker": 2, "total_threads": 4,
//!     "memory_limit_per_worker": 1000000000, "total_memory": 2000000000,
//!     "dashboard": "http://127.0.0.1:8787/status"
//!   },
//!   "memory": {
//!     "limit": 2000000000,                    // the client's budget (= total_memory)
//!     "reserved": 123456,                     // reserved now
//!     "peak": 234567,                         // the most reserved since the last computation started
//!     "shared_by_workers": true,              // one budget for all workers of the process
//!     "samples": [[12.25, 123456], ...],      // [time, reserved], oldest first, at most 1200
//!     "worker_samples": [                     // the same samples, split by worker
//!       [12.25, 123456, {"0": 100000, "1": 23000, "client": 456}], ...
//!     ]                                       // [time, reserved, {worker: bytes}]
//!   },
//!   "spill": {
//!     "supported": false, "note": "not yet in this version",
//!     "spilled_bytes": 0, "read_bytes": 0
//!   },
//!   "computations": [                         // oldest first, at most 12
//!     {
//!       "id": 3, "status": "running",         // "running" | "done" | "failed"
//!       "started": 11.9, "seconds": null,     // wall time once ended
//!       "tasks": 30, "done": 12,
//!       "peak_reserved": null,                // from the run report once done
//!       "stages": [
//!         { "index": 0, "label": "sum", "tasks": 20, "done": 12,
//!           "status": "running",              // "pending" | "running" | "done" | "failed"
//!           "workers": 4,                     // worker threads it runs on, once started
//!           "worker_bytes": 65536,            // projected bytes per worker thread
//!           "stage_bytes": 160,               // projected bytes the stage holds
//!           "seconds": null }
//!       ]
//!     }
//!   ],
//!   "tasks": {
//!     "cap": 1000,                            // records kept
//!     "seen": 5210,                           // records received in all
//!     "records": [                            // the most recent ones, oldest first
//!       { "computation": 3, "stage": 0, "label": "sum", "task": 11,
//!         "worker": 1, "thread": 2, "start": 12.01, "end": 12.02 }
//!     ]
//!   }
//! }
//! ```
//!
//! Memory stays bounded: at most [`MAX_COMPUTATIONS`] computations,
//! [`MAX_TASK_RECORDS`] task records and [`MAX_MEMORY_SAMPLES`] samples are kept.
//!
//! The budget is one pool shared by all the workers of the process; it tallies reserved
//! bytes by the pool thread that registered each reservation
//! ([`MemoryBudget::reserved_by_thread`]), and each sample maps those threads to workers
//! ([`Client::worker_of_thread`]). `worker_samples` (added in this version; `samples` is
//! unchanged) keys each worker by its index as a string, `"0"` to `"n_workers - 1"`, and
//! bytes reserved outside the pool (by the calling thread) as `"client"`; only non-zero
//! entries appear, and in every sample they sum to its total. Task records carry no computation id: when several computations run on one
//! client at the same time, a record is counted for the most recently started running
//! computation whose stage has the record's label.

use crate::exec::budget::MemoryBudget;
use crate::exec::monitor::{Monitor, StageInfo, TaskRecord};
use crate::exec::report::RunReport;
use crate::exec::client::{Client, RuntimeError, WeakClient};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::fmt;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Computations kept (the oldest finished ones are dropped first).
///
/// ```
/// assert_eq!(spillway::observe::dashboard::MAX_COMPUTATIONS, 12);
/// ```
pub const MAX_COMPUTATIONS: usize = 12;
/// Task records kept for the task stream (the oldest are dropped first); the JSON's
/// `tasks.cap`.
///
/// ```
/// # let client = spillway::Client::builder().n_workers(1).memory_limit("64MB").build()?;
/// # let d = spillway::observe::dashboard::Dashboard::start(&client, "127.0.0.1:0")?;
/// use spillway::observe::dashboard::MAX_TASK_RECORDS;
/// assert_eq!(d.status_json()["tasks"]["cap"], MAX_TASK_RECORDS);
/// # d.stop(); client.close();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const MAX_TASK_RECORDS: usize = 1000;
/// Memory samples kept: one every 250 ms while idle, and while tasks run at most one
/// every 50 ms (one to two minutes of history).
///
/// ```
/// assert!(spillway::observe::dashboard::MAX_MEMORY_SAMPLES >= 480);
/// ```
pub const MAX_MEMORY_SAMPLES: usize = 1200;
/// How often the server thread samples the budget.
const SAMPLE_EVERY: Duration = Duration::from_millis(250);
/// The least time between two samples taken as tasks finish.
const TASK_SAMPLE_EVERY: f64 = 0.05;
/// How long `stop` waits for the port to be released.
const RELEASE_WAIT: Duration = Duration::from_secs(2);

/// The page served at `/`.
const PAGE: &str = include_str!("dashboard.html");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Pending,
    Running,
    Done,
    Failed,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Pending => "pending",
            Phase::Running => "running",
            Phase::Done => "done",
            Phase::Failed => "failed",
        }
    }
}

struct StageEntry {
    label: String,
    tasks: usize,
    done: usize,
    workers: Option<usize>,
    worker_bytes: u64,
    stage_bytes: u64,
    phase: Phase,
    seconds: Option<f64>,
}

struct Computation {
    id: u64,
    /// Its time origin, relative to the dashboard's.
    offset: Duration,
    phase: Phase,
    seconds: Option<f64>,
    peak_reserved: Option<u64>,
    stages: Vec<StageEntry>,
}

impl Computation {
    fn has_stage(&self, index: usize, label: &str) -> bool {
        self.stages.get(index).is_some_and(|s| s.label == label)
    }
}

struct TaskEntry {
    computation: u64,
    stage: usize,
    label: Arc<str>,
    task: usize,
    worker: usize,
    thread: usize,
    start: f64,
    end: f64,
}

#[derive(Default)]
struct State {
    next_id: u64,
    computations: VecDeque<Computation>,
    tasks: VecDeque<TaskEntry>,
    tasks_seen: u64,
    samples: VecDeque<Sample>,
    /// When the last sample was taken as a task finished.
    last_task_sample: f64,
}

impl State {
    /// The most recent running computation that has stage `index` labelled `label`.
    fn running_with(&mut self, index: usize, label: &str) -> Option<&mut Computation> {
        self.computations
            .iter_mut()
            .rev()
            .find(|c| c.phase == Phase::Running && c.has_stage(index, label))
    }

    fn push_sample(&mut self, at: f64, sample: Snapshot) {
        if self.samples.len() >= MAX_MEMORY_SAMPLES {
            self.samples.pop_front();
        }
        self.samples.push_back(Sample {
            at,
            reserved: sample.reserved,
            by_worker: sample.by_worker,
        });
    }
}

/// Who holds reserved bytes, for the memory chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Holder {
    /// A worker of the client, by index.
    Worker(usize),
    /// A thread outside the client's pool (the caller).
    Client,
}

impl Holder {
    fn key(self) -> String {
        match self {
            Holder::Worker(w) => w.to_string(),
            Holder::Client => "client".to_string(),
        }
    }
}

/// The budget at one instant: the total and its split by worker (which sums to it).
struct Snapshot {
    reserved: u64,
    by_worker: Vec<(Holder, u64)>,
}

/// One memory sample.
struct Sample {
    at: f64,
    reserved: u64,
    by_worker: Vec<(Holder, u64)>,
}

/// What the page shows about the client (fixed while the dashboard runs).
struct ClientSummary {
    workers: usize,
    threads_per_worker: usize,
    memory_limit_per_worker: u64,
}

/// The monitor half: shared by the client (as a monitor) and the server thread.
struct Shared {
    origin: Instant,
    budget: MemoryBudget,
    summary: ClientSummary,
    url: String,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> f64 {
        self.origin.elapsed().as_secs_f64()
    }

    /// The budget now, split by worker: pool threads map to workers as
    /// [`Client::worker_of_thread`] does; threads outside the pool (and any index past the
    /// last worker's threads) count as the client. The total is the sum of the breakdown,
    /// which the budget takes under the lock that guards its total.
    fn snapshot(&self) -> Snapshot {
        let per_worker = self.summary.threads_per_worker.max(1);
        let mut by_worker: Vec<(Holder, u64)> = Vec::new();
        for (thread, bytes) in self.budget.reserved_by_thread() {
            let holder = match thread.map(|t| t / per_worker) {
                Some(w) if w < self.summary.workers => Holder::Worker(w),
                _ => Holder::Client,
            };
            match by_worker.iter_mut().find(|(h, _)| *h == holder) {
                Some((_, b)) => *b += bytes,
                None => by_worker.push((holder, bytes)),
            }
        }
        by_worker.sort();
        Snapshot {
            reserved: by_worker.iter().map(|&(_, b)| b).sum(),
            by_worker,
        }
    }

    fn sample(&self) {
        let sample = self.snapshot();
        let at = self.now();
        self.lock().push_sample(at, sample);
    }

    fn status_json(&self) -> Value {
        let reserved = self.budget.reserved();
        let peak = self.budget.peak_reserved();
        let limit = self.budget.limit();
        let now = self.now();
        let s = &self.summary;
        let state = self.lock();
        let computations: Vec<Value> = state
            .computations
            .iter()
            .map(|c| {
                let tasks: usize = c.stages.iter().map(|s| s.tasks).sum();
                let done: usize = c.stages.iter().map(|s| s.done).sum();
                let stages: Vec<Value> = c
                    .stages
                    .iter()
                    .enumerate()
                    .map(|(index, st)| {
                        json!({
                            "index": index,
                            "label": st.label,
                            "tasks": st.tasks,
                            "done": st.done,
                            "status": st.phase.name(),
                            "workers": st.workers,
                            "worker_bytes": st.worker_bytes,
                            "stage_bytes": st.stage_bytes,
                            "seconds": st.seconds,
                        })
                    })
                    .collect();
                json!({
                    "id": c.id,
                    "status": c.phase.name(),
                    "started": c.offset.as_secs_f64(),
                    "seconds": c.seconds,
                    "tasks": tasks,
                    "done": done,
                    "peak_reserved": c.peak_reserved,
                    "stages": stages,
                })
            })
            .collect();
        let records: Vec<Value> = state
            .tasks
            .iter()
            .map(|t| {
                json!({
                    "computation": t.computation,
                    "stage": t.stage,
                    "label": &*t.label,
                    "task": t.task,
                    "worker": t.worker,
                    "thread": t.thread,
                    "start": t.start,
                    "end": t.end,
                })
            })
            .collect();
        let samples: Vec<Value> = state
            .samples
            .iter()
            .map(|s| json!([s.at, s.reserved]))
            .collect();
        let worker_samples: Vec<Value> = state
            .samples
            .iter()
            .map(|s| {
                let split: serde_json::Map<String, Value> = s
                    .by_worker
                    .iter()
                    .map(|&(h, b)| (h.key(), json!(b)))
                    .collect();
                json!([s.at, s.reserved, split])
            })
            .collect();
        json!({
            "version": 1,
            "now": now,
            "client": {
                "connection": "in-process",
                "workers": s.workers,
                "threads_per_worker": s.threads_per_worker,
                "total_threads": s.workers * s.threads_per_worker,
                "memory_limit_per_worker": s.memory_limit_per_worker,
                "total_memory": limit,
                "dashboard": self.url,
            },
            "memory": {
                "limit": limit,
                "reserved": reserved,
                "peak": peak,
                "shared_by_workers": true,
                "samples": samples,
                "worker_samples": worker_samples,
            },
            "spill": {
                "supported": false,
                "note": "not yet in this version",
                "spilled_bytes": 0,
                "read_bytes": 0,
            },
            "computations": computations,
            "tasks": {
                "cap": MAX_TASK_RECORDS,
                "seen": state.tasks_seen,
                "records": records,
            },
        })
    }
}

impl Monitor for Shared {
    fn computation_started(&self, stages: &[StageInfo], started: Instant) {
        let offset = started.saturating_duration_since(self.origin);
        let reserved = self.snapshot();
        let mut state = self.lock();
        state.next_id += 1;
        let id = state.next_id;
        if state.computations.len() >= MAX_COMPUTATIONS {
            let oldest_ended = state
                .computations
                .iter()
                .position(|c| c.phase != Phase::Running)
                .unwrap_or(0);
            state.computations.remove(oldest_ended);
        }
        state.computations.push_back(Computation {
            id,
            offset,
            phase: Phase::Running,
            seconds: None,
            peak_reserved: None,
            stages: stages
                .iter()
                .map(|info| StageEntry {
                    label: info.label.clone(),
                    tasks: info.tasks,
                    done: 0,
                    workers: None,
                    worker_bytes: info.worker_bytes,
                    stage_bytes: info.stage_bytes,
                    phase: Phase::Pending,
                    seconds: None,
                })
                .collect(),
        });
        state.push_sample(offset.as_secs_f64(), reserved);
    }

    fn stage_started(&self, index: usize, info: &StageInfo, workers: usize) {
        let reserved = self.snapshot();
        let at = self.now();
        let mut state = self.lock();
        state.push_sample(at, reserved);
        if let Some(stage) = state
            .running_with(index, &info.label)
            .and_then(|c| c.stages.get_mut(index))
        {
            stage.phase = Phase::Running;
            stage.workers = Some(workers);
        }
    }

    fn task_finished(&self, record: &TaskRecord) {
        let at = self.now();
        let mut state = self.lock();
        state.tasks_seen += 1;
        // Sample the budget while the workers hold their reservations.
        if at - state.last_task_sample >= TASK_SAMPLE_EVERY {
            state.last_task_sample = at;
            let reserved = self.snapshot();
            state.push_sample(at, reserved);
        }
        let Some(computation) = state.running_with(record.stage, &record.label) else {
            return;
        };
        let (id, offset) = (computation.id, computation.offset);
        if let Some(stage) = computation.stages.get_mut(record.stage) {
            stage.done = (stage.done + 1).min(stage.tasks);
        }
        if state.tasks.len() >= MAX_TASK_RECORDS {
            state.tasks.pop_front();
        }
        state.tasks.push_back(TaskEntry {
            computation: id,
            stage: record.stage,
            label: record.label.clone(),
            task: record.task,
            worker: record.worker,
            thread: record.thread,
            start: (offset + record.start).as_secs_f64(),
            end: (offset + record.end).as_secs_f64(),
        });
    }

    fn stage_finished(&self, index: usize, info: &StageInfo, seconds: f64) {
        let reserved = self.snapshot();
        let at = self.now();
        let mut state = self.lock();
        if let Some(stage) = state
            .running_with(index, &info.label)
            .and_then(|c| c.stages.get_mut(index))
        {
            stage.phase = Phase::Done;
            stage.done = stage.tasks;
            stage.seconds = Some(seconds);
        }
        state.push_sample(at, reserved);
    }

    fn computation_finished(&self, report: Option<&RunReport>) {
        let reserved = self.snapshot();
        let at = self.now();
        let mut state = self.lock();
        let mut running = state
            .computations
            .iter_mut()
            .rev()
            .filter(|c| c.phase == Phase::Running);
        let found = match report {
            Some(report) => running.find(|c| {
                c.stages.len() == report.stages.len()
                    && c.stages
                        .iter()
                        .zip(&report.stages)
                        .all(|(a, b)| a.label == b.label)
            }),
            // A failed one: the latest in a stage, else the latest (it failed before its
            // first stage started).
            None => {
                let candidates: Vec<&mut Computation> = running.collect();
                let in_stage = candidates
                    .iter()
                    .position(|c| c.stages.iter().any(|s| s.phase == Phase::Running))
                    .unwrap_or(0);
                candidates.into_iter().nth(in_stage)
            }
        };
        if let Some(c) = found {
            match report {
                Some(report) => {
                    c.phase = Phase::Done;
                    c.seconds = Some(report.seconds);
                    c.peak_reserved = Some(report.peak_reserved_bytes);
                }
                None => {
                    c.phase = Phase::Failed;
                    c.seconds = Some((at - c.offset.as_secs_f64()).max(0.0));
                    for stage in &mut c.stages {
                        if stage.phase == Phase::Running {
                            stage.phase = Phase::Failed;
                        }
                    }
                }
            }
        }
        state.push_sample(at, reserved);
    }
}

/// A live status page for a [`Client`]: a [`Monitor`] on the client plus an HTTP server on
/// its own thread. See the [module docs](self) for the routes and the JSON schema.
///
/// Most code turns it on with
/// [`ClientBuilder::dashboard`](crate::exec::client::ClientBuilder::dashboard), which also puts
/// the URL in the client's `Display` and stops the server on [`Client::close`]. A dashboard
/// started by hand with [`Dashboard::start`] runs until [`Dashboard::stop`] or until it is
/// dropped.
///
/// ```
/// use spillway::Client;
/// use spillway::observe::dashboard::Dashboard;
///
/// let client = Client::builder().n_workers(1).threads_per_worker(1).memory_limit("64MB").build()?;
/// let dashboard = Dashboard::start(&client, "127.0.0.1:0")?;
/// spillway::ones::<f64>(40, 10).sum().compute_on(&client)?;
/// let status = dashboard.status_json();
/// assert_eq!(status["computations"][0]["done"], 4);
/// dashboard.stop();
/// client.close();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Dashboard {
    shared: Arc<Shared>,
    address: SocketAddr,
    client: WeakClient,
    monitor: Arc<dyn Monitor>,
    stop_flag: Arc<AtomicBool>,
    server: Mutex<Option<(Arc<tiny_http::Server>, JoinHandle<()>)>>,
}

/// Turns `":8787"` into `"127.0.0.1:8787"`.
fn normalise(address: &str) -> String {
    let address = address.trim();
    if address.starts_with(':') {
        format!("127.0.0.1{address}")
    } else {
        address.to_string()
    }
}

impl Dashboard {
    /// Binds `address` (such as `"127.0.0.1:8787"`, `"127.0.0.1:0"` for a port the OS
    /// picks, or `":8787"` for loopback), registers the dashboard's monitor on `client`
    /// and starts serving on a thread of its own.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::DashboardAddressInUse`] when another program holds the port, and
    /// [`RuntimeError::DashboardAddress`] when the address does not parse or cannot be
    /// bound for another reason.
    ///
    /// ```
    /// use spillway::{Client, RuntimeError};
    /// use spillway::observe::dashboard::Dashboard;
    ///
    /// let client = Client::builder().n_workers(1).threads_per_worker(1).memory_limit("64MB").build()?;
    /// let first = Dashboard::start(&client, "127.0.0.1:0")?;
    /// let taken = first.address().to_string();
    /// let err = Dashboard::start(&client, &taken).err().unwrap();
    /// assert!(matches!(err, RuntimeError::DashboardAddressInUse { .. }));
    /// assert!(matches!(
    ///     Dashboard::start(&client, "no port here"),
    ///     Err(RuntimeError::DashboardAddress { .. })
    /// ));
    /// first.stop();
    /// client.close();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start(client: &Client, address: &str) -> Result<Dashboard, RuntimeError> {
        let address = normalise(address);
        let bad = |reason: String| RuntimeError::DashboardAddress {
            address: address.clone(),
            reason,
        };
        let candidates: Vec<SocketAddr> = address
            .to_socket_addrs()
            .map_err(|e| bad(e.to_string()))?
            .collect();
        if candidates.is_empty() {
            return Err(bad("it resolves to no socket address".to_string()));
        }
        let listener = TcpListener::bind(candidates.as_slice()).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                RuntimeError::DashboardAddressInUse {
                    address: address.clone(),
                }
            } else {
                bad(e.to_string())
            }
        })?;
        let bound = listener.local_addr().map_err(|e| bad(e.to_string()))?;
        let server =
            tiny_http::Server::from_listener(listener, None).map_err(|e| bad(e.to_string()))?;
        let server = Arc::new(server);
        let url_host = if bound.ip().is_unspecified() {
            SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), bound.port())
        } else {
            bound
        };
        let shared = Arc::new(Shared {
            origin: Instant::now(),
            budget: client.budget().clone(),
            summary: ClientSummary {
                workers: client.n_workers(),
                threads_per_worker: client.threads_per_worker(),
                memory_limit_per_worker: client.memory_limit_per_worker(),
            },
            url: format!("http://{url_host}/status"),
            state: Mutex::new(State::default()),
        });
        shared.sample();
        let stop_flag = Arc::new(AtomicBool::new(false));
        let thread = {
            let shared = shared.clone();
            let server = server.clone();
            let stop_flag = stop_flag.clone();
            std::thread::Builder::new()
                .name("spillway-dashboard".to_string())
                .spawn(move || serve(&server, &shared, &stop_flag))
                .map_err(|e| bad(format!("cannot start the server thread: {e}")))?
        };
        let monitor: Arc<dyn Monitor> = shared.clone();
        client.add_monitor(monitor.clone());
        Ok(Dashboard {
            shared,
            address: bound,
            client: client.downgrade(),
            monitor,
            stop_flag,
            server: Mutex::new(Some((server, thread))),
        })
    }

    /// The address the server is bound to (with the port the OS picked for port 0).
    ///
    /// ```
    /// # let client = spillway::Client::builder().n_workers(1).memory_limit("64MB").build()?;
    /// let d = spillway::observe::dashboard::Dashboard::start(&client, "127.0.0.1:0")?;
    /// assert_ne!(d.address().port(), 0);
    /// # d.stop(); client.close();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The page's URL, `http://HOST:PORT/status` (like Dask's dashboard link).
    ///
    /// ```
    /// # let client = spillway::Client::builder().n_workers(1).memory_limit("64MB").build()?;
    /// let d = spillway::observe::dashboard::Dashboard::start(&client, "127.0.0.1:0")?;
    /// assert_eq!(d.url(), format!("http://127.0.0.1:{}/status", d.address().port()));
    /// # d.stop(); client.close();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn url(&self) -> &str {
        &self.shared.url
    }

    /// The document served at `/status.json`, built now (see the [module docs](self)).
    ///
    /// ```
    /// # let client = spillway::Client::builder().n_workers(1).memory_limit("64MB").build()?;
    /// let d = spillway::observe::dashboard::Dashboard::start(&client, "127.0.0.1:0")?;
    /// let status = d.status_json();
    /// assert_eq!(status["memory"]["limit"], client.total_memory());
    /// assert_eq!(status["spill"]["spilled_bytes"], 0);
    /// # d.stop(); client.close();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status_json(&self) -> Value {
        self.shared.status_json()
    }

    /// Whether the server is still serving.
    ///
    /// ```
    /// # let client = spillway::Client::builder().n_workers(1).memory_limit("64MB").build()?;
    /// let d = spillway::observe::dashboard::Dashboard::start(&client, "127.0.0.1:0")?;
    /// assert!(d.is_running());
    /// d.stop();
    /// assert!(!d.is_running());
    /// # client.close();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_running(&self) -> bool {
        self.server
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// Stops the server (idempotent): unregisters the monitor, ends the server thread and
    /// returns once the port can be bound again (waiting at most two seconds for the
    /// listener to close).
    ///
    /// ```
    /// # let client = spillway::Client::builder().n_workers(1).memory_limit("64MB").build()?;
    /// let d = spillway::observe::dashboard::Dashboard::start(&client, "127.0.0.1:0")?;
    /// let address = d.address();
    /// d.stop();
    /// d.stop();
    /// assert!(std::net::TcpListener::bind(address).is_ok());
    /// # client.close();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stop(&self) {
        let taken = self
            .server
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some((server, thread)) = taken else {
            return;
        };
        if let Some(client) = self.client.upgrade() {
            client.remove_monitor(&self.monitor);
        }
        self.stop_flag.store(true, Ordering::Release);
        server.unblock();
        // The thread catches panics per request; a join error would mean it died anyway.
        let _ = thread.join();
        // Dropping the last handle closes tiny_http's accept thread, which owns the socket.
        drop(server);
        let deadline = Instant::now() + RELEASE_WAIT;
        while Instant::now() < deadline {
            if TcpListener::bind(self.address).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        self.stop();
    }
}

impl fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dashboard")
            .field("url", &self.shared.url)
            .field("running", &self.is_running())
            .finish()
    }
}

/// The server loop: answers requests and samples the budget until stopped.
fn serve(server: &tiny_http::Server, shared: &Shared, stop: &AtomicBool) {
    let mut next_sample = Instant::now() + SAMPLE_EVERY;
    while !stop.load(Ordering::Acquire) {
        let wait = next_sample.saturating_duration_since(Instant::now());
        match server.recv_timeout(wait) {
            Ok(Some(request)) => {
                // A panic while answering one request must not end the server.
                let _ = catch_unwind(AssertUnwindSafe(|| answer(request, shared)));
            }
            Ok(None) => {}
            // The listener failed (or was unblocked): nothing more will arrive.
            Err(_) => {
                if stop.load(Ordering::Acquire) {
                    return;
                }
                std::thread::sleep(SAMPLE_EVERY);
            }
        }
        if Instant::now() >= next_sample {
            let _ = catch_unwind(AssertUnwindSafe(|| shared.sample()));
            next_sample = Instant::now() + SAMPLE_EVERY;
        }
    }
}

fn header(name: &str, value: &str) -> Option<tiny_http::Header> {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

/// Answers one request.
fn answer(request: tiny_http::Request, shared: &Shared) {
    use tiny_http::{Method, Response};
    let method = request.method().clone();
    if method != Method::Get && method != Method::Head {
        let mut response = Response::from_string("only GET is supported\n").with_status_code(405);
        if let Some(h) = header("Allow", "GET, HEAD") {
            response.add_header(h);
        }
        send(request, response);
        return;
    }
    let path = request.url().split(['?', '#']).next().unwrap_or("/");
    let (body, content_type, status) = match path {
        "/" | "/status" | "/index.html" => (PAGE.to_string(), "text/html; charset=utf-8", 200),
        "/status.json" => (shared.status_json().to_string(), "application/json", 200),
        _ => (
            "not found: try / or /status.json\n".to_string(),
            "text/plain; charset=utf-8",
            404,
        ),
    };
    let mut response = Response::from_string(body).with_status_code(status);
    for h in [
        header("Content-Type", content_type),
        header("Cache-Control", "no-store"),
    ]
    .into_iter()
    .flatten()
    {
        response.add_header(h);
    }
    send(request, response);
}

/// Writes the response on a thread of its own, so a browser that stops reading cannot
/// stall the server (or `stop`, which waits for the server thread); write errors (a client
/// that went away) are ignored.
fn send(request: tiny_http::Request, response: tiny_http::Response<std::io::Cursor<Vec<u8>>>) {
    let slot = Arc::new(Mutex::new(Some((request, response))));
    let theirs = slot.clone();
    let spawned = std::thread::Builder::new()
        .name("spillway-dashboard-reply".to_string())
        .spawn(move || {
            let taken = theirs.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some((request, response)) = taken {
                let _ = request.respond(response);
            }
        });
    if spawned.is_err() {
        // No thread to spare: answer here.
        let taken = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some((request, response)) = taken {
            let _ = request.respond(response);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::exec::budget::Reservation;
    use super::*;

    fn shared() -> Shared {
        Shared {
            origin: Instant::now(),
            budget: MemoryBudget::new(1000),
            summary: ClientSummary {
                workers: 1,
                threads_per_worker: 2,
                memory_limit_per_worker: 1000,
            },
            url: "http://127.0.0.1:1/status".to_string(),
            state: Mutex::new(State::default()),
        }
    }

    fn info(label: &str, tasks: usize) -> StageInfo {
        StageInfo {
            label: label.to_string(),
            tasks,
            worker_bytes: 8,
            stage_bytes: 16,
            work_bytes: 0,
        }
    }

    fn record(stage: usize, label: &str, task: usize) -> TaskRecord {
        TaskRecord {
            stage,
            label: Arc::from(label),
            task,
            thread: task % 2,
            worker: 0,
            start: Duration::from_millis(task as u64),
            end: Duration::from_millis(task as u64 + 1),
        }
    }

    #[test]
    fn a_failed_computation_is_marked_failed() {
        let s = shared();
        let stages = [info("add", 3), info("sum", 1)];
        s.computation_started(&stages, Instant::now());
        s.stage_started(0, &stages[0], 2);
        s.task_finished(&record(0, "add", 0));
        s.computation_finished(None);
        let json = s.status_json();
        let c = &json["computations"][0];
        assert_eq!(c["status"], "failed");
        assert_eq!(c["done"], 1);
        assert_eq!(c["tasks"], 4);
        assert_eq!(c["stages"][0]["status"], "failed");
        assert_eq!(c["stages"][0]["workers"], 2);
        assert_eq!(c["stages"][1]["status"], "pending");

        // Failing before the first stage started still ends the computation.
        s.computation_started(&stages, Instant::now());
        s.computation_finished(None);
        assert_eq!(s.status_json()["computations"][1]["status"], "failed");
    }

    #[test]
    fn records_and_computations_are_capped() {
        let s = shared();
        let stages = [info("map", MAX_TASK_RECORDS + 50)];
        for _ in 0..MAX_COMPUTATIONS + 3 {
            s.computation_started(&stages, Instant::now());
            s.computation_finished(Some(&RunReport {
                stages: vec![crate::exec::report::StageReport {
                    label: "map".into(),
                    tasks: 0,
                    seconds: 0.0,
                }],
                ..RunReport::default()
            }));
        }
        s.computation_started(&stages, Instant::now());
        for task in 0..MAX_TASK_RECORDS + 50 {
            s.task_finished(&record(0, "map", task));
        }
        // A record of no running computation is counted but not kept.
        s.task_finished(&record(3, "other", 0));
        for _ in 0..MAX_MEMORY_SAMPLES + 10 {
            s.sample();
        }
        let json = s.status_json();
        let computations = json["computations"].as_array().unwrap();
        assert_eq!(computations.len(), MAX_COMPUTATIONS);
        assert!(
            computations[..MAX_COMPUTATIONS - 1]
                .iter()
                .all(|c| c["status"] == "done")
        );
        let last = &computations[MAX_COMPUTATIONS - 1];
        assert_eq!(last["status"], "running");
        assert_eq!(last["done"], MAX_TASK_RECORDS + 50);
        let records = json["tasks"]["records"].as_array().unwrap();
        assert_eq!(records.len(), MAX_TASK_RECORDS);
        assert_eq!(records[0]["task"], 50);
        assert_eq!(json["tasks"]["seen"], MAX_TASK_RECORDS + 51);
        assert_eq!(
            json["memory"]["samples"].as_array().unwrap().len(),
            MAX_MEMORY_SAMPLES
        );
    }

    #[test]
    fn samples_split_memory_by_worker() {
        let s = shared();
        let mut caller = s.budget.consumer("caller").register();
        caller.try_grow(5).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        // Threads 0 and 1 are worker 0's; thread 2 is past the client's threads.
        let held: Vec<Reservation> = pool.broadcast(|ctx| {
            let mut r = s.budget.consumer("task").register();
            r.try_grow(10 * (ctx.index() as u64 + 1)).unwrap();
            r
        });
        s.sample();
        let json = s.status_json();
        let last = json["memory"]["worker_samples"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last[1], 65);
        assert_eq!(last[2], json!({"0": 30, "client": 35}));
        assert_eq!(
            json["memory"]["samples"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()[1],
            65
        );
        drop(held);
        drop(caller);
        s.sample();
        let json = s.status_json();
        let last = json["memory"]["worker_samples"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last[1], 0);
        assert_eq!(last[2], json!({}));
    }

    #[test]
    fn addresses_are_normalised() {
        assert_eq!(normalise(":8787"), "127.0.0.1:8787");
        assert_eq!(normalise(" 127.0.0.1:0 "), "127.0.0.1:0");
    }
}
