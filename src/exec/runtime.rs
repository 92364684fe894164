//! The local runtime, shaped like Dask's
//! `Client(n_workers=2, threads_per_worker=2, memory_limit='1GB')`.
//!
//! A [`Client`] owns one rayon thread pool of `n_workers × threads_per_worker`
//! threads and one [`MemoryBudget`] of `n_workers × memory_limit` bytes. Workers
//! are a way of sizing the runtime the way Dask users are used to; everything
//! runs in this process, so the budget is shared by all workers.
//!
//! The most recently built client that has not been closed is
//! [`Client::current`]; computations that are not given a client use it.
//!
//! ```
//! use spillway::Client;
//!
//! let client = Client::builder()
//!     .n_workers(2)
//!     .threads_per_worker(2)
//!     .memory_limit("1GB")
//!     .build()?;
//! assert_eq!(client.total_threads(), 4);
//! assert_eq!(client.total_memory(), 2_000_000_000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::exec::budget::MemoryBudget;
use crate::exec::dashboard::Dashboard;
use crate::exec::monitor::Monitor;
use crate::util::machine::{available_cores, total_memory_bytes};
use crate::util::size::{SizeError, format_bytes, format_bytes_decimal, parse_bytes};

/// Where [`ClientBuilder::dashboard_default`] serves the dashboard (Dask's default port).
///
/// ```
/// assert_eq!(spillway::exec::runtime::DEFAULT_DASHBOARD_ADDRESS, "127.0.0.1:8787");
/// ```
pub const DEFAULT_DASHBOARD_ADDRESS: &str = "127.0.0.1:8787";

/// Memory assumed when the machine's total memory cannot be read.
const FALLBACK_MEMORY: u64 = 1 << 30;

/// Why a [`Client`] could not be built.
///
/// # Example
///
/// ```
/// use spillway::Client;
///
/// let err = Client::builder().n_workers(0).build().unwrap_err();
/// assert!(err.to_string().contains("n_workers must be at least 1"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The memory limit text is not a byte size.
    #[error(transparent)]
    Size(#[from] SizeError),
    /// `n_workers(0)`.
    #[error("n_workers must be at least 1, got 0; use .n_workers(1) or more")]
    ZeroWorkers,
    /// `threads_per_worker(0)`.
    #[error("threads_per_worker must be at least 1, got 0; use .threads_per_worker(1) or more")]
    ZeroThreads,
    /// A memory limit of zero bytes.
    #[error(
        "memory limit {value:?} is zero bytes; use a positive size such as \"1GB\" or \"512MiB\", \
         or \"auto\" for a share of this machine's memory"
    )]
    ZeroMemory {
        /// The limit as it was given.
        value: String,
    },
    /// `n_workers × memory_limit` does not fit in 64 bits.
    #[error(
        "memory limit {per_worker} bytes per worker times {n_workers} workers overflows; \
         use a smaller memory limit"
    )]
    MemoryOverflow {
        /// Bytes per worker.
        per_worker: u64,
        /// Number of workers.
        n_workers: usize,
    },
    /// The operating system refused to start the worker threads.
    #[error("could not start the worker thread pool: {0}")]
    ThreadPool(String),
    /// The dashboard's address is held by another program (or another dashboard).
    #[error(
        "dashboard address {address} is already in use; choose another port, \
         e.g. .dashboard(\"127.0.0.1:8788\"), or \"127.0.0.1:0\" to let the OS pick a free one"
    )]
    DashboardAddressInUse {
        /// The address as it was given (`":8787"` shown as `"127.0.0.1:8787"`).
        address: String,
    },
    /// The dashboard's address does not parse or cannot be bound.
    #[error(
        "cannot serve the dashboard on {address:?}: {reason}; use an address such as \
         \"127.0.0.1:8787\", or \"127.0.0.1:0\" to let the OS pick a port"
    )]
    DashboardAddress {
        /// The address as it was given.
        address: String,
        /// What the operating system said.
        reason: String,
    },
    /// Work was sent to a client after `close()`.
    #[error(
        "the client is closed; build a new one with Client::builder(), or compute on Client::current()"
    )]
    Closed,
}

/// A per-worker memory limit, as Dask's `memory_limit=` accepts it: a byte
/// count, a text such as `"1GB"` / `"512MiB"`, or `"auto"`.
///
/// `Auto` gives the workers, together, half of this machine's memory
/// ([`total_memory_bytes`], which honours container limits; 1 GiB when
/// unknown), split evenly between them. Half leaves room for the rest of
/// the process and the system, since spillway's budget is strict.
///
/// # Example
///
/// ```
/// use spillway::Client;
///
/// // Each of these is `impl Into<MemoryLimit>`.
/// let a = Client::builder().memory_limit("512MiB").build()?;
/// let b = Client::builder().memory_limit(1u64 << 29).build()?;
/// let c = Client::builder().memory_limit(String::from("auto")).build()?;
/// assert_eq!(a.memory_limit_per_worker(), b.memory_limit_per_worker());
/// assert!(c.memory_limit_per_worker() > 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryLimit {
    /// Exactly this many bytes per worker.
    Bytes(u64),
    /// A human size such as `"1GB"`, parsed by [`parse_bytes`]; `"auto"`
    /// (any case) means [`MemoryLimit::Auto`].
    Text(String),
    /// A share of this machine's memory.
    Auto,
}

impl From<&str> for MemoryLimit {
    fn from(text: &str) -> Self {
        if text.trim().eq_ignore_ascii_case("auto") {
            MemoryLimit::Auto
        } else {
            MemoryLimit::Text(text.to_string())
        }
    }
}

impl From<String> for MemoryLimit {
    fn from(text: String) -> Self {
        if text.trim().eq_ignore_ascii_case("auto") {
            MemoryLimit::Auto
        } else {
            MemoryLimit::Text(text)
        }
    }
}

impl From<u64> for MemoryLimit {
    fn from(bytes: u64) -> Self {
        MemoryLimit::Bytes(bytes)
    }
}

/// Half of this machine's memory, or the fallback when it is unknown.
fn machine_share() -> u64 {
    total_memory_bytes().map_or(FALLBACK_MEMORY, |total| (total / 2).max(1))
}

impl MemoryLimit {
    /// Bytes per worker for `n_workers` workers.
    fn per_worker(&self, n_workers: usize) -> Result<u64, RuntimeError> {
        let (bytes, shown) = match self {
            MemoryLimit::Bytes(b) => (*b, b.to_string()),
            MemoryLimit::Text(t) if t.trim().eq_ignore_ascii_case("auto") => {
                return MemoryLimit::Auto.per_worker(n_workers);
            }
            MemoryLimit::Text(t) => (parse_bytes(t)?, t.clone()),
            MemoryLimit::Auto => {
                let workers = u64::try_from(n_workers).unwrap_or(u64::MAX).max(1);
                return Ok((machine_share() / workers).max(1));
            }
        };
        if bytes == 0 {
            return Err(RuntimeError::ZeroMemory { value: shown });
        }
        Ok(bytes)
    }
}

/// Whether a client still accepts work.
///
/// # Example
///
/// ```
/// use spillway::Client;
///
/// let client = Client::builder().n_workers(1).build()?;
/// assert_eq!(client.status().to_string(), "running");
/// client.close();
/// assert_eq!(client.status().to_string(), "closed");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientStatus {
    /// Accepting work.
    Running,
    /// [`Client::close`] was called.
    Closed,
}

impl fmt::Display for ClientStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClientStatus::Running => "running",
            ClientStatus::Closed => "closed",
        })
    }
}

struct ClientInner {
    n_workers: usize,
    threads_per_worker: usize,
    memory_limit_per_worker: u64,
    /// The limit as the user wrote it, when it was a text (for Display).
    memory_limit_text: Option<String>,
    budget: MemoryBudget,
    pool: rayon::ThreadPool,
    closed: AtomicBool,
    /// Observers of this client's computations.
    monitors: std::sync::RwLock<Vec<Arc<dyn Monitor>>>,
    /// The live status page, when one was asked for; taken (and stopped) by `close`.
    dashboard: Mutex<Option<Dashboard>>,
    /// Whether and where intermediates spill.
    spill: crate::exec::spill_settings::SpillSettings,
}

/// A handle to the in-process runtime: a worker thread pool and a shared
/// memory budget. Cloning is cheap; clones are the same client.
///
/// # Example
///
/// ```
/// use spillway::Client;
///
/// let client = Client::builder().n_workers(2).threads_per_worker(1).memory_limit("64MB").build()?;
/// let sum: u64 = client.pool().install(|| {
///     use rayon::prelude::*;
///     (1..=100u64).into_par_iter().sum()
/// });
/// assert_eq!(sum, 5050);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

/// A [`Client`] handle that does not keep it alive.
pub(crate) struct WeakClient(std::sync::Weak<ClientInner>);

impl WeakClient {
    /// The client, if a strong handle still exists.
    pub(crate) fn upgrade(&self) -> Option<Client> {
        self.0.upgrade().map(|inner| Client { inner })
    }
}

/// The most recently built client (strongly held until it is closed).
static CURRENT: Mutex<Option<Client>> = Mutex::new(None);
/// The lazily created process-wide default client.
static DEFAULT: Mutex<Option<Client>> = Mutex::new(None);

/// Locks a global slot, recovering from poisoning (the slot holds no
/// invariant a panic could break).
fn lock_slot(slot: &'static Mutex<Option<Client>>) -> MutexGuard<'static, Option<Client>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Settings for a [`Client`]; unset values get machine-based defaults.
///
/// Defaults follow Dask's `LocalCluster`: with neither count set, one worker
/// with all cores; with one count set, the other divides the cores
/// ([`available_cores`]) by it (at least 1); the memory limit defaults to
/// [`MemoryLimit::Auto`].
///
/// # Example
///
/// ```
/// use spillway::Client;
///
/// let client = Client::builder().n_workers(2).threads_per_worker(2).memory_limit("1GB").build()?;
/// assert_eq!(client.memory_limit_per_worker(), 1_000_000_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientBuilder {
    n_workers: Option<usize>,
    threads_per_worker: Option<usize>,
    memory_limit: Option<MemoryLimit>,
    dashboard: Option<String>,
    spill: crate::exec::spill_settings::SpillSettings,
    spill_quota_text: Option<String>,
}

impl ClientBuilder {
    /// Whether intermediates that do not fit in memory spill to disk (default true).
    ///
    /// ```
    /// let client = spillway::Client::builder().spill(false).build().unwrap();
    /// assert!(!client.spill_settings().enabled);
    /// client.close();
    /// ```
    #[must_use]
    pub fn spill(mut self, enabled: bool) -> Self {
        self.spill.enabled = enabled;
        self
    }

    /// The directory spill files go in (each computation makes and removes its own
    /// directory inside it).
    ///
    /// ```
    /// let client = spillway::Client::builder().spill_dir("/tmp").build().unwrap();
    /// assert_eq!(client.spill_settings().dir.as_deref(), Some(std::path::Path::new("/tmp")));
    /// client.close();
    /// ```
    #[must_use]
    pub fn spill_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.spill.dir = Some(dir.into());
        self
    }

    /// The most disk one computation may spill, as `"20GB"`; past it the computation
    /// fails with an error that names the quota.
    ///
    /// ```
    /// let client = spillway::Client::builder().spill_quota("20GB").build().unwrap();
    /// assert_eq!(client.spill_settings().quota, Some(20_000_000_000));
    /// assert!(spillway::Client::builder().spill_quota("lots").build().is_err());
    /// client.close();
    /// ```
    #[must_use]
    pub fn spill_quota(mut self, quota: &str) -> Self {
        self.spill_quota_text = Some(quota.to_string());
        self
    }
    /// Number of workers (each with its own threads and memory limit).
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(3).threads_per_worker(1).build()?;
    /// assert_eq!(client.n_workers(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn n_workers(mut self, n: usize) -> Self {
        self.n_workers = Some(n);
        self
    }

    /// Threads in each worker.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(1).threads_per_worker(3).build()?;
    /// assert_eq!(client.total_threads(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn threads_per_worker(mut self, n: usize) -> Self {
        self.threads_per_worker = Some(n);
        self
    }

    /// Memory limit of each worker: bytes (`u64`), a text such as `"1GB"` or
    /// `"512MiB"`, or `"auto"`. The client's budget is this times the number
    /// of workers.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(2).memory_limit("512MiB").build()?;
    /// assert_eq!(client.total_memory(), 1 << 30);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn memory_limit(mut self, limit: impl Into<MemoryLimit>) -> Self {
        self.memory_limit = Some(limit.into());
        self
    }

    /// Serves a live status page ([`Dashboard`]) on `address` once the client is built,
    /// like Dask's dashboard: `"127.0.0.1:8787"`, `":8787"` (loopback), or
    /// `"127.0.0.1:0"` for a port the OS picks. Read the URL back with
    /// [`Client::dashboard_url`]; [`Client::close`] stops the server. The page has no
    /// authentication, so prefer loopback addresses.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(1).memory_limit("64MB").dashboard("127.0.0.1:0").build()?;
    /// assert!(client.to_string().contains("dashboard: http://127.0.0.1:"));
    /// client.close();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn dashboard(mut self, address: impl Into<String>) -> Self {
        self.dashboard = Some(address.into());
        self
    }

    /// [`dashboard`](Self::dashboard) on Dask's default address, `127.0.0.1:8787`.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// // Building would bind port 8787; `.dashboard("127.0.0.1:0")` picks a free port instead.
    /// let builder = Client::builder().dashboard_default();
    /// assert!(format!("{builder:?}").contains("127.0.0.1:8787"));
    /// ```
    #[must_use]
    pub fn dashboard_default(self) -> Self {
        self.dashboard(DEFAULT_DASHBOARD_ADDRESS)
    }

    /// Validates the settings, starts the worker threads and makes the new
    /// client [`Client::current`].
    ///
    /// # Errors
    ///
    /// [`RuntimeError::ZeroWorkers`] / [`RuntimeError::ZeroThreads`] for zero
    /// counts, [`RuntimeError::Size`] for an unparsable memory limit,
    /// [`RuntimeError::ZeroMemory`] for a zero one,
    /// [`RuntimeError::MemoryOverflow`] when the total overflows, and
    /// [`RuntimeError::ThreadPool`] when threads cannot be started,
    /// [`RuntimeError::DashboardAddressInUse`] when the dashboard's port is taken and
    /// [`RuntimeError::DashboardAddress`] when its address is not usable.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let err = Client::builder().memory_limit("1GXB").build().unwrap_err();
    /// assert!(err.to_string().contains("unknown unit \"GXB\""));
    /// let err = Client::builder().memory_limit(0u64).build().unwrap_err();
    /// assert!(err.to_string().contains("is zero bytes"));
    /// ```
    pub fn build(self) -> Result<Client, RuntimeError> {
        let client = self.with_rank_defaults().build_detached()?;
        let previous = lock_slot(&CURRENT).replace(client.clone());
        // Drop the replaced handle outside the lock.
        drop(previous);
        Ok(client)
    }

    /// After [`crate::mpi::initialize`], fills unset values with the rank's settings.
    #[cfg(feature = "mpi")]
    fn with_rank_defaults(mut self) -> Self {
        if let Some((nthreads, limit)) = crate::mpi::rank_settings() {
            self.n_workers.get_or_insert(1);
            self.threads_per_worker.get_or_insert(nthreads);
            self.memory_limit.get_or_insert(limit);
        }
        self
    }

    /// Without MPI there are no rank settings.
    #[cfg(not(feature = "mpi"))]
    fn with_rank_defaults(self) -> Self {
        self
    }

    /// Builds without touching [`Client::current`].
    fn build_detached(self) -> Result<Client, RuntimeError> {
        let cores = available_cores();
        let mut spill = self.spill.clone();
        if let Some(text) = &self.spill_quota_text {
            spill.quota = Some(MemoryLimit::Text(text.clone()).per_worker(1)?);
        }
        let (n_workers, threads_per_worker) = match (self.n_workers, self.threads_per_worker) {
            (Some(0), _) => return Err(RuntimeError::ZeroWorkers),
            (_, Some(0)) => return Err(RuntimeError::ZeroThreads),
            (Some(w), Some(t)) => (w, t),
            (Some(w), None) => (w, (cores / w).max(1)),
            (None, Some(t)) => ((cores / t).max(1), t),
            (None, None) => (1, cores),
        };
        let total_threads = n_workers.checked_mul(threads_per_worker).ok_or_else(|| {
            RuntimeError::ThreadPool(format!(
                "{n_workers} workers × {threads_per_worker} threads is too many threads"
            ))
        })?;

        let limit = self.memory_limit.unwrap_or(MemoryLimit::Auto);
        let per_worker = limit.per_worker(n_workers)?;
        let total_memory = u64::try_from(n_workers)
            .ok()
            .and_then(|w| per_worker.checked_mul(w))
            .ok_or(RuntimeError::MemoryOverflow {
                per_worker,
                n_workers,
            })?;
        let memory_limit_text = match limit {
            MemoryLimit::Text(t) => Some(t.trim().to_string()),
            _ => None,
        };

        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(total_threads)
            .thread_name(move |i| {
                format!(
                    "spillway-worker-{}-{}",
                    i / threads_per_worker,
                    i % threads_per_worker
                )
            })
            .build()
            .map_err(|e| RuntimeError::ThreadPool(e.to_string()))?;

        let client = Client {
            inner: Arc::new(ClientInner {
                n_workers,
                threads_per_worker,
                memory_limit_per_worker: per_worker,
                memory_limit_text,
                budget: MemoryBudget::new(total_memory),
                pool,
                closed: AtomicBool::new(false),
                monitors: std::sync::RwLock::new(Vec::new()),
                dashboard: Mutex::new(None),
                spill,
            }),
        };
        if let Some(address) = self.dashboard.as_deref() {
            let dashboard = Dashboard::start(&client, address)?;
            *client.lock_dashboard() = Some(dashboard);
        }
        Ok(client)
    }
}

impl Client {
    /// The client's spill settings.
    ///
    /// ```
    /// let client = spillway::Client::builder().build().unwrap();
    /// assert!(client.spill_settings().enabled); // on by default
    /// client.close();
    /// ```
    pub fn spill_settings(&self) -> &crate::exec::spill_settings::SpillSettings {
        &self.inner.spill
    }

    /// Starts configuring a client.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(2).threads_per_worker(2).memory_limit("1GB").build()?;
    /// assert_eq!(client.n_workers(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The client computations use when none is given: the most recently
    /// built client, unless it has been closed; otherwise a process-wide
    /// default ([`Client::default_for_machine`]'s settings) created on first
    /// use. Closing the current client does not bring back an earlier one.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(1).threads_per_worker(1).build()?;
    /// assert!(Client::current().same_client(&client));
    /// client.close();
    /// assert!(!Client::current().same_client(&client));
    /// assert!(!Client::current().is_closed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn current() -> Client {
        {
            let mut current = lock_slot(&CURRENT);
            match current.as_ref() {
                Some(c) if !c.is_closed() => return c.clone(),
                Some(_) => {
                    // Closed: forget it, dropping the handle after unlocking.
                    let stale = current.take();
                    drop(current);
                    drop(stale);
                }
                None => {}
            }
        }
        let mut default = lock_slot(&DEFAULT);
        match default.as_ref() {
            Some(c) if !c.is_closed() => c.clone(),
            _ => {
                let fresh = Client::machine_builder()
                    .build_detached()
                    .unwrap_or_else(|_| Client::minimal());
                let stale = default.replace(fresh.clone());
                drop(default);
                drop(stale);
                fresh
            }
        }
    }

    /// Settings for one worker with all cores and half the machine's memory.
    fn machine_builder() -> ClientBuilder {
        #[cfg(feature = "mpi")]
        if let Some((nthreads, limit)) = crate::mpi::rank_settings() {
            return Client::builder()
                .n_workers(1)
                .threads_per_worker(nthreads)
                .memory_limit(limit);
        }
        Client::builder()
            .n_workers(1)
            .threads_per_worker(available_cores())
            .memory_limit(machine_share())
    }

    /// A last-resort client for when even the machine default cannot start
    /// (the OS refused threads): one worker, one thread.
    fn minimal() -> Client {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .thread_name(|_| "spillway-worker-0-0".to_string())
            .build()
            .or_else(|_| rayon::ThreadPoolBuilder::new().num_threads(1).build());
        let pool = match pool {
            Ok(pool) => pool,
            // Without a single thread nothing can run; this is not user input.
            Err(e) => panic!("spillway cannot start even one worker thread: {e}"),
        };
        Client {
            inner: Arc::new(ClientInner {
                n_workers: 1,
                threads_per_worker: 1,
                memory_limit_per_worker: FALLBACK_MEMORY,
                memory_limit_text: None,
                budget: MemoryBudget::new(FALLBACK_MEMORY),
                pool,
                closed: AtomicBool::new(false),
                monitors: std::sync::RwLock::new(Vec::new()),
                dashboard: Mutex::new(None),
                spill: Default::default(),
            }),
        }
    }

    /// One worker with all cores ([`available_cores`]) and a memory limit of
    /// half of [`total_memory_bytes`] (1 GiB when unknown). Like every built
    /// client it becomes [`Client::current`].
    ///
    /// Should the OS refuse that many threads, this falls back to a single
    /// thread with a 1 GiB limit.
    ///
    /// # Panics
    ///
    /// Only when not even one thread can be started.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::default_for_machine();
    /// assert_eq!(client.n_workers(), 1);
    /// assert!(client.total_memory() > 0);
    /// ```
    pub fn default_for_machine() -> Client {
        Client::machine_builder().build().unwrap_or_else(|_| {
            let client = Client::minimal();
            let previous = lock_slot(&CURRENT).replace(client.clone());
            drop(previous);
            client
        })
    }

    /// Number of workers.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// assert_eq!(Client::builder().n_workers(2).build()?.n_workers(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn n_workers(&self) -> usize {
        self.inner.n_workers
    }

    /// Threads in each worker.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(1).threads_per_worker(2).build()?;
    /// assert_eq!(client.threads_per_worker(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn threads_per_worker(&self) -> usize {
        self.inner.threads_per_worker
    }

    /// Threads in the pool: `n_workers × threads_per_worker`.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(2).threads_per_worker(3).build()?;
    /// assert_eq!(client.total_threads(), 6);
    /// assert_eq!(client.pool().current_num_threads(), 6);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn total_threads(&self) -> usize {
        self.inner.n_workers * self.inner.threads_per_worker
    }

    /// Memory limit of each worker, in bytes.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().memory_limit("1GB").build()?;
    /// assert_eq!(client.memory_limit_per_worker(), 1_000_000_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn memory_limit_per_worker(&self) -> u64 {
        self.inner.memory_limit_per_worker
    }

    /// Total memory of the client, `n_workers × memory_limit_per_worker`;
    /// also the limit of [`budget`](Self::budget).
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(2).memory_limit("1GB").build()?;
    /// assert_eq!(client.total_memory(), 2_000_000_000);
    /// assert_eq!(client.budget().limit(), client.total_memory());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn total_memory(&self) -> u64 {
        self.inner.budget.limit()
    }

    /// The one memory budget, of [`total_memory`](Self::total_memory) bytes,
    /// shared by all workers of this client.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().memory_limit("1MB").build()?;
    /// let mut r = client.budget().consumer("load").register();
    /// assert!(r.try_grow(2_000_000).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn budget(&self) -> &MemoryBudget {
        &self.inner.budget
    }

    /// The worker thread pool: [`total_threads`](Self::total_threads)
    /// threads named `spillway-worker-{worker}-{thread}`.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(1).threads_per_worker(1).build()?;
    /// let name = client.pool().install(|| std::thread::current().name().map(String::from));
    /// assert_eq!(name.as_deref(), Some("spillway-worker-0-0"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pool(&self) -> &rayon::ThreadPool {
        &self.inner.pool
    }

    /// The worker that pool thread `thread_index` belongs to
    /// (`thread_index / threads_per_worker`).
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(2).threads_per_worker(2).build()?;
    /// assert_eq!(client.worker_of_thread(0), 0);
    /// assert_eq!(client.worker_of_thread(3), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn worker_of_thread(&self, thread_index: usize) -> usize {
        thread_index / self.inner.threads_per_worker
    }

    /// The worker whose thread is running this code, or `None` outside this
    /// client's pool.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(2).threads_per_worker(1).build()?;
    /// assert_eq!(client.current_worker(), None);
    /// assert!(client.pool().install(|| client.current_worker()).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn current_worker(&self) -> Option<usize> {
        self.inner
            .pool
            .current_thread_index()
            .map(|i| self.worker_of_thread(i))
    }

    /// Whether the client is running or closed.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(1).build()?;
    /// assert_eq!(client.status().to_string(), "running");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status(&self) -> ClientStatus {
        if self.is_closed() {
            ClientStatus::Closed
        } else {
            ClientStatus::Running
        }
    }

    /// Marks the client closed (idempotent). If it is the current client,
    /// [`Client::current`] falls back to the process default. Work already
    /// running finishes; the threads stop once every handle is dropped.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(1).build()?;
    /// client.close();
    /// client.close();
    /// assert!(client.is_closed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
        // Stop the dashboard outside the lock (stopping unregisters its monitor).
        let dashboard = self.lock_dashboard().take();
        if let Some(dashboard) = dashboard {
            dashboard.stop();
        }
        let removed = {
            let mut current = lock_slot(&CURRENT);
            if current.as_ref().is_some_and(|c| c.same_client(self)) {
                current.take()
            } else {
                None
            }
        };
        // Dropped after the lock is released, so no Drop runs under it.
        drop(removed);
    }

    /// The dashboard's URL (`http://127.0.0.1:PORT/status`) when the client was built with
    /// [`ClientBuilder::dashboard`]; `None` without one and after [`close`](Self::close).
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let plain = Client::builder().n_workers(1).memory_limit("64MB").build()?;
    /// assert_eq!(plain.dashboard_url(), None);
    /// let watched = Client::builder().n_workers(1).memory_limit("64MB").dashboard(":0").build()?;
    /// let url = watched.dashboard_url().unwrap();
    /// assert!(url.starts_with("http://127.0.0.1:"));
    /// watched.close();
    /// assert_eq!(watched.dashboard_url(), None);
    /// # plain.close();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dashboard_url(&self) -> Option<String> {
        self.lock_dashboard().as_ref().map(|d| d.url().to_string())
    }

    /// A handle that does not keep the client alive (for the dashboard, which the client owns).
    pub(crate) fn downgrade(&self) -> WeakClient {
        WeakClient(Arc::downgrade(&self.inner))
    }

    fn lock_dashboard(&self) -> MutexGuard<'_, Option<Dashboard>> {
        self.inner
            .dashboard
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether [`close`](Self::close) has been called.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(1).build()?;
    /// assert!(!client.is_closed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    /// Registers an observer of this client's computations (progress, dashboard, traces).
    ///
    /// ```
    /// # use spillway::exec::monitor::Monitor;
    /// struct Quiet;
    /// impl Monitor for Quiet {}
    /// let client = spillway::Client::builder().memory_limit("64MB").build().unwrap();
    /// client.add_monitor(std::sync::Arc::new(Quiet));
    /// assert_eq!(client.monitors().len(), 1);
    /// client.close();
    /// ```
    pub fn add_monitor(&self, monitor: Arc<dyn Monitor>) {
        self.inner
            .monitors
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(monitor);
    }

    /// Unregisters an observer added with [`Client::add_monitor`] (compared by pointer).
    ///
    /// ```
    /// # use spillway::exec::monitor::Monitor;
    /// # use std::sync::Arc;
    /// struct Quiet;
    /// impl Monitor for Quiet {}
    /// let client = spillway::Client::builder().memory_limit("64MB").build().unwrap();
    /// let m: Arc<dyn Monitor> = Arc::new(Quiet);
    /// client.add_monitor(m.clone());
    /// client.remove_monitor(&m);
    /// assert!(client.monitors().is_empty());
    /// client.close();
    /// ```
    pub fn remove_monitor(&self, monitor: &Arc<dyn Monitor>) {
        self.inner
            .monitors
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|m| !Arc::ptr_eq(m, monitor));
    }

    /// The registered observers.
    ///
    /// ```
    /// let client = spillway::Client::builder().memory_limit("64MB").build().unwrap();
    /// assert!(client.monitors().is_empty());
    /// client.close();
    /// ```
    pub fn monitors(&self) -> Vec<Arc<dyn Monitor>> {
        self.inner
            .monitors
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether two handles are the same client.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(1).build()?;
    /// assert!(client.same_client(&client.clone()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn same_client(&self, other: &Client) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl fmt::Display for Client {
    /// A summary in the spirit of Dask's `Client` repr:
    ///
    /// ```text
    /// Client: spillway LocalCluster (in-process)
    ///   status: running
    ///   workers: 2, threads per worker: 2, total threads: 4
    ///   memory limit per worker: 1.00 GB (953.67 MiB), total memory: 1.86 GiB
    ///   dashboard: none
    /// ```
    ///
    /// With [`ClientBuilder::dashboard`] the last line is the page's URL, such as
    /// `dashboard: http://127.0.0.1:8787/status`.
    ///
    /// The per-worker limit shows decimal units when it was written that way
    /// (or is a whole number of decimal units) and binary units otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per_worker = self.memory_limit_per_worker();
        let binary = format_bytes(per_worker);
        let decimal = format_bytes_decimal(per_worker);
        let written_decimal = self.inner.memory_limit_text.as_deref().is_some_and(|t| {
            let t = t.to_ascii_lowercase();
            !t.contains('i') && t.chars().any(|c| c.is_ascii_alphabetic())
        });
        let round_decimal = per_worker >= 1000
            && per_worker.is_multiple_of(1000)
            && !per_worker.is_multiple_of(1024);
        let limit = if per_worker >= 1000 && (written_decimal || round_decimal) {
            format!("{decimal} ({binary})")
        } else {
            binary
        };
        writeln!(f, "Client: spillway LocalCluster (in-process)")?;
        writeln!(f, "  status: {}", self.status())?;
        writeln!(
            f,
            "  workers: {}, threads per worker: {}, total threads: {}",
            self.n_workers(),
            self.threads_per_worker(),
            self.total_threads()
        )?;
        writeln!(
            f,
            "  memory limit per worker: {limit}, total memory: {}",
            format_bytes(self.total_memory())
        )?;
        #[cfg(feature = "mpi")]
        crate::mpi::write_summary(f)?;
        match self.dashboard_url() {
            Some(url) => write!(f, "  dashboard: {url}"),
            None => write!(f, "  dashboard: none"),
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("status", &self.status())
            .field("n_workers", &self.n_workers())
            .field("threads_per_worker", &self.threads_per_worker())
            .field("memory_limit_per_worker", &self.memory_limit_per_worker())
            .field("budget", self.budget())
            .finish()
    }
}

/// Serialises unit tests that build clients or read [`Client::current`]:
/// building a client changes the process-wide current client, so tests that
/// assert on it must not interleave with other client-building tests. Hold
/// the guard for the whole test.
#[cfg(test)]
pub(crate) fn client_test_guard() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn serial() -> MutexGuard<'static, ()> {
        client_test_guard()
    }

    fn dask_like() -> Client {
        Client::builder()
            .n_workers(2)
            .threads_per_worker(2)
            .memory_limit("1GB")
            .build()
            .unwrap()
    }

    #[test]
    fn client_is_send_and_sync() {
        fn check<T: Send + Sync + Clone>() {}
        check::<Client>();
    }

    #[test]
    fn builds_like_dask() {
        let _g = serial();
        let client = dask_like();
        assert_eq!(client.n_workers(), 2);
        assert_eq!(client.threads_per_worker(), 2);
        assert_eq!(client.total_threads(), 4);
        assert_eq!(client.memory_limit_per_worker(), 1_000_000_000);
        assert_eq!(client.total_memory(), 2_000_000_000);
        assert_eq!(client.budget().limit(), 2_000_000_000);
        assert_eq!(client.pool().current_num_threads(), 4);
        assert_eq!(client.status(), ClientStatus::Running);
        client.close();
    }

    #[test]
    fn display_matches_dask_repr() {
        let _g = serial();
        let client = dask_like();
        assert_eq!(
            client.to_string(),
            "Client: spillway LocalCluster (in-process)\n\
             \x20 status: running\n\
             \x20 workers: 2, threads per worker: 2, total threads: 4\n\
             \x20 memory limit per worker: 1.00 GB (953.67 MiB), total memory: 1.86 GiB\n\
             \x20 dashboard: none"
        );
        client.close();
        assert!(client.to_string().contains("  status: closed\n"));

        let binary = Client::builder()
            .n_workers(1)
            .threads_per_worker(1)
            .memory_limit("512MiB")
            .build()
            .unwrap();
        assert!(
            binary
                .to_string()
                .contains("memory limit per worker: 512.00 MiB, total memory: 512.00 MiB\n")
        );
        let bytes = Client::builder()
            .n_workers(1)
            .threads_per_worker(1)
            .memory_limit(3_000_000u64)
            .build()
            .unwrap();
        assert!(bytes.to_string().contains("per worker: 3.00 MB (2.86 MiB)"));
        binary.close();
        bytes.close();
    }

    #[test]
    fn builder_validation_errors() {
        let _g = serial();
        let err = Client::builder().n_workers(0).build().unwrap_err();
        assert_eq!(err, RuntimeError::ZeroWorkers);
        assert_eq!(
            err.to_string(),
            "n_workers must be at least 1, got 0; use .n_workers(1) or more"
        );
        let err = Client::builder().threads_per_worker(0).build().unwrap_err();
        assert_eq!(err, RuntimeError::ZeroThreads);
        assert!(
            err.to_string()
                .starts_with("threads_per_worker must be at least 1")
        );

        let err = Client::builder().memory_limit("1GXB").build().unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"cannot parse "1GXB" as a byte size: unknown unit "GXB"; use a number with an optional unit such as "512MiB", "1GB" or "100000""#
        );
        assert!(matches!(
            err,
            RuntimeError::Size(SizeError::UnknownUnit { .. })
        ));

        let err = Client::builder().memory_limit("0GB").build().unwrap_err();
        assert_eq!(
            err,
            RuntimeError::ZeroMemory {
                value: "0GB".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "memory limit \"0GB\" is zero bytes; use a positive size such as \"1GB\" or \"512MiB\", \
             or \"auto\" for a share of this machine's memory"
        );
        let err = Client::builder().memory_limit(0u64).build().unwrap_err();
        assert_eq!(err, RuntimeError::ZeroMemory { value: "0".into() });

        let err = Client::builder().memory_limit("").build().unwrap_err();
        assert_eq!(err, RuntimeError::Size(SizeError::Empty));

        let err = Client::builder()
            .n_workers(4)
            .threads_per_worker(1)
            .memory_limit(u64::MAX / 2)
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            RuntimeError::MemoryOverflow {
                per_worker: u64::MAX / 2,
                n_workers: 4
            }
        );
        assert!(err.to_string().contains("overflows"));
    }

    #[test]
    fn failed_build_keeps_current() {
        let _g = serial();
        let client = dask_like();
        assert!(Client::builder().n_workers(0).build().is_err());
        assert!(Client::current().same_client(&client));
        client.close();
    }

    #[test]
    fn memory_limit_conversions() {
        assert_eq!(MemoryLimit::from("auto"), MemoryLimit::Auto);
        assert_eq!(MemoryLimit::from(" AUTO "), MemoryLimit::Auto);
        assert_eq!(MemoryLimit::from(String::from("Auto")), MemoryLimit::Auto);
        assert_eq!(MemoryLimit::from("1GB"), MemoryLimit::Text("1GB".into()));
        assert_eq!(
            MemoryLimit::from(String::from("2GiB")),
            MemoryLimit::Text("2GiB".into())
        );
        assert_eq!(MemoryLimit::from(7u64), MemoryLimit::Bytes(7));
        assert_eq!(MemoryLimit::Bytes(5).per_worker(3), Ok(5));
        assert_eq!(MemoryLimit::Text("1kB".into()).per_worker(3), Ok(1000));
        // A hand-built Text("auto") is Auto too.
        assert_eq!(
            MemoryLimit::Text("auto".into()).per_worker(2),
            MemoryLimit::Auto.per_worker(2)
        );
    }

    #[test]
    fn auto_splits_half_the_machine_between_workers() {
        let _g = serial();
        let share = machine_share();
        let one = Client::builder()
            .n_workers(1)
            .threads_per_worker(1)
            .memory_limit("auto")
            .build()
            .unwrap();
        assert_eq!(one.total_memory(), share);
        let two = Client::builder()
            .n_workers(2)
            .threads_per_worker(1)
            .build()
            .unwrap();
        assert_eq!(two.memory_limit_per_worker(), share / 2);
        assert!(two.total_memory() <= share);
        if let Some(total) = total_memory_bytes() {
            assert_eq!(share, total / 2);
        }
        one.close();
        two.close();
    }

    #[test]
    fn thread_defaults_divide_the_cores() {
        let _g = serial();
        let cores = available_cores();
        let c = Client::builder().n_workers(2).build().unwrap();
        assert_eq!(c.threads_per_worker(), (cores / 2).max(1));
        let d = Client::builder().threads_per_worker(1).build().unwrap();
        assert_eq!(d.n_workers(), cores);
        let e = Client::builder().build().unwrap();
        assert_eq!((e.n_workers(), e.threads_per_worker()), (1, cores));
        for client in [c, d, e] {
            client.close();
        }
    }

    #[test]
    fn default_for_machine_uses_all_cores_and_half_memory() {
        let _g = serial();
        let client = Client::default_for_machine();
        assert_eq!(client.n_workers(), 1);
        assert_eq!(client.threads_per_worker(), available_cores());
        assert_eq!(client.total_memory(), machine_share());
        assert!(Client::current().same_client(&client));
        client.close();
    }

    #[test]
    fn thread_names_and_worker_mapping() {
        let _g = serial();
        let client = Client::builder()
            .n_workers(2)
            .threads_per_worker(3)
            .memory_limit("10MB")
            .build()
            .unwrap();
        assert_eq!(client.worker_of_thread(0), 0);
        assert_eq!(client.worker_of_thread(2), 0);
        assert_eq!(client.worker_of_thread(3), 1);
        assert_eq!(client.worker_of_thread(5), 1);
        assert_eq!(client.current_worker(), None);

        let seen: Mutex<BTreeSet<(String, usize)>> = Mutex::new(BTreeSet::new());
        client.pool().broadcast(|ctx| {
            let name = std::thread::current().name().unwrap_or("").to_string();
            let worker = client.current_worker().unwrap();
            assert_eq!(worker, client.worker_of_thread(ctx.index()));
            seen.lock().unwrap().insert((name, worker));
        });
        let seen = seen.into_inner().unwrap();
        let want: BTreeSet<(String, usize)> = (0..2)
            .flat_map(|w| (0..3).map(move |t| (format!("spillway-worker-{w}-{t}"), w)))
            .collect();
        assert_eq!(seen, want);
        client.close();
    }

    #[test]
    fn budget_is_shared_by_all_workers() {
        let _g = serial();
        let client = Client::builder()
            .n_workers(2)
            .threads_per_worker(2)
            .memory_limit(1000u64)
            .build()
            .unwrap();
        let budget = client.budget().clone();
        let held: Vec<_> = client.pool().install(|| {
            use rayon::prelude::*;
            (0..8)
                .into_par_iter()
                .map(|i| {
                    let mut r = budget.consumer(format!("task {i}")).register();
                    r.try_grow(250).map(|()| r)
                })
                .collect()
        });
        // 8 × 250 on a 2 × 1000 budget: everything fits exactly.
        assert!(held.iter().all(Result::is_ok));
        assert_eq!(budget.reserved(), 2000);
        assert_eq!(budget.available(), 0);
        let mut one_more = budget.consumer("extra").register();
        assert!(one_more.try_grow(1).is_err());
        drop(held);
        assert_eq!(budget.reserved(), 0);
        client.close();
    }

    #[test]
    fn close_and_current() {
        let _g = serial();
        let first = dask_like();
        assert!(Client::current().same_client(&first));
        let second = Client::builder()
            .n_workers(1)
            .threads_per_worker(1)
            .memory_limit("64MB")
            .build()
            .unwrap();
        assert!(Client::current().same_client(&second));

        // Closing a client that is not current leaves current alone.
        first.close();
        assert!(first.is_closed());
        assert_eq!(first.status(), ClientStatus::Closed);
        assert!(Client::current().same_client(&second));

        // Closing the current client falls back to the process default.
        second.close();
        second.close(); // idempotent
        let fallback = Client::current();
        assert!(!fallback.same_client(&first));
        assert!(!fallback.same_client(&second));
        assert!(!fallback.is_closed());
        assert_eq!(fallback.n_workers(), 1);
        assert_eq!(fallback.threads_per_worker(), available_cores());
        assert!(
            Client::current().same_client(&fallback),
            "default is reused"
        );

        // Closing the default makes a fresh one.
        fallback.close();
        let renewed = Client::current();
        assert!(!renewed.same_client(&fallback));
        assert!(!renewed.is_closed());

        // A new build takes over again.
        let third = dask_like();
        assert!(Client::current().same_client(&third));
        third.close();
    }

    #[test]
    fn close_from_inside_a_worker_does_not_deadlock() {
        let _g = serial();
        let client = dask_like();
        let inside = client.clone();
        client.pool().install(move || {
            inside.close();
            assert!(!Client::current().same_client(&inside));
        });
        assert!(client.is_closed());
        // Dropping the last handle on a pool thread is fine too.
        let last = Client::builder()
            .n_workers(1)
            .threads_per_worker(1)
            .build()
            .unwrap();
        let handle = last.clone();
        last.close();
        drop(last);
        let (tx, rx) = std::sync::mpsc::channel();
        handle.pool().spawn(move || {
            let _ = tx.send(());
        });
        rx.recv().unwrap();
        drop(handle);
    }

    #[test]
    fn current_is_thread_safe() {
        let _g = serial();
        let client = dask_like();
        let handles: Vec<_> = (0..8)
            .map(|_| {
                std::thread::spawn(|| (0..200).filter(|_| !Client::current().is_closed()).count())
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), 200);
        }
        client.close();
    }

    #[test]
    fn debug_output() {
        let _g = serial();
        let client = dask_like();
        let text = format!("{client:?}");
        assert!(text.starts_with("Client { status: Running, n_workers: 2"));
        client.close();
    }
}
