//! The liveness check: a rank that went silent (its host cut off the network, its process
//! stopped or frozen) ends the job within seconds, named, instead of leaving the others
//! waiting in an exchange until the stage's timeout (`SPILLWAY_MPI_TIMEOUT`, 600 s).
//!
//! MPI itself notices nothing when a host drops off the network: TCP retransmits for many
//! minutes, and the ranks waiting for it in an all-gather go on waiting. So from
//! `initialize` to exit every rank runs a small thread that, every [`interval`] (a fifth of
//! the timeout, at most 1 s), sends a heartbeat (one word) to rank 0, while rank 0's thread
//! sends one to every other rank, on a communicator of their own. Each thread notes when it
//! last heard from its peers. A peer silent for longer than the timeout
//! (`SPILLWAY_MPI_HEARTBEAT_TIMEOUT`, default 5 s, or `Options::heartbeat_timeout`; rank
//! 0's setting is the job's) is unreachable: the thread prints
//! `error: rank 2 on host3 is unreachable: no word from it for 5.0 s ...` and ends the job
//! (`MPI_Abort`; should the MPI runtime not have ended the process [`ABORT_GRACE`] later,
//! the process exits itself). Rank 0 names the silent ranks; another rank names rank 0.
//!
//! The thread beats whether or not a computation runs, so a rank busy in the program's own
//! code between two computations is not taken for dead, nor is a rank running a long task
//! (a task that never ends is the stage timeout's case).
//!
//! MPI calls are serialized (spillway initialises MPI with `Threading::Serialized`): the
//! thread holds the job's MPI lock for its few non-blocking calls per beat, as the
//! exchanges hold it for each post and test, never through a wait. A send is posted only
//! when the previous one to the same peer completed, so a silent peer costs one pending
//! request, not one per beat. A thread that was itself held up for half the timeout (its
//! process stopped, the machine swapping) does not blame its peers for the gap: it gives
//! them a fresh timeout.
//!
//! Not in a program that started MPI itself ([`initialize_in`](super::initialize_in)): its
//! own MPI calls and its `MPI_Finalize` are not serialized with a thread of spillway's, so
//! there only the stage's timeout applies.

use super::MpiError;
use super::tasklog;
use super::world::{Comm, World};
use mpi::request::{Request, StaticScope};
use mpi::traits::*;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, TryLockError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The heartbeats' tag (they have their communicator to themselves).
const TAG: i32 = 0x51ee;
/// A heartbeat's word.
static BEAT: u64 = 1;
/// Exit status of a rank that ends the job because another went silent.
pub(super) const EXIT_CODE: i32 = 4;
/// How long `MPI_Abort` may take before the rank exits by itself.
pub(super) const ABORT_GRACE: Duration = Duration::from_secs(2);
/// The longest gap between two heartbeats.
const MAX_INTERVAL: Duration = Duration::from_secs(1);
/// The shortest.
const MIN_INTERVAL: Duration = Duration::from_millis(20);
/// Probes that find nothing before a round stops listening (see [`beat`]).
const POLLS: u32 = 16;
/// How long a stopping thread waits for its last sends to complete.
const DRAIN: Duration = Duration::from_millis(200);

static STOP: AtomicBool = AtomicBool::new(false);
static THREAD: Mutex<Option<JoinHandle<()>>> = Mutex::new(None);

/// The time between two heartbeats for a check with `timeout`: a fifth of it, between
/// 20 ms and 1 s.
pub(super) fn interval(timeout: Duration) -> Duration {
    (timeout / 5).clamp(MIN_INTERVAL, MAX_INTERVAL)
}

/// The check's line in the client summary.
pub(super) fn describe(world: &World) -> String {
    if world.heartbeat.is_zero() {
        if world.embedded {
            "liveness check: off (MPI was started by the program; the stage timeout applies)"
                .to_string()
        } else {
            "liveness check: off (the stage timeout applies)".to_string()
        }
    } else {
        format!(
            "liveness check: a rank silent for {:.1} s ends the job (heartbeats every {:.1} s)",
            world.heartbeat.as_secs_f64(),
            interval(world.heartbeat).as_secs_f64()
        )
    }
}

/// Starts this rank's heartbeat thread, talking over `comm` (a communicator of its own),
/// when the job's check is on and it has more than one rank.
pub(super) fn start(world: &'static World, comm: Comm) {
    if world.heartbeat.is_zero() || world.ranks.len() < 2 {
        // left to MPI_Finalize, as the job's own communicator is
        std::mem::forget(comm);
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("spillway-liveness".into())
        .spawn(move || beat(world, comm));
    if let Ok(handle) = spawned {
        *THREAD.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
    }
}

/// Stops the heartbeat thread (at exit, after every rank passed the last barrier, before
/// `MPI_Finalize`).
pub(super) fn stop() {
    STOP.store(true, Ordering::Release);
    let handle = THREAD.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(handle) = handle {
        handle.thread().unpark();
        let _ = handle.join();
    }
}

/// The heartbeat thread: beats, listens, and ends the job when a peer stays silent.
fn beat(world: &'static World, comm: Comm) {
    let size = world.ranks.len();
    let peers: Vec<usize> = if world.rank == 0 {
        (1..size).collect()
    } else {
        vec![0]
    };
    let timeout = world.heartbeat;
    let every = interval(timeout);
    let mut heard = vec![Instant::now(); size];
    let mut sending: Vec<Option<Request<'static, u64>>> = (0..size).map(|_| None).collect();
    let mut last_round = Instant::now();
    while !STOP.load(Ordering::Acquire) {
        {
            let _mpi = world.comm();
            // every probe that finds nothing makes MPI progress once, and OpenMPI reads its
            // sockets on every eighth progress only: probe until POLLS of them found
            // nothing, so that what arrived since the last round is read now
            let mut idle = 0;
            while idle < POLLS {
                match comm.any_process().immediate_matched_probe_with_tag(TAG) {
                    Some((message, _)) => {
                        let (_, status) = message.matched_receive::<u64>();
                        if let Some(at) = heard.get_mut(status.source_rank() as usize) {
                            *at = Instant::now();
                        }
                    }
                    None => idle += 1,
                }
            }
            for &peer in &peers {
                if let Some(request) = sending[peer].take()
                    && let Err(pending) = request.test()
                {
                    sending[peer] = Some(pending);
                    continue;
                }
                let to = comm.process_at_rank(peer as i32);
                sending[peer] = Some(to.immediate_send_with_tag(StaticScope, &BEAT, TAG));
            }
        }
        let now = Instant::now();
        if now.duration_since(last_round) > timeout / 2 {
            // this thread was held up itself: its peers' silence may be its own
            heard.iter_mut().for_each(|at| *at = now);
        }
        last_round = now;
        let silent: Vec<(usize, Duration)> = peers
            .iter()
            .map(|&peer| (peer, now.duration_since(heard[peer])))
            .filter(|&(_, quiet)| quiet > timeout)
            .collect();
        if !silent.is_empty() {
            unreachable(world, &comm, &silent, every);
        }
        std::thread::park_timeout(every);
    }
    // the last sends complete at once unless a peer is gone: what is left, MPI_Finalize
    // discards
    let until = Instant::now() + DRAIN;
    for mut request in sending.into_iter().flatten() {
        loop {
            let tested = {
                let _mpi = world.comm();
                request.test()
            };
            match tested {
                Ok(_) => break,
                Err(pending) if Instant::now() < until => {
                    request = pending;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(pending) => {
                    // its buffer is static: nothing dangles
                    std::mem::forget(pending);
                    break;
                }
            }
        }
    }
    std::mem::forget(comm);
}

/// Prints which peers went silent and ends the job: `MPI_Abort` under the MPI lock (taken
/// within a second: the other threads hold it for single calls), and `_exit` should the
/// runtime not end the process within [`ABORT_GRACE`].
fn unreachable(world: &World, comm: &Comm, silent: &[(usize, Duration)], every: Duration) -> ! {
    let me = &world.ranks[world.rank];
    let longest = silent
        .iter()
        .map(|&(_, quiet)| quiet)
        .max()
        .unwrap_or_default();
    let error = MpiError::Unreachable {
        silent: silent
            .iter()
            .map(|&(rank, _)| (rank, world.ranks[rank].host.clone()))
            .collect(),
        seconds: longest.as_secs_f64(),
        from_rank: me.rank,
        from_host: me.host.clone(),
        every: every.as_secs_f64(),
    };
    // one write, so that the line is not cut by another rank's
    let _ = std::io::stderr().write_all(format!("error: {error}\n").as_bytes());
    tasklog::aborting();
    std::thread::spawn(|| {
        std::thread::sleep(ABORT_GRACE);
        // SAFETY: ends the process at once; nothing is left to clean up that MPI_Abort
        // would have.
        unsafe { libc::_exit(EXIT_CODE) }
    });
    let asked = Instant::now();
    let _mpi = loop {
        match world.comm.try_lock() {
            Ok(guard) => break Some(guard),
            Err(TryLockError::Poisoned(p)) => break Some(p.into_inner()),
            Err(TryLockError::WouldBlock) if asked.elapsed() < Duration::from_secs(1) => {
                std::thread::sleep(Duration::from_millis(5));
            }
            // ending the job matters more than the serialization of one last call
            Err(TryLockError::WouldBlock) => break None,
        }
    };
    comm.abort(EXIT_CODE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_is_a_fifth_of_the_timeout_within_bounds() {
        assert_eq!(interval(Duration::from_secs(5)), Duration::from_secs(1));
        assert_eq!(interval(Duration::from_secs(60)), Duration::from_secs(1));
        assert_eq!(interval(Duration::from_secs(2)), Duration::from_millis(400));
        assert_eq!(
            interval(Duration::from_millis(10)),
            Duration::from_millis(20)
        );
    }
}
