//! A live status page for a client, like Dask's dashboard (opt-in).
//!
//! A [`Dashboard`] is a [`Monitor`] registered on a [`Client`] plus a small HTTP server
//! ([`tiny_http`]) on its own thread. Turn it on with [`DashboardExt::dashboard`] on the
//! client builder and open [`Client::dashboard_url`] in a browser:
//!
//! ```
//! use spillway::{Client, DashboardExt};
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
//!   "spill": {                                // spill files, of finished computations
//!     "supported": true, "note": "counted as each computation finishes",
//!     "spilled_bytes": 104857600,             // written to spill files (on disk)
//!     "read_bytes": 52428800,                 // read back from them
//!     "computations": 7                       // finished computations counted
//!   },
//!   "computations": [                         // oldest first, at most 12
//!     {
//!       "id": 3, "status": "running",         // "running" | "done" | "failed"
//!       "started": 11.9, "seconds": null,     // wall time once ended
//!       "tasks": 30, "done": 12,
//!       "peak_reserved": null,                // from the run report once done
//!       "spilled_bytes": null,                // spilled and read back, from the run
//!       "reread_bytes": null,                 // report once done
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
//! entries appear, and in every sample they sum to its total. Task records carry no
//! computation id: when several computations run on one client at the same time, a record
//! is counted for the most recently started running computation whose stage has the
//! record's label.
//!
//! Spilled and re-read bytes come from each computation's [`RunReport`] (its `io`
//! counters), so they count once a computation finishes; a failed computation has no
//! report and adds nothing.
//!
//! # Rooms
//!
//! This file holds the [`Dashboard`] handle (start, stop, status page); `state.rs` what is
//! kept and the monitor that keeps it; `json.rs` the document; `http.rs` the server;
//! `attach.rs` the builder extension [`DashboardExt`].

mod attach;
mod http;
mod json;
mod state;

pub use attach::{DEFAULT_DASHBOARD_ADDRESS, DashboardExt};

use crate::exec::client::{Client, RuntimeError, StatusPage, WeakClient};
use crate::exec::monitor::Monitor;
#[cfg(doc)]
use crate::exec::report::RunReport;
use serde_json::Value;
use state::{ClientSummary, Shared, State};
use std::fmt;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
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
/// How long `stop` waits for the port to be released.
const RELEASE_WAIT: Duration = Duration::from_secs(2);

/// A live status page for a [`Client`]: a [`Monitor`] on the client plus an HTTP server on
/// its own thread. See the [module docs](self) for the routes and the JSON schema.
///
/// Most code turns it on with [`DashboardExt::dashboard`] on the client builder, which also puts
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
        let (server, bound) = http::bind(address)?;
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
                .spawn(move || http::serve(&server, &shared, &stop_flag))
                .map_err(|e| RuntimeError::DashboardAddress {
                    address: bound.to_string(),
                    reason: format!("cannot start the server thread: {e}"),
                })?
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
    /// assert_eq!(status["spill"]["spilled_bytes"], 0); // nothing spilled yet
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

/// The client's status page: its URL in the client's summary, stopped by `close`.
impl StatusPage for Dashboard {
    fn url(&self) -> String {
        self.shared.url.clone()
    }

    fn stop(&self) {
        Dashboard::stop(self);
    }
}
