//! The settings of an MPI job: each rank's threads and memory limit (given, or from what
//! Slurm granted), the layout of the ranks' roles, the timeouts and the work directory.

use crate::exec::client::MemoryLimit;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The liveness check's timeout when neither the options nor
/// `SPILLWAY_MPI_HEARTBEAT_TIMEOUT` give one.
const DEFAULT_HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(5);

/// How the ranks share the work.
///
/// ```
/// use spillway::mpi::{Layout, Options};
/// assert_eq!(Options::default().layout_of(), Layout::EveryRankComputes);
/// assert_eq!(Layout::DaskMpi.needed_ranks(), 3);
/// assert_eq!(Layout::EveryRankComputes.to_string(), "every rank computes");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// The default, as HPC codes run: every rank runs its share of the tasks; rank 0 also
    /// coordinates (keeps the stages' deadline, makes what is made once) and is the
    /// client (the only rank whose standard output is kept). One rank is enough.
    #[default]
    EveryRankComputes,
    /// dask-mpi's layout, the lesson's twin: rank 0 the scheduler, rank 1 the client (the
    /// program with its output), ranks 2+ the workers. Ranks 0 and 1 run no tasks; at
    /// least 3 ranks.
    DaskMpi,
}

impl Layout {
    /// The fewest ranks this layout needs.
    ///
    /// ```
    /// assert_eq!(spillway::mpi::Layout::EveryRankComputes.needed_ranks(), 1);
    /// ```
    pub fn needed_ranks(self) -> usize {
        match self {
            Layout::EveryRankComputes => 1,
            Layout::DaskMpi => 3,
        }
    }

    /// The roles, in words.
    ///
    /// ```
    /// assert!(spillway::mpi::Layout::DaskMpi.roles().contains("rank 1 the client"));
    /// ```
    pub fn roles(self) -> &'static str {
        match self {
            Layout::EveryRankComputes => {
                "every rank runs tasks; rank 0 also coordinates and is the client"
            }
            Layout::DaskMpi => "rank 0 the scheduler, rank 1 the client, ranks 2+ workers",
        }
    }

    /// The role of `rank` in this layout.
    ///
    /// ```
    /// use spillway::mpi::{Layout, Role};
    /// assert_eq!(Layout::EveryRankComputes.role_of(0), Role::Coordinator);
    /// assert_eq!(Layout::DaskMpi.role_of(1), Role::Client);
    /// ```
    pub fn role_of(self, rank: usize) -> Role {
        match (self, rank) {
            (Layout::EveryRankComputes, 0) => Role::Coordinator,
            (Layout::DaskMpi, 0) => Role::Scheduler,
            (Layout::DaskMpi, 1) => Role::Client,
            _ => Role::Worker,
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layout::EveryRankComputes => "every rank computes",
            Layout::DaskMpi => "dask-mpi",
        })
    }
}

/// What a rank does in the job.
///
/// ```
/// assert_eq!(spillway::mpi::Role::Coordinator.to_string(), "coordinator+worker");
/// assert!(spillway::mpi::Role::Coordinator.runs_tasks());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Rank 0 of [`Layout::EveryRankComputes`]: the client and the scheduler, and it runs
    /// its share of the tasks.
    Coordinator,
    /// Rank 0 of [`Layout::DaskMpi`]: keeps the stages' deadline, detects failures.
    Scheduler,
    /// Rank 1 of [`Layout::DaskMpi`]: the user's program with its output.
    Client,
    /// Runs tasks.
    Worker,
}

impl Role {
    /// Whether a rank in this role runs tasks.
    ///
    /// ```
    /// assert!(!spillway::mpi::Role::Scheduler.runs_tasks());
    /// ```
    pub fn runs_tasks(self) -> bool {
        matches!(self, Role::Coordinator | Role::Worker)
    }

    /// Whether this is the client: the rank whose standard output is kept and that makes
    /// what is made once.
    ///
    /// ```
    /// assert!(spillway::mpi::Role::Client.is_client());
    /// ```
    pub fn is_client(self) -> bool {
        matches!(self, Role::Coordinator | Role::Client)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Coordinator => "coordinator+worker",
            Role::Scheduler => "scheduler",
            Role::Client => "client",
            Role::Worker => "worker",
        })
    }
}

/// Settings of [`initialize_with`](super::initialize_with) and
/// [`initialize_in`](super::initialize_in): dask-mpi's `nthreads` and `memory_limit` per
/// rank (each from Slurm's grant when not given), the [`Layout`], the per-stage timeout,
/// the liveness check's timeout and the work directory.
///
/// ```
/// use spillway::mpi::{Layout, Options};
/// let options = Options::new(4, "40GB").layout(Layout::DaskMpi);
/// assert_eq!(options.needed_ranks(), 3);
/// let from_slurm = Options::default(); // threads and memory from SLURM_* (or this machine)
/// assert_eq!(from_slurm.needed_ranks(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub(super) nthreads: Option<usize>,
    pub(super) memory_limit: Option<MemoryLimit>,
    pub(super) layout: Layout,
    pub(super) timeout: Option<Duration>,
    pub(super) heartbeat_timeout: Option<Duration>,
    pub(super) work_dir: Option<PathBuf>,
}

impl Options {
    /// `nthreads` threads and `memory_limit` (bytes, `"40GB"`, `"auto"`) on every rank.
    ///
    /// ```
    /// let options = spillway::mpi::Options::new(2, 1u64 << 30);
    /// assert_eq!(options.needed_ranks(), 1);
    /// ```
    pub fn new(nthreads: usize, memory_limit: impl Into<MemoryLimit>) -> Self {
        Options::default()
            .nthreads(nthreads)
            .memory_limit(memory_limit)
    }

    /// Threads of each rank. Not given, they are `SLURM_CPUS_PER_TASK` under Slurm, else
    /// this node's cores divided between the ranks on it. Given under Slurm, no more than
    /// `SLURM_CPUS_PER_TASK` (else `initialize` fails on every rank, naming both numbers).
    ///
    /// ```
    /// let options = spillway::mpi::Options::default().nthreads(4);
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn nthreads(mut self, nthreads: usize) -> Self {
        self.nthreads = Some(nthreads);
        self
    }

    /// Memory limit of each rank. Not given, it is what Slurm granted a task
    /// (`SLURM_MEM_PER_NODE` divided by the tasks per node, or `SLURM_MEM_PER_CPU` times
    /// the CPUs per task), else half of this node's memory divided between the ranks on
    /// it. Given under Slurm, no more than Slurm granted.
    ///
    /// ```
    /// let options = spillway::mpi::Options::default().memory_limit("8GB");
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn memory_limit(mut self, memory_limit: impl Into<MemoryLimit>) -> Self {
        self.memory_limit = Some(memory_limit.into());
        self
    }

    /// How the ranks share the work (default [`Layout::EveryRankComputes`]).
    ///
    /// ```
    /// use spillway::mpi::{Layout, Options};
    /// let options = Options::new(1, "1GB").layout(Layout::DaskMpi);
    /// assert_eq!(options.layout_of(), Layout::DaskMpi);
    /// ```
    #[must_use]
    pub fn layout(mut self, layout: Layout) -> Self {
        self.layout = layout;
        self
    }

    /// The layout these options give.
    ///
    /// ```
    /// assert_eq!(spillway::mpi::Options::default().layout_of(), spillway::mpi::Layout::EveryRankComputes);
    /// ```
    pub fn layout_of(&self) -> Layout {
        self.layout
    }

    /// How long the scheduler waits for a rank's share of a stage before it ends the job
    /// (default: `SPILLWAY_MPI_TIMEOUT` seconds when set, else 600 s).
    ///
    /// ```
    /// let options = spillway::mpi::Options::new(1, "1GB").timeout(std::time::Duration::from_secs(30));
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How long a rank may stay silent before the liveness check takes it for
    /// unreachable and ends the job, naming it (default:
    /// `SPILLWAY_MPI_HEARTBEAT_TIMEOUT` seconds when set, else 5 s; zero turns the check
    /// off). Every rank tells rank 0 it is alive, and rank 0 tells every rank, about five
    /// times per timeout (at most once a second), from a thread of their own, whether or
    /// not a computation runs. Rank 0's setting is the job's. The check runs under
    /// [`initialize`](super::initialize) and [`initialize_with`](super::initialize_with),
    /// not in a program that started MPI itself ([`initialize_in`](super::initialize_in)).
    /// See docs/mpi.md.
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = spillway::mpi::Options::new(1, "1GB").heartbeat_timeout(Duration::from_secs(3));
    /// assert_eq!(options.heartbeat_timeout_or_default(), Duration::from_secs(3));
    /// ```
    #[must_use]
    pub fn heartbeat_timeout(mut self, timeout: Duration) -> Self {
        self.heartbeat_timeout = Some(timeout);
        self
    }

    /// The liveness check's timeout these options give:
    /// [`heartbeat_timeout`](Self::heartbeat_timeout) when set, else
    /// `SPILLWAY_MPI_HEARTBEAT_TIMEOUT` (seconds, fractions allowed) when it parses, else
    /// 5 s. Zero means no check.
    ///
    /// ```
    /// let options = spillway::mpi::Options::new(1, "1GB").heartbeat_timeout(std::time::Duration::ZERO);
    /// assert!(options.heartbeat_timeout_or_default().is_zero()); // the check is off
    /// ```
    pub fn heartbeat_timeout_or_default(&self) -> Duration {
        if let Some(timeout) = self.heartbeat_timeout {
            return timeout;
        }
        std::env::var("SPILLWAY_MPI_HEARTBEAT_TIMEOUT")
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map_or(DEFAULT_HEARTBEAT_TIMEOUT, Duration::from_secs_f64)
    }

    /// The directory, seen by every rank, where the job keeps what ranks share through
    /// the file system: intermediate zarr stores (a staged rechunk's), and each rank's
    /// record of the task it runs. On a cluster: a directory on Lustre or GPFS. Default:
    /// `SPILLWAY_WORK_DIR` when set, else the current directory. The job works in a
    /// directory of its own inside it (`spillway-job-<id>`), removed when the job ends.
    ///
    /// ```
    /// let options = spillway::mpi::Options::new(1, "1GB").work_dir("/lustre/scratch/me");
    /// assert_eq!(options.work_dir_or_default(), std::path::PathBuf::from("/lustre/scratch/me"));
    /// ```
    #[must_use]
    pub fn work_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.work_dir = Some(dir.into());
        self
    }

    /// The work directory these options give: [`work_dir`](Self::work_dir) when set,
    /// else `SPILLWAY_WORK_DIR`, else the current directory.
    ///
    /// ```
    /// let options = spillway::mpi::Options::new(1, "1GB");
    /// assert!(!options.work_dir_or_default().as_os_str().is_empty());
    /// ```
    pub fn work_dir_or_default(&self) -> PathBuf {
        if let Some(dir) = &self.work_dir {
            return dir.clone();
        }
        match std::env::var_os("SPILLWAY_WORK_DIR") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        }
    }

    /// The fewest ranks the layout needs.
    ///
    /// ```
    /// use spillway::mpi::{Layout, Options};
    /// assert_eq!(Options::new(1, "1GB").layout(Layout::DaskMpi).needed_ranks(), 3);
    /// ```
    pub fn needed_ranks(&self) -> usize {
        self.layout.needed_ranks()
    }
}
