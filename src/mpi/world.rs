//! The MPI job: initialisation, the ranks' roles and what every rank knows about the others.

use super::MpiError;
use crate::exec::client::{Client, MemoryLimit};
use crate::util::size::format_bytes;
use mpi::Threading;
use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::*;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

/// What a rank does in the job (dask-mpi's layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Rank 0: assigns task ranges, gathers and broadcasts results, detects failures.
    Scheduler,
    /// Rank 1: the user's program; the only rank whose standard output is kept.
    Client,
    /// Rank 0 with [`Options::scheduler_in_client`]: client and scheduler in one.
    ClientScheduler,
    /// Ranks 2+ (1+ with the scheduler in the client): run tasks.
    Worker,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Scheduler => "scheduler",
            Role::Client => "client",
            Role::ClientScheduler => "client+scheduler",
            Role::Worker => "worker",
        })
    }
}

/// Settings of [`initialize_with`]: dask-mpi's `nthreads` and `memory_limit` per rank, and
/// where the scheduler runs.
///
/// ```
/// let options = spillway::mpi::Options::new(4, "40GB").scheduler_in_client(true);
/// assert!(options.needed_ranks() == 2);
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    nthreads: usize,
    memory_limit: MemoryLimit,
    scheduler_in_client: bool,
    timeout: Option<Duration>,
    work_dir: Option<PathBuf>,
}

impl Options {
    /// `nthreads` threads and `memory_limit` (bytes, `"40GB"`, `"auto"`) on every rank.
    ///
    /// ```
    /// let options = spillway::mpi::Options::new(2, 1u64 << 30);
    /// assert_eq!(options.needed_ranks(), 3);
    /// ```
    pub fn new(nthreads: usize, memory_limit: impl Into<MemoryLimit>) -> Self {
        Options {
            nthreads,
            memory_limit: memory_limit.into(),
            scheduler_in_client: false,
            timeout: None,
            work_dir: None,
        }
    }

    /// Runs the scheduler inside the client (rank 0), so that ranks 1+ all work and no
    /// rank sits idle.
    ///
    /// ```
    /// let options = spillway::mpi::Options::new(1, "1GB").scheduler_in_client(true);
    /// assert_eq!(options.needed_ranks(), 2);
    /// ```
    #[must_use]
    pub fn scheduler_in_client(mut self, yes: bool) -> Self {
        self.scheduler_in_client = yes;
        self
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

    /// The fewest ranks these roles need: scheduler, client and one worker (two when the
    /// scheduler runs in the client).
    ///
    /// ```
    /// assert_eq!(spillway::mpi::Options::new(1, "1GB").needed_ranks(), 3);
    /// ```
    pub fn needed_ranks(&self) -> usize {
        if self.scheduler_in_client { 2 } else { 3 }
    }

    fn roles(&self) -> &'static str {
        if self.scheduler_in_client {
            "rank 0 client and scheduler, ranks 1+ workers"
        } else {
            "rank 0 the scheduler, rank 1 the client, ranks 2+ workers"
        }
    }

    fn role_of(&self, rank: usize) -> Role {
        match (self.scheduler_in_client, rank) {
            (true, 0) => Role::ClientScheduler,
            (false, 0) => Role::Scheduler,
            (false, 1) => Role::Client,
            _ => Role::Worker,
        }
    }
}

/// One rank of the job, as every rank knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankInfo {
    /// The rank.
    pub rank: usize,
    /// Its host name.
    pub host: String,
    /// Its role.
    pub role: Role,
    /// Its threads.
    pub threads: usize,
    /// Its memory limit in bytes.
    pub memory_bytes: u64,
}

/// This process's place in the MPI job, returned by [`initialize`].
///
/// ```no_run
/// let mpi = spillway::mpi::initialize(1, "1GB").unwrap();
/// if mpi.is_client() {
///     eprintln!("{} ranks", mpi.size());
/// }
/// ```
#[derive(Clone, Copy)]
pub struct Mpi {
    world: &'static World,
}

impl fmt::Debug for Mpi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mpi")
            .field("rank", &self.rank())
            .field("size", &self.size())
            .field("role", &self.role())
            .finish()
    }
}

impl Mpi {
    /// This process's rank.
    ///
    /// ```no_run
    /// assert!(spillway::mpi::initialize(1, "1GB").unwrap().rank() < 1024);
    /// ```
    pub fn rank(&self) -> usize {
        self.world.rank
    }
    /// Ranks in the job.
    ///
    /// ```no_run
    /// assert!(spillway::mpi::initialize(1, "1GB").unwrap().size() >= 3);
    /// ```
    pub fn size(&self) -> usize {
        self.world.ranks.len()
    }
    /// This rank's role.
    ///
    /// ```no_run
    /// let mpi = spillway::mpi::initialize(1, "1GB").unwrap();
    /// println!("{}", mpi.role()); // printed by the client only
    /// ```
    pub fn role(&self) -> Role {
        self.world.ranks[self.world.rank].role
    }
    /// True on the rank that runs the user's program with its output (rank 1, or rank 0
    /// with the scheduler in the client).
    ///
    /// ```no_run
    /// let mpi = spillway::mpi::initialize(1, "1GB").unwrap();
    /// assert_eq!(mpi.is_client(), mpi.rank() == 1);
    /// ```
    pub fn is_client(&self) -> bool {
        matches!(self.role(), Role::Client | Role::ClientScheduler)
    }
    /// Every rank of the job.
    ///
    /// ```no_run
    /// let mpi = spillway::mpi::initialize(1, "1GB").unwrap();
    /// assert_eq!(mpi.ranks()[0].rank, 0);
    /// ```
    pub fn ranks(&self) -> &'static [RankInfo] {
        &self.world.ranks
    }
}

/// Everything about the job, set once by [`initialize_with`].
pub(crate) struct World {
    pub(crate) rank: usize,
    pub(crate) ranks: Vec<RankInfo>,
    /// The ranks that run tasks, in rank order.
    pub(crate) workers: Vec<usize>,
    pub(crate) options: Options,
    pub(crate) timeout: Duration,
    /// The job's own directory inside the work directory (the same path on every rank).
    pub(crate) job_dir: PathBuf,
    /// Computations run so far (every rank counts the same: `compute()` is collective).
    pub(crate) runs: AtomicU64,
    /// The running computation and stage, naming the intermediate stores it makes.
    pub(crate) position: Mutex<(u64, usize)>,
    /// Intermediate stores the running computation made, removed when it ends.
    pub(crate) scratch: Mutex<Vec<PathBuf>>,
    /// MPI calls are serialized through this lock (MPI is initialised `Serialized`).
    lock: Mutex<()>,
}

static WORLD: OnceLock<World> = OnceLock::new();
static UNIVERSE: Mutex<Option<Universe>> = Mutex::new(None);

impl World {
    /// The job, once initialised.
    pub(crate) fn get() -> Option<&'static World> {
        WORLD.get()
    }

    /// The world communicator, held for exclusive use.
    pub(crate) fn comm(&self) -> (MutexGuard<'_, ()>, SimpleCommunicator) {
        let guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        (guard, SimpleCommunicator::world())
    }

    /// The tasks of `n` that `rank` runs: a contiguous, in-order share.
    pub(crate) fn task_range(&self, rank: usize, n: usize) -> std::ops::Range<usize> {
        match self.workers.iter().position(|&r| r == rank) {
            Some(w) => {
                let count = self.workers.len() as u128;
                let lo = (n as u128 * w as u128 / count) as usize;
                let hi = (n as u128 * (w as u128 + 1) / count) as usize;
                lo..hi
            }
            None => 0..0,
        }
    }
}

/// dask-mpi's `initialize(nthreads=..., memory_limit=...)`: joins the MPI job, gives this
/// rank its role, builds its [`Client`] (one worker of `nthreads` threads under
/// `memory_limit`, made current) and silences standard output on every rank but the
/// client. See [`initialize_with`].
///
/// # Errors
///
/// [`MpiError::TooFewRanks`] with fewer than 3 ranks, [`MpiError::Init`] when called
/// twice or MPI cannot start, and the [`Client`] builder's errors for bad settings.
///
/// ```no_run
/// let mpi = spillway::mpi::initialize(4, "40GB")?;
/// let client = spillway::Client::builder().build()?; // this rank's settings
/// println!("{client}");
/// # Ok::<(), spillway::Error>(())
/// ```
pub fn initialize(nthreads: usize, memory_limit: impl Into<MemoryLimit>) -> Result<Mpi, MpiError> {
    initialize_with(Options::new(nthreads, memory_limit))
}

/// [`initialize`] with all the [`Options`].
///
/// Every rank goes on running the program after this returns (see the module docs): its
/// `compute()` calls are collective. MPI is finalised when the process exits.
///
/// # Errors
///
/// As [`initialize`]; with the scheduler in the client, 2 ranks suffice.
///
/// ```no_run
/// use spillway::mpi::{initialize_with, Options};
/// let mpi = initialize_with(Options::new(2, "4GB").scheduler_in_client(true))?;
/// # let _ = mpi;
/// # Ok::<(), spillway::Error>(())
/// ```
pub fn initialize_with(options: Options) -> Result<Mpi, MpiError> {
    if let Some(world) = WORLD.get() {
        let _ = world;
        return Err(MpiError::Init {
            reason: "initialize was already called in this process".into(),
        });
    }
    let Some((universe, _threading)) = mpi::initialize_with_threading(Threading::Serialized) else {
        return Err(MpiError::Init {
            reason: "MPI was already initialised by other code in this process".into(),
        });
    };
    let comm = universe.world();
    *UNIVERSE.lock().unwrap_or_else(|e| e.into_inner()) = Some(universe);
    // SAFETY: registers a plain function with no captured state; it runs once at exit.
    unsafe {
        libc::atexit(finalize_at_exit);
    }
    let rank = comm.rank() as usize;
    let size = comm.size() as usize;
    if size < options.needed_ranks() {
        return Err(MpiError::TooFewRanks {
            ranks: size,
            needed: options.needed_ranks(),
            roles: options.roles().to_string(),
        });
    }
    let client = Client::builder()
        .n_workers(1)
        .threads_per_worker(options.nthreads)
        .memory_limit(options.memory_limit.clone())
        .build()?;
    let host = mpi::environment::processor_name().unwrap_or_else(|_| "?".into());
    // every rank's (threads, memory, job id, host) in fixed-size records; rank 0's job id
    // names the job's directory
    const RECORD: usize = 256;
    const HOST: usize = 25;
    let mut mine = [0u8; RECORD];
    mine[..8].copy_from_slice(&(options.nthreads as u64).to_le_bytes());
    mine[8..16].copy_from_slice(&client.memory_limit_per_worker().to_le_bytes());
    mine[16..24].copy_from_slice(&job_id().to_le_bytes());
    let name = host.as_bytes();
    let n = name.len().min(RECORD - HOST);
    mine[HOST - 1] = n as u8;
    mine[HOST..HOST + n].copy_from_slice(&name[..n]);
    let mut all = vec![0u8; RECORD * size];
    comm.all_gather_into(&mine[..], &mut all[..]);
    let ranks: Vec<RankInfo> = all
        .chunks_exact(RECORD)
        .enumerate()
        .map(|(r, rec)| RankInfo {
            rank: r,
            threads: u64::from_le_bytes(rec[..8].try_into().expect("8 bytes")) as usize,
            memory_bytes: u64::from_le_bytes(rec[8..16].try_into().expect("8 bytes")),
            host: String::from_utf8_lossy(&rec[HOST..HOST + rec[HOST - 1] as usize]).into_owned(),
            role: options.role_of(r),
        })
        .collect();
    let workers = ranks
        .iter()
        .filter(|r| r.role == Role::Worker)
        .map(|r| r.rank)
        .collect();
    let timeout = options.timeout.unwrap_or_else(|| {
        let secs = std::env::var("SPILLWAY_MPI_TIMEOUT")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(600);
        Duration::from_secs(secs)
    });
    let is_client = matches!(ranks[rank].role, Role::Client | Role::ClientScheduler);
    let job = u64::from_le_bytes(all[16..24].try_into().expect("8 bytes"));
    let job_dir = options
        .work_dir_or_default()
        .join(format!("spillway-job-{job:016x}"));
    let world = World {
        rank,
        ranks,
        workers,
        options,
        timeout,
        job_dir,
        runs: AtomicU64::new(0),
        position: Mutex::new((0, 0)),
        scratch: Mutex::new(Vec::new()),
        lock: Mutex::new(()),
    };
    if WORLD.set(world).is_err() {
        return Err(MpiError::Init {
            reason: "initialize was called twice at once".into(),
        });
    }
    let world = WORLD.get().expect("set above");
    if crate::exec::distributed::register(Box::new(super::hook::Hook(world))).is_err() {
        return Err(MpiError::Init {
            reason: "another distributed-execution hook is registered in this process".into(),
        });
    }
    super::tasklog::start(world, is_client);
    if !is_client {
        silence_stdout();
    }
    Ok(Mpi { world })
}

/// An id for this job, as rank 0 makes it: its process id and the clock's nanoseconds.
fn job_id() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (u64::from(std::process::id()) << 40) ^ nanos
}

/// Points file descriptor 1 at /dev/null (dask-mpi's non-client ranks print nothing).
fn silence_stdout() {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let _ = std::io::stdout().flush();
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        // SAFETY: dup2 on two open descriptors; stdout's Rust handle keeps writing to fd 1.
        unsafe {
            libc::dup2(null.as_raw_fd(), 1);
        }
    }
}

extern "C" fn finalize_at_exit() {
    if let Some(world) = WORLD.get() {
        {
            // every rank is done with the job's directory once all got here
            let (_guard, comm) = world.comm();
            comm.barrier();
        }
        super::shared::remove_job_dir_at_exit(world);
    }
    let universe = UNIVERSE.lock().unwrap_or_else(|e| e.into_inner()).take();
    // dropping the universe calls MPI_Finalize
    drop(universe);
}

/// The rank's (threads, memory limit): the defaults of clients built after [`initialize`].
pub(super) fn rank_settings(world: &World) -> (usize, MemoryLimit) {
    (world.options.nthreads, world.options.memory_limit.clone())
}

/// The job's lines of a client summary: its ranks, hosts, threads and memory.
pub(super) fn write_summary(world: &World, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let threads: usize = world.workers.iter().map(|&r| world.ranks[r].threads).sum();
    let memory: u64 = world
        .workers
        .iter()
        .map(|&r| world.ranks[r].memory_bytes)
        .sum();
    writeln!(
        f,
        "  MPI: {} ranks ({}), {} worker ranks with {} threads and {} in all; this is rank {}",
        world.ranks.len(),
        world.options.roles(),
        world.workers.len(),
        threads,
        format_bytes(memory),
        world.rank
    )?;
    for r in &world.ranks {
        writeln!(
            f,
            "    rank {} on {}: {}, {} threads, memory limit {}",
            r.rank,
            r.host,
            r.role,
            r.threads,
            format_bytes(r.memory_bytes)
        )?;
    }
    Ok(())
}
