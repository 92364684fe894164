//! Why a client could not be built or used: [`RuntimeError`].

use crate::util::size::{SizeError, format_bytes};

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
    /// A [`spill_quota`](crate::ClientBuilder::spill_quota) that is not a positive size.
    #[error(
        "spill_quota {value:?} {reason}; give a positive size such as \"20GB\" or \"500MiB\", \
         or turn spilling off with .spill(false)"
    )]
    SpillQuota {
        /// The quota as it was given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Work was sent to a client after `close()`.
    #[error(
        "the client is closed; build a new one with Client::builder() (it becomes the current \
         client), or compute on a client that is still open with compute_on"
    )]
    Closed,
    /// A computation waited longer than the client's admission timeout for other
    /// computations on the client to give back memory.
    #[error(
        "a computation needing {} waited {waited_seconds} s for its turn on the {} memory budget \
         ({running} other computations running, admitted with {}); run fewer computations at once, \
         raise the memory limit, or wait longer with Client::builder().admission_timeout(..)",
        format_bytes(*needed), format_bytes(*budget), format_bytes(*admitted)
    )]
    AdmissionTimeout {
        /// Bytes the computation's plan needs at its peak.
        needed: u64,
        /// The client's budget.
        budget: u64,
        /// Bytes the running computations were admitted with when it gave up.
        admitted: u64,
        /// Computations running when it gave up.
        running: usize,
        /// How long it waited, in whole seconds.
        waited_seconds: u64,
    },
    /// The computation was stopped by [`Client::interrupt`](super::Client::interrupt)
    /// (Ctrl-C in Python); its memory and spill files were released.
    #[error(
        "the computation was interrupted (Client::interrupt, or Ctrl-C); its memory and spill files were released and the client can run the next one"
    )]
    Interrupted,
    /// An MPI launcher started this process as one of several ranks, but it computes
    /// without having joined the job (`spillway::mpi::initialize`), so every rank would
    /// compute the whole job on its own.
    #[error(
        "this process is rank {rank} of {size} started by an MPI launcher ({evidence}), but {why}, \
         so every rank would compute the whole job on its own; {fix}, or set \
         SPILLWAY_MPI_LAUNCH=ignore if each rank is meant to compute independently"
    )]
    NotJoinedToMpiJob {
        /// This process's rank.
        rank: usize,
        /// How many ranks the launcher started.
        size: usize,
        /// The variable that says so, as `NAME=value`.
        evidence: String,
        /// Why it has not joined: built without the `mpi` feature, or not initialised.
        why: String,
        /// What to do.
        fix: String,
    },
}
