//! Joining the MPI job: `initialize` (spillway starts MPI, dask-mpi's call) and
//! `initialize_in` (the program started MPI and hands spillway a communicator); both
//! agree every rank's settings, register the job as the executor's distributed hook, and
//! leave the job's directory clean at exit.

use super::MpiError;
use super::options::Options;
use super::settings;
use super::world::{Comm, Mpi, RankInfo, WORLD, World};
use crate::exec::client::MemoryLimit;
use mpi::Threading;
use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::*;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// The universe spillway started (not when embedded): dropped, it finalizes MPI at exit.
static UNIVERSE: Mutex<Option<Universe>> = Mutex::new(None);

/// dask-mpi's `initialize(nthreads=..., memory_limit=...)`: starts MPI, joins the job in
/// the default [`Layout`](super::Layout) (every rank runs tasks), builds this rank's
/// [`Client`](crate::exec::client::Client) (one worker of `nthreads` threads under
/// `memory_limit`, made current) and silences standard output on every rank but the
/// client. See [`initialize_with`].
///
/// # Errors
///
/// [`MpiError::Init`] when called twice or MPI cannot start, [`MpiError::Settings`] (on
/// every rank) when a rank's settings are refused (a bad memory limit, more threads or
/// memory than Slurm granted).
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

/// [`initialize`] with all the [`Options`]: threads and memory limit given or taken
/// from Slurm, the layout, the timeouts and the work directory.
///
/// Every rank goes on running the program after this returns (see the module docs): its
/// `compute()` calls are collective. MPI is finalised when the process exits.
///
/// # Errors
///
/// As [`initialize`]; [`MpiError::TooFewRanks`] with fewer ranks than the layout needs.
///
/// ```no_run
/// use spillway::mpi::{initialize_with, Layout, Options};
/// // the lesson's twin: rank 0 the scheduler, rank 1 the client, ranks 2+ workers;
/// // threads and memory from SLURM_CPUS_PER_TASK and SLURM_MEM_PER_NODE
/// let mpi = initialize_with(Options::default().layout(Layout::DaskMpi))?;
/// # let _ = mpi;
/// # Ok::<(), spillway::Error>(())
/// ```
pub fn initialize_with(options: Options) -> Result<Mpi, MpiError> {
    if WORLD.get().is_some() {
        return Err(already());
    }
    let Some((universe, threading)) = mpi::initialize_with_threading(Threading::Serialized) else {
        return Err(MpiError::Init {
            reason: "MPI was already initialised by other code in this process; hand spillway \
                     its communicator with spillway::mpi::initialize_in(&world, options)"
                .into(),
        });
    };
    let comm = universe.world().duplicate();
    *UNIVERSE.lock().unwrap_or_else(|e| e.into_inner()) = Some(universe);
    // SAFETY: registers a plain function with no captured state; it runs once at exit.
    unsafe {
        libc::atexit(finalize_at_exit);
    }
    // the liveness thread calls MPI besides the computing thread: serialized at least
    let threads_ok = matches!(threading, Threading::Serialized | Threading::Multiple);
    start(comm, options, false, threads_ok)
}

/// Joins spillway to an MPI job the program started itself: `comm` (the world or any
/// intra-communicator of rsmpi's) is duplicated, so spillway's messages never meet the
/// program's, and its ranks become spillway's ranks, as with [`initialize_with`]. Call it
/// on every rank of `comm`, once, after MPI is initialised; then every rank of `comm`
/// runs the same `compute()` calls (ranks outside `comm` do not take part).
///
/// The program keeps MPI: it finalizes it (drops its `Universe`) when it is done, after
/// its last computation. Standard output is left alone (the program decides what each
/// rank prints; [`Mpi::is_client`] is the rank that would print). spillway calls MPI
/// from the thread that calls `compute()`: initialise MPI with at least
/// `Threading::Funneled` and compute from that thread, or `Threading::Serialized`.
///
/// # Errors
///
/// [`MpiError::Init`] when MPI is not initialised or spillway already joined a job,
/// [`MpiError::TooFewRanks`] and [`MpiError::Settings`] as [`initialize_with`].
///
/// ```no_run
/// use mpi::traits::*;
/// let (universe, _) = mpi::initialize_with_threading(mpi::Threading::Serialized).unwrap();
/// let world = universe.world();
/// let job = spillway::mpi::initialize_in(&world, spillway::mpi::Options::new(2, "4GB"))?;
/// let pi = /* the lesson's dask_calculate_pi */ spillway::random::random([1000], 100).sum();
/// let value = pi.compute_scalar()?; // the same on every rank of `world`
/// let mut total = 0.0;
/// world.all_reduce_into(&value, &mut total, mpi::collective::SystemOperation::sum());
/// # let _ = job;
/// # Ok::<(), spillway::Error>(())
/// ```
pub fn initialize_in<C: Communicator>(comm: &C, options: Options) -> Result<Mpi, MpiError> {
    if WORLD.get().is_some() {
        return Err(already());
    }
    if !mpi::environment::is_initialized() || mpi::environment::is_finalized() {
        return Err(MpiError::Init {
            reason: "MPI is not initialised (or already finalized): initialise it first \
                     (mpi::initialize_with_threading), or let spillway::mpi::initialize do it"
                .into(),
        });
    }
    let comm = comm.duplicate();
    // SAFETY: registers a plain function with no captured state; it runs once at exit.
    unsafe {
        libc::atexit(finalize_at_exit);
    }
    start(comm, options, true, false)
}

fn already() -> MpiError {
    MpiError::Init {
        reason: "spillway joined an MPI job in this process already (initialize is called once)"
            .into(),
    }
}

/// Bytes of a rank's host record: the job id, the liveness check's timeout in
/// milliseconds (rank 0's count), whether the rank can run the check, then the host name.
const HOST_RECORD: usize = 256;
/// Where the host name's length starts in a host record.
const HOST_NAME: usize = 17;
/// Bytes of a rank's settings record: ok, threads, memory, then a message.
const SETTINGS_RECORD: usize = 1024;

/// Sets the job up over `comm` (collective): hosts, every rank's settings agreed, the
/// world registered as the executor's hook, the liveness check started when every rank
/// can run it (`liveness_ok`: spillway started MPI, serialized) and rank 0's timeout is
/// not zero.
fn start(
    comm: SimpleCommunicator,
    options: Options,
    embedded: bool,
    liveness_ok: bool,
) -> Result<Mpi, MpiError> {
    let rank = comm.rank() as usize;
    let size = comm.size() as usize;
    let layout = options.layout;
    if size < layout.needed_ranks() {
        return Err(MpiError::TooFewRanks {
            ranks: size,
            needed: layout.needed_ranks(),
            roles: layout.roles().to_string(),
        });
    }
    // hosts, rank 0's job id (it names the job's directory) and liveness timeout
    let host = mpi::environment::processor_name().unwrap_or_else(|_| "?".into());
    let mut mine = [0u8; HOST_RECORD];
    mine[..8].copy_from_slice(&job_id().to_le_bytes());
    let heartbeat_ms = options.heartbeat_timeout_or_default().as_millis();
    mine[8..16].copy_from_slice(&(heartbeat_ms.min(u128::from(u64::MAX)) as u64).to_le_bytes());
    mine[16] = u8::from(liveness_ok);
    let name = &host.as_bytes()[..host.len().min(HOST_RECORD - HOST_NAME - 2)];
    mine[HOST_NAME..HOST_NAME + 2].copy_from_slice(&(name.len() as u16).to_le_bytes());
    mine[HOST_NAME + 2..HOST_NAME + 2 + name.len()].copy_from_slice(name);
    let mut all = vec![0u8; HOST_RECORD * size];
    comm.all_gather_into(&mine[..], &mut all[..]);
    let hosts: Vec<String> = all
        .chunks_exact(HOST_RECORD)
        .map(|rec| {
            let n = u16::from_le_bytes([rec[HOST_NAME], rec[HOST_NAME + 1]]) as usize;
            let n = n.min(HOST_RECORD - HOST_NAME - 2);
            String::from_utf8_lossy(&rec[HOST_NAME + 2..HOST_NAME + 2 + n]).into_owned()
        })
        .collect();
    let job = u64::from_le_bytes(all[..8].try_into().expect("8 bytes"));
    // rank 0's timeout, when every rank can run the check
    let heartbeat = if all.chunks_exact(HOST_RECORD).all(|rec| rec[16] == 1) {
        Duration::from_millis(u64::from_le_bytes(all[8..16].try_into().expect("8 bytes")))
    } else {
        Duration::ZERO
    };
    // the heartbeats' own communicator (collective: made on every rank alike)
    let beats = (!embedded).then(|| Comm(comm.duplicate()));
    let on_node = hosts.iter().filter(|h| **h == host).count();

    // every rank's settings, or why they were refused: a refusal anywhere is an error
    // everywhere, naming the ranks
    let resolved = settings::resolve(&options, on_node);
    let mut mine = [0u8; SETTINGS_RECORD];
    match &resolved {
        Ok(r) => {
            mine[0] = 1;
            mine[1..9].copy_from_slice(&(r.threads as u64).to_le_bytes());
            mine[9..17].copy_from_slice(&r.client.memory_limit_per_worker().to_le_bytes());
        }
        Err(message) => {
            let text = &message.as_bytes()[..message.len().min(SETTINGS_RECORD - 19)];
            mine[17..19].copy_from_slice(&(text.len() as u16).to_le_bytes());
            mine[19..19 + text.len()].copy_from_slice(text);
        }
    }
    let mut all = vec![0u8; SETTINGS_RECORD * size];
    comm.all_gather_into(&mine[..], &mut all[..]);
    let records: Vec<&[u8]> = all.chunks_exact(SETTINGS_RECORD).collect();
    let refused: Vec<(usize, String)> = records
        .iter()
        .enumerate()
        .filter(|(_, rec)| rec[0] != 1)
        .map(|(r, rec)| {
            let n = u16::from_le_bytes([rec[17], rec[18]]) as usize;
            let text = &rec[19..19 + n.min(SETTINGS_RECORD - 19)];
            (r, String::from_utf8_lossy(text).into_owned())
        })
        .collect();
    if !refused.is_empty() {
        if let Ok(r) = &resolved {
            r.client.close();
        }
        return Err(MpiError::Settings {
            refused: describe_refusals(&refused, &hosts),
        });
    }
    let resolved = resolved.expect("no rank refused");
    let ranks: Vec<RankInfo> = records
        .iter()
        .enumerate()
        .map(|(r, rec)| RankInfo {
            rank: r,
            host: hosts[r].clone(),
            role: layout.role_of(r),
            threads: u64::from_le_bytes(rec[1..9].try_into().expect("8 bytes")) as usize,
            memory_bytes: u64::from_le_bytes(rec[9..17].try_into().expect("8 bytes")),
        })
        .collect();
    let workers = ranks
        .iter()
        .filter(|r| r.role.runs_tasks())
        .map(|r| r.rank)
        .collect();
    let timeout = options.timeout.unwrap_or_else(|| {
        let secs = std::env::var("SPILLWAY_MPI_TIMEOUT")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(600);
        Duration::from_secs(secs)
    });
    let is_client = ranks[rank].role.is_client();
    let job_dir = options
        .work_dir_or_default()
        .join(format!("spillway-job-{job:016x}"));
    let world = World {
        rank,
        ranks,
        workers,
        layout,
        settings_from: resolved.from,
        timeout,
        heartbeat,
        job_dir,
        embedded,
        runs: AtomicU64::new(0),
        position: Mutex::new((0, 0)),
        scratch: Mutex::new(Vec::new()),
        comm: Mutex::new(Comm(comm)),
        collective: Mutex::new(()),
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
    if let Some(beats) = beats {
        super::liveness::start(world, beats);
    }
    if !is_client && !embedded {
        silence_stdout();
    }
    Ok(Mpi { world })
}

/// The refused ranks in words: ranks that gave the same reason together, with their hosts.
fn describe_refusals(refused: &[(usize, String)], hosts: &[String]) -> String {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (rank, message) in refused {
        match groups.iter_mut().find(|(m, _)| m == message) {
            Some((_, ranks)) => ranks.push(*rank),
            None => groups.push((message.clone(), vec![*rank])),
        }
    }
    let parts: Vec<String> = groups
        .into_iter()
        .map(|(message, ranks)| {
            let mut on: Vec<&str> = ranks.iter().map(|&r| hosts[r].as_str()).collect();
            on.dedup();
            let list: Vec<String> = ranks.iter().map(usize::to_string).collect();
            let which = if ranks.len() == hosts.len() && ranks.len() > 1 {
                format!("every rank ({})", list.join(", "))
            } else if ranks.len() == 1 {
                format!("rank {}", list[0])
            } else {
                format!("ranks {}", list.join(", "))
            };
            format!("{which} (on {}): {message}", on.join(", "))
        })
        .collect();
    parts.join("; ")
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
        // every rank is done with the job's directory once all got here (an embedding
        // program that finalized MPI already passed MPI_Finalize, which every rank joins)
        if !mpi::environment::is_finalized() {
            super::allgather::barrier(&world.comm);
        }
        // no MPI call of the heartbeat thread may come after MPI_Finalize
        super::liveness::stop();
        super::shared::remove_job_dir_at_exit(world);
        if world.embedded {
            return;
        }
    }
    let universe = UNIVERSE.lock().unwrap_or_else(|e| e.into_inner()).take();
    // dropping the universe calls MPI_Finalize
    drop(universe);
}
