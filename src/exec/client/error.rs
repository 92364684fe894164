//! Why a client could not be built or used: [`RuntimeError`].

use crate::util::size::SizeError;

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
    /// The computation was stopped by [`Client::interrupt`](super::Client::interrupt)
    /// (Ctrl-C in Python); its memory and spill files were released.
    #[error(
        "the computation was interrupted (Client::interrupt, or Ctrl-C); its memory and spill files were released and the client can run the next one"
    )]
    Interrupted,
}
