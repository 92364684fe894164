//! What the ranks share through the file system: stores made once and joined by every
//! rank, intermediate stores under the job's work directory, and their removal.
//!
//! Bulk data does not travel over MPI: a rank writes its share of a store's chunks into a
//! zarr store in the work directory (Lustre or GPFS on a cluster), the ranks meet (every
//! rank's share of the stage has arrived at rank 0 and been broadcast, see
//! [`exec`](super::exec)), and then every rank reads any chunk it needs.

use super::MpiError;
use super::exec::{encode, exchange};
use super::world::World;
use crate::exec::error::{ExecError, Result};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

/// The rank that makes what is made once: the client (its errors are the program's).
fn maker(world: &World) -> usize {
    world
        .ranks
        .iter()
        .position(|r| matches!(r.role, super::Role::Client | super::Role::ClientScheduler))
        .unwrap_or(0)
}

/// Every rank's outcome of one step, met: `Ok` when all succeeded, else this rank's own
/// error or, on the others, the first failed rank's (as [`MpiError::OnRank`]).
fn meet(world: &World, what: &str, mine: &Result<()>) -> Result<()> {
    let outcome = mine.clone().map(|()| Vec::new());
    match exchange(world, what, 0, encode(outcome, "")) {
        Ok(_) => Ok(()),
        Err(e) => Err(match mine {
            Err(own) => own.clone(),
            Ok(()) => match &e {
                ExecError::Op(op) => match op.downcast_ref::<MpiError>() {
                    Some(MpiError::RankFailed {
                        rank,
                        host,
                        message,
                        ..
                    }) => MpiError::OnRank {
                        rank: *rank,
                        host: host.clone(),
                        what: what.to_string(),
                        message: message.clone(),
                    }
                    .into(),
                    _ => e,
                },
                _ => e,
            },
        }),
    }
}

/// Under MPI, `make` runs on the client rank only, the ranks meet, then every other rank
/// runs `join` (opens what `make` made) and they meet again: every rank gets its value
/// or the same failure. Without MPI, `make`.
pub(crate) fn made_once<S>(
    what: &str,
    make: impl FnOnce() -> Result<S>,
    join: impl FnOnce() -> Result<S>,
) -> Result<S> {
    let Some(world) = World::get() else {
        return make();
    };
    let mine = maker(world) == world.rank;
    let mut made = if mine { Some(make()) } else { None };
    let step = match &made {
        Some(Err(e)) => Err(e.clone()),
        _ => Ok(()),
    };
    meet(world, what, &step)?;
    let value = made.take().unwrap_or_else(join);
    let step = value.as_ref().map(|_| ()).map_err(Clone::clone);
    meet(world, what, &step)?;
    value
}

/// Under MPI, `f` runs on the client rank only and every rank returns its outcome;
/// without MPI, `f`. Called by every rank at the same point of the program.
pub(crate) fn on_one_rank(what: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    let Some(world) = World::get() else {
        return f();
    };
    let step = if maker(world) == world.rank {
        f()
    } else {
        Ok(())
    };
    meet(world, what, &step)
}

/// The path of a new intermediate store of the running computation's current stage,
/// named alike on every rank (`run-<r>-stage-<s>-<label>.zarr` in the job's directory),
/// and removed when the computation ends; `None` without MPI.
pub(crate) fn scratch_path(label: &str) -> Option<PathBuf> {
    let world = World::get()?;
    let (run, stage) = *world.position.lock().unwrap_or_else(|e| e.into_inner());
    let label: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(40)
        .collect();
    let path = world
        .job_dir
        .join(format!("run-{run}-stage-{stage}-{label}.zarr"));
    world
        .scratch
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(path.clone());
    Some(path)
}

/// True when computations spread over MPI ranks (after `initialize`).
pub(crate) fn spread() -> bool {
    World::get().is_some()
}

/// Starts a computation: the next run number, stage 0.
pub(super) fn start_run(world: &World) {
    let run = world.runs.fetch_add(1, Ordering::Relaxed);
    *world.position.lock().unwrap_or_else(|e| e.into_inner()) = (run, 0);
}

/// Moves to stage `stage` of the running computation.
pub(super) fn enter_stage(world: &World, stage: usize) {
    world.position.lock().unwrap_or_else(|e| e.into_inner()).1 = stage;
}

/// Ends a computation that succeeded on every rank: when it made intermediate stores,
/// the ranks meet (none reads them any more) and rank 0 removes them.
pub(super) fn end_run(world: &World) -> Result<()> {
    let made: Vec<PathBuf> =
        std::mem::take(&mut *world.scratch.lock().unwrap_or_else(|e| e.into_inner()));
    if made.is_empty() {
        return Ok(());
    }
    meet(world, "removing intermediate stores", &Ok(()))?;
    if world.rank == 0 {
        for path in made {
            let _ = std::fs::remove_dir_all(path);
        }
    }
    Ok(())
}

/// At exit, after every rank got there: rank 0 removes the job's directory (what a failed
/// computation left in it too).
pub(super) fn remove_job_dir_at_exit(world: &World) {
    if world.rank == 0 && world.job_dir.exists() {
        let _ = std::fs::remove_dir_all(&world.job_dir);
    }
}
