//! Every rank's bytes on every rank, through MPI's non-blocking collectives
//! (`MPI_Iallgather` of the lengths, then `MPI_Iallgatherv` of the bytes), and the wait
//! policy of a rank that waits on the others.
//!
//! **Wait policy.** A blocking MPI call spins on its core until the others arrive; with
//! more ranks than cores (oversubscribed, or ranks that finished their share early while
//! others still compute) that spinning takes the working ranks' cores. So every wait for
//! the others to arrive (the lengths, barriers) tests its request: the first [`YIELDS`]
//! tries give the core away with `sched_yield`, then the rank sleeps, from 50 µs doubling
//! up to [`MAX_SLEEP`] (1 ms) between tries. A waiting rank thus costs next to no CPU, and a reply is seen at most
//! about 1 ms late. The rank that keeps the deadline (rank 0) checks it between tries.
//! Once every rank has arrived, the bytes' transfer is tested without sleeping
//! ([`wait_transfer`]).
//!
//! **The MPI lock.** Each post and each test holds the communicator's lock for that call
//! only, never through a wait, so that the liveness thread ([`liveness`](super::liveness))
//! gets its turn at MPI while a rank waits here.

use super::world::Comm;
use mpi::datatype::PartitionMut;
use mpi::request::{Request, Scope, scope};
use mpi::traits::*;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Tries that yield the core before the waiting rank starts sleeping.
pub(super) const YIELDS: u32 = 64;
/// The longest sleep between two tries.
pub(super) const MAX_SLEEP: Duration = Duration::from_millis(1);
/// Bytes per all-gather call in all (MPI's counts and displacements are 32-bit).
const ROUND: usize = 1 << 30;

/// The MPI lock, for one call.
fn lock(mpi: &Mutex<Comm>) -> MutexGuard<'_, Comm> {
    mpi.lock().unwrap_or_else(|e| e.into_inner())
}

/// Tests `request` once, holding `mpi`'s lock for that call only: `None` when it completed,
/// else the request, still pending.
fn test<'a, D: ?Sized, S: Scope<'a>>(
    mpi: &Mutex<Comm>,
    request: Request<'a, D, S>,
) -> Option<Request<'a, D, S>> {
    let _mpi = lock(mpi);
    request.test().err()
}

/// Waits for `request` by the wait policy, holding `mpi`'s lock for each test only. Past
/// `deadline`, calls `on_deadline`, which ends the job (it does not return).
pub(super) fn wait<'a, D: ?Sized, S: Scope<'a>>(
    mpi: &Mutex<Comm>,
    mut request: Request<'a, D, S>,
    deadline: Option<Instant>,
    on_deadline: &dyn Fn(),
) {
    let mut tries = 0u32;
    loop {
        request = match test(mpi, request) {
            Some(pending) => pending,
            None => return,
        };
        tries = tries.saturating_add(1);
        if tries <= YIELDS {
            std::thread::yield_now();
            continue;
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            on_deadline();
        }
        let doublings = (tries - YIELDS).min(5);
        std::thread::sleep(Duration::from_micros(50u64 << doublings).min(MAX_SLEEP));
    }
}

/// Waits for a transfer that every rank has already joined (the bytes after the
/// lengths): tests it without sleeping, yielding the core between tests, and holding
/// `mpi`'s lock for each test only. A non-blocking collective advances only while its
/// ranks test it, so sleeping here would stretch the transfer (1.6x on 64 ranks with
/// sleeps), and a blocking call would hold the lock from the liveness thread.
fn wait_transfer<'a, D: ?Sized, S: Scope<'a>>(mpi: &Mutex<Comm>, mut request: Request<'a, D, S>) {
    loop {
        request = match test(mpi, request) {
            Some(pending) => pending,
            None => return,
        };
        std::thread::yield_now();
    }
}

/// A barrier by the wait policy (no deadline).
pub(super) fn barrier(mpi: &Mutex<Comm>) {
    let request = lock(mpi).immediate_barrier();
    wait(mpi, request, None, &|| {});
}

/// Every rank's `mine`, on every rank (collective): the ranks' lengths and their bytes
/// one after the other in rank order.
pub(super) fn all_gather(
    mpi: &Mutex<Comm>,
    mine: &[u8],
    deadline: Option<Instant>,
    on_deadline: &dyn Fn(),
) -> (Vec<usize>, Vec<u8>) {
    let size = lock(mpi).size() as usize;
    let len = mine.len() as u64;
    let mut lens = vec![0u64; size];
    scope(|s| {
        let request = lock(mpi).immediate_all_gather_into(s, &len, &mut lens[..]);
        wait(mpi, request, deadline, on_deadline);
    });
    let lens: Vec<usize> = lens.into_iter().map(|l| l as usize).collect();
    let total: usize = lens.iter().sum();
    let mut all = vec![0u8; total];
    if total == 0 {
        return (lens, all);
    }
    // every rank has arrived (the lengths are in): the bytes move without sleeps
    if total <= ROUND {
        let counts: Vec<i32> = lens.iter().map(|&l| l as i32).collect();
        let displs = offsets(&counts);
        let mut partition = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
        scope(|s| {
            let request = lock(mpi).immediate_all_gather_varcount_into(s, mine, &mut partition);
            wait_transfer(mpi, request);
        });
        return (lens, all);
    }
    // in rounds of at most ROUND bytes in all, each rank sending a slice of its share
    let quota = (ROUND / size).max(1);
    let rounds = lens.iter().map(|l| l.div_ceil(quota)).max().unwrap_or(0);
    let starts: Vec<usize> = lens
        .iter()
        .scan(0, |at, &l| {
            let s = *at;
            *at += l;
            Some(s)
        })
        .collect();
    for round in 0..rounds {
        let from = round * quota;
        let counts: Vec<i32> = lens
            .iter()
            .map(|&l| l.saturating_sub(from).min(quota) as i32)
            .collect();
        let displs = offsets(&counts);
        let mut piece = vec![0u8; counts.iter().map(|&c| c as usize).sum()];
        let send = &mine[from.min(mine.len())..(from + quota).min(mine.len())];
        let mut partition = PartitionMut::new(&mut piece[..], &counts[..], &displs[..]);
        scope(|s| {
            let request = lock(mpi).immediate_all_gather_varcount_into(s, send, &mut partition);
            wait_transfer(mpi, request);
        });
        for (rank, (&count, &at)) in counts.iter().zip(&displs).enumerate() {
            let (count, at) = (count as usize, at as usize);
            all[starts[rank] + from..starts[rank] + from + count]
                .copy_from_slice(&piece[at..at + count]);
        }
    }
    (lens, all)
}

/// Where each count starts when they lie one after the other.
fn offsets(counts: &[i32]) -> Vec<i32> {
    counts
        .iter()
        .scan(0i32, |at, &c| {
            let s = *at;
            *at += c;
            Some(s)
        })
        .collect()
}
