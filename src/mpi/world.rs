//! The MPI job as every rank knows it: the ranks, their roles, hosts, threads and memory,
//! the communicator spillway talks over, and the client summary's lines.

use super::options::{Layout, Role};
use crate::exec::client::MemoryLimit;
use crate::util::size::format_bytes;
use mpi::topology::SimpleCommunicator;
use std::fmt;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

/// One rank of the job, as every rank knows it.
///
/// ```no_run
/// let mpi = spillway::mpi::initialize(1, "1GB")?;
/// let first: &spillway::mpi::RankInfo = &mpi.ranks()[0];
/// println!("rank 0 on {} has {} threads", first.host, first.threads);
/// # Ok::<(), spillway::Error>(())
/// ```
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

/// This process's place in the MPI job, returned by [`initialize`](super::initialize).
///
/// ```no_run
/// let mpi = spillway::mpi::initialize(1, "1GB").unwrap();
/// if mpi.is_client() {
///     eprintln!("{} ranks", mpi.size());
/// }
/// ```
#[derive(Clone, Copy)]
pub struct Mpi {
    pub(super) world: &'static World,
}

impl fmt::Debug for Mpi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mpi")
            .field("rank", &self.rank())
            .field("size", &self.size())
            .field("role", &self.role())
            .field("layout", &self.layout())
            .finish()
    }
}

impl Mpi {
    /// This process's rank (in the communicator spillway was given).
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
    /// assert!(spillway::mpi::initialize(1, "1GB").unwrap().size() >= 1);
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
    /// The layout the job runs.
    ///
    /// ```no_run
    /// let mpi = spillway::mpi::initialize(1, "1GB").unwrap();
    /// assert_eq!(mpi.layout(), spillway::mpi::Layout::EveryRankComputes);
    /// ```
    pub fn layout(&self) -> Layout {
        self.world.layout
    }
    /// True on the rank that runs the user's program with its output (rank 0 by
    /// default, rank 1 in [`Layout::DaskMpi`]).
    ///
    /// ```no_run
    /// let mpi = spillway::mpi::initialize(1, "1GB").unwrap();
    /// assert_eq!(mpi.is_client(), mpi.rank() == 0);
    /// ```
    pub fn is_client(&self) -> bool {
        self.role().is_client()
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

/// The communicator spillway talks over: its own duplicate of the world's (or of the
/// communicator an embedding program gave), so its messages never meet the program's.
pub(crate) struct Comm(pub(super) SimpleCommunicator);

// SAFETY: an MPI communicator handle may be used from any thread when calls are
// serialized; every use goes through `World::comm`'s lock.
unsafe impl Send for Comm {}

impl Deref for Comm {
    type Target = SimpleCommunicator;
    fn deref(&self) -> &SimpleCommunicator {
        &self.0
    }
}

/// Everything about the job, set once by `initialize`.
pub(crate) struct World {
    pub(crate) rank: usize,
    pub(crate) ranks: Vec<RankInfo>,
    /// The ranks that run tasks, in rank order.
    pub(crate) workers: Vec<usize>,
    pub(crate) layout: Layout,
    /// Where this rank's threads and memory limit came from, in words.
    pub(crate) settings_from: String,
    pub(crate) timeout: Duration,
    /// The liveness check's timeout (zero: no check; see [`liveness`](super::liveness)).
    pub(crate) heartbeat: Duration,
    /// The job's own directory inside the work directory (the same path on every rank).
    pub(crate) job_dir: PathBuf,
    /// True when the program initialised MPI itself (`initialize_in`): it finalizes it.
    pub(crate) embedded: bool,
    /// Computations run so far (every rank counts the same: `compute()` is collective).
    pub(crate) runs: AtomicU64,
    /// The running computation and stage, naming the intermediate stores it makes.
    pub(crate) position: Mutex<(u64, usize)>,
    /// Intermediate stores the running computation made, removed when it ends.
    pub(crate) scratch: Mutex<Vec<PathBuf>>,
    /// The communicator. Its lock is the MPI lock: every MPI call (the exchanges', the
    /// liveness thread's) holds it for that call only, so that calls are serialized.
    pub(super) comm: Mutex<Comm>,
    /// Held through each exchange, so that two of this rank's threads never interleave
    /// their collectives (the MPI lock alone is taken and released per call).
    pub(super) collective: Mutex<()>,
}

pub(super) static WORLD: OnceLock<World> = OnceLock::new();

impl World {
    /// The job, once initialised.
    pub(crate) fn get() -> Option<&'static World> {
        WORLD.get()
    }

    /// The job's communicator, held for exclusive use of MPI (one call, or a few).
    pub(crate) fn comm(&self) -> MutexGuard<'_, Comm> {
        self.comm.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// This rank's turn at the collectives, held through one exchange.
    pub(super) fn collective(&self) -> MutexGuard<'_, ()> {
        self.collective.lock().unwrap_or_else(|e| e.into_inner())
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

/// The rank's (threads, memory limit): the defaults of clients built after `initialize`.
pub(super) fn rank_settings(world: &World) -> (usize, MemoryLimit) {
    let me = &world.ranks[world.rank];
    (me.threads, MemoryLimit::Bytes(me.memory_bytes))
}

/// The job's lines of a client summary: its layout, ranks, hosts, threads and memory.
pub(super) fn write_summary(world: &World, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let threads: usize = world.workers.iter().map(|&r| world.ranks[r].threads).sum();
    let memory: u64 = world
        .workers
        .iter()
        .map(|&r| world.ranks[r].memory_bytes)
        .sum();
    writeln!(
        f,
        "  MPI: {} ranks, layout: {} ({}); {} ranks run tasks, with {} threads and {} in all; this is rank {}",
        world.ranks.len(),
        world.layout,
        world.layout.roles(),
        world.workers.len(),
        threads,
        format_bytes(memory),
        world.rank
    )?;
    writeln!(f, "    this rank's settings: {}", world.settings_from)?;
    writeln!(f, "    {}", super::liveness::describe(world))?;
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
