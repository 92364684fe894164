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
//! The rooms: this file holds the handle and what it reports; `builder.rs` the settings
//! and `build`; `limit.rs` the memory-limit policy ([`MemoryLimit`]); `current.rs` the
//! current-client slot; `hooks.rs` what observers attach through (monitors, the
//! [`StatusPage`]); `error.rs` [`RuntimeError`].
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

mod builder;
mod current;
mod error;
mod hooks;
mod limit;

pub use builder::ClientBuilder;
pub use error::RuntimeError;
pub use hooks::StatusPage;
pub(crate) use hooks::WeakClient;
pub use limit::MemoryLimit;

use crate::exec::monitor::Monitor;
use crate::memory::MemoryBudget;
use crate::util::size::{format_bytes, format_bytes_decimal};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
#[cfg(test)]
use std::sync::{MutexGuard, PoisonError};

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
    /// How many times [`Client::interrupt`] was called; a stage stops when it changes.
    interrupts: std::sync::atomic::AtomicU64,
    /// Observers of this client's computations.
    monitors: std::sync::RwLock<Vec<Arc<dyn Monitor>>>,
    /// The status page (observe's dashboard), when one was asked for; taken (and stopped)
    /// by `close`.
    page: Mutex<Option<Box<dyn StatusPage>>>,
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
        // Stop the status page outside the lock (the dashboard unregisters its monitor).
        let page = self.lock_page().take();
        if let Some(page) = page {
            page.stop();
        }
        current::forget(self);
    }

    /// Stops every computation running on this client: no task starts after this call,
    /// tasks already running finish, and each computation returns
    /// [`RuntimeError::Interrupted`] once they have, with its memory released. The
    /// client stays usable. Python's Ctrl-C calls it.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(1).build()?;
    /// client.interrupt(); // nothing running: no effect on the next computation
    /// assert_eq!(spillway::arange(0i64, 4, 1, 2).sum().compute_on(&client)?.sum(), 6);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn interrupt(&self) {
        self.inner.interrupts.fetch_add(1, Ordering::SeqCst);
    }

    /// The number of [`interrupt`](Self::interrupt) calls so far (a stage started
    /// before a call stops).
    pub(crate) fn interrupt_count(&self) -> u64 {
        self.inner.interrupts.load(Ordering::SeqCst)
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
    /// With a status page (observe's `DashboardExt::dashboard`) the last line is its URL,
    /// such as
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
        crate::exec::distributed::write_summary(f)?;
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

/// The lesson's `Client(n_workers=2, threads_per_worker=2, memory_limit='1GB')`, for unit
/// tests (hold [`client_test_guard`] while it is current).
#[cfg(test)]
pub(crate) fn dask_like_client() -> Client {
    Client::builder()
        .n_workers(2)
        .threads_per_worker(2)
        .memory_limit("1GB")
        .build()
        .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn serial() -> MutexGuard<'static, ()> {
        client_test_guard()
    }

    fn dask_like() -> Client {
        crate::exec::client::dask_like_client()
    }

    #[test]
    fn client_is_send_and_sync() {
        fn check<T: Send + Sync + Clone>() {}
        check::<Client>();
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
    fn debug_output() {
        let _g = serial();
        let client = dask_like();
        let text = format!("{client:?}");
        assert!(text.starts_with("Client { status: Running, n_workers: 2"));
        client.close();
    }
}
