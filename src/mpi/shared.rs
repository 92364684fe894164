//! What the ranks share through the file system: the rank that makes stores made once and
//! the meeting of every rank's outcome of a step (with which `exec::collective` makes a
//! store once and every rank joins it), intermediate stores under the job's work
//! directory, and their removal.
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
pub(super) fn maker(world: &World) -> usize {
    world
        .ranks
        .iter()
        .position(|r| r.role.is_client())
        .unwrap_or(0)
}

/// Every rank's outcome of one step, met: `Ok` when all succeeded, else this rank's own
/// error or, on the others, the first failed rank's (as [`MpiError::OnRank`]).
pub(super) fn meet(world: &World, what: &str, mine: &Result<()>) -> Result<()> {
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

/// The path of a new intermediate store of the running computation's current stage,
/// named alike on every rank (`run-<r>-stage-<s>-<label>.zarr` in the job's directory),
/// and removed when the computation ends.
pub(super) fn scratch_path(world: &World, label: &str) -> PathBuf {
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
    path
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
