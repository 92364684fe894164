//! Collective `compute()`: every rank runs its share of each stage, then the shares meet.
//!
//! Per computation, first an agreement round: every rank validates the plan against its
//! budget and sends the outcome and a fingerprint of the plan, so that all ranks refuse
//! together and a rank whose program built different arrays is caught. Then per stage:
//! each rank that runs tasks runs its contiguous range of the tasks
//! ([`World::task_range`](super::world::World::task_range)), exports what they produced,
//! and the shares (or errors) of every rank reach every rank through MPI's non-blocking
//! all-gathers, rank 0 keeping the timeout. Every rank imports the shares in rank order (so partials merge
//! in the single-process tree) and finishes the stage. A failure anywhere becomes the
//! same error on every rank, naming the failed rank, its host and its tasks.

use super::MpiError;
use super::allgather;
use super::shared;
use super::tasklog;
use super::world::World;
use crate::exec::client::{Client, RuntimeError};
use crate::exec::error::{ExecError, Result};
use crate::exec::executor::{panic_message, run_validated, validate};
use crate::exec::report::RunReport;
use crate::exec::stage::{Stage, StageWorker};
use crate::memory::MemoryBudget;
use mpi::traits::*;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Runs `stages` spread over the job's ranks (the hook's
/// [`run_stages`](crate::exec::distributed::Distributed::run_stages)).
pub(super) fn run(world: &World, stages: &[Box<dyn Stage>], client: &Client) -> Result<RunReport> {
    let started = Instant::now();
    // agreement: every rank's validation outcome and plan fingerprint
    let local = if client.is_closed() {
        Err(ExecError::from(RuntimeError::Closed))
    } else {
        validate(stages, client.budget())
    };
    let print = fingerprint(stages);
    let refused = local.clone().err();
    let shares = match exchange(world, "plan", 0, encode(local.map(|()| print.clone()), "")) {
        Ok(shares) => shares,
        // refused here too: this rank's own error (usually the same on every rank)
        Err(e) => return Err(refused.unwrap_or(e)),
    };
    for (rank, share) in shares.iter().enumerate() {
        if share.as_slice() != print.as_slice() {
            return Err(MpiError::Corrupt {
                what: format!("rank {rank}'s plan"),
                detail: format!(
                    "this is rank {}; the plans' stages differ: {:?} here, {:?} there",
                    world.rank,
                    String::from_utf8_lossy(&print),
                    String::from_utf8_lossy(share)
                ),
            }
            .into());
        }
    }
    let mut report = RunReport {
        budget_bytes: client.budget().limit(),
        ..RunReport::default()
    };
    shared::start_run(world);
    for (index, stage) in stages.iter().enumerate() {
        shared::enter_stage(world, index);
        let stage_started = Instant::now();
        let n = stage.num_tasks();
        let Some(x) = stage.exchange() else {
            // a stage that cannot be spread runs whole on every rank
            let r = run_validated(&[stage.as_ref()], client)?;
            report.peak_reserved_bytes = report.peak_reserved_bytes.max(r.peak_reserved_bytes);
            report.stages.extend(r.stages);
            report.tasks += r.tasks;
            continue;
        };
        let range = world.task_range(world.rank, n);
        let part = RangeStage {
            inner: stage.as_ref(),
            range: range.clone(),
            slots: AtomicUsize::new(0),
        };
        let ran = run_validated(&[&part], client);
        tasklog::idle();
        // this rank's workers' time: the breakdown a rank reports is its own
        let mut time = crate::exec::report::TimeBreakdown::default();
        let local = ran.map(|r| {
            report.peak_reserved_bytes = report.peak_reserved_bytes.max(r.peak_reserved_bytes);
            time = r.time;
            x.export(range.clone())
        });
        let label = stage.label();
        let tasks = describe_tasks(world, world.rank, n);
        let shares = exchange(world, &label, n, encode(local, &tasks))?;
        for (rank, share) in shares.iter().enumerate() {
            x.import(world.task_range(rank, n), share)?;
        }
        stage.finish()?;
        report.stages.push(crate::exec::report::StageReport {
            label,
            tasks: n,
            seconds: stage_started.elapsed().as_secs_f64(),
            time,
        });
        report.time = report.time.plus(&time);
        report.tasks += n;
    }
    shared::end_run(world)?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// What every rank's plan must share: each stage's label, task count, task shape and
/// bytes per worker and per result (so a different shape, chunking or dtype is caught;
/// arrays of the same structure with different values are not).
fn fingerprint(stages: &[Box<dyn Stage>]) -> Vec<u8> {
    let parts: Vec<String> = stages
        .iter()
        .map(|s| {
            format!(
                "{} x{} {:?} {}/{}",
                s.label(),
                s.num_tasks(),
                s.task_shape(),
                s.worker_bytes(),
                s.stage_bytes(1)
            )
        })
        .collect();
    parts.join(", ").into_bytes()
}

/// A rank's share on the wire: 0 and the bytes, or 1, the rank's `tasks`, a newline and
/// the error's text.
pub(super) fn encode(outcome: Result<Vec<u8>>, tasks: &str) -> Vec<u8> {
    match outcome {
        Ok(mut bytes) => {
            bytes.insert(0, 0);
            bytes
        }
        Err(e) => {
            let mut bytes = vec![1];
            bytes.extend_from_slice(format!("{tasks}\n{e}").as_bytes());
            bytes
        }
    }
}

/// Every rank's encoded share, on every rank, through MPI's non-blocking all-gathers
/// ([`allgather`](super::allgather), which documents the wait policy); returns the shares
/// in rank order, or the first failed rank's error (the same on every rank). Rank 0 keeps
/// the deadline: past it, it names the ranks still running a task of this stage (from
/// their task records) and ends the job.
pub(super) fn exchange(
    world: &World,
    stage: &str,
    n: usize,
    mine: Vec<u8>,
) -> Result<Vec<Vec<u8>>> {
    let turn = world.collective();
    let size = world.ranks.len();
    let deadline = (world.rank == 0).then(|| Instant::now() + world.timeout);
    let on_deadline = || {
        let busy = tasklog::busy_ranks(world);
        let missing = if busy.is_empty() {
            format!(
                "one or more of ranks 1..{} (none of them records a running task)",
                size.saturating_sub(1)
            )
        } else {
            busy.iter()
                .map(|&r| {
                    format!(
                        "rank {r} on {} (its share of this stage: {})",
                        world.ranks[r].host,
                        describe_tasks(world, r, n)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let error = MpiError::Timeout {
            stage: stage.to_string(),
            seconds: world.timeout.as_secs(),
            missing,
        };
        // the other ranks wait in the all-gather: end the job
        eprintln!("error: {error}");
        tasklog::aborting();
        world.comm().abort(3);
    };
    let (lens, all) = allgather::all_gather(&world.comm, &mine, deadline, &on_deadline);
    drop(mine);
    drop(turn);
    let mut shares = Vec::with_capacity(size);
    let mut at = 0;
    for (rank, len) in lens.into_iter().enumerate() {
        let share = &all[at..at + len];
        at += len;
        match share.split_first() {
            Some((0, bytes)) => shares.push(bytes.to_vec()),
            Some((_, text)) => {
                let text = String::from_utf8_lossy(text);
                let (tasks, message) = text.split_once('\n').unwrap_or(("", &text));
                let tasks = if tasks.is_empty() {
                    describe_tasks(world, rank, n)
                } else {
                    tasks.to_string()
                };
                return Err(MpiError::RankFailed {
                    rank,
                    host: world.ranks[rank].host.clone(),
                    stage: stage.to_string(),
                    tasks,
                    message: message.to_string(),
                }
                .into());
            }
            None => {
                return Err(MpiError::Corrupt {
                    what: format!("rank {rank}'s share of stage {stage}"),
                    detail: "it is empty".to_string(),
                }
                .into());
            }
        }
    }
    Ok(shares)
}

/// The tasks of `n` that `rank` runs, in words.
fn describe_tasks(world: &World, rank: usize, n: usize) -> String {
    let range = world.task_range(rank, n);
    if range.is_empty() {
        match world.ranks[rank].role {
            role if role.runs_tasks() => format!("no tasks of {n}"),
            role => format!("no tasks, as {role}"),
        }
    } else {
        format!("tasks {}..{} of {n}", range.start, range.end)
    }
}

/// One rank's range of a stage's tasks, run through the ordinary executor.
struct RangeStage<'a> {
    inner: &'a dyn Stage,
    range: Range<usize>,
    /// Worker threads so far: each records its task on a line of its own.
    slots: AtomicUsize,
}

impl Stage for RangeStage<'_> {
    fn label(&self) -> String {
        self.inner.label()
    }
    fn num_tasks(&self) -> usize {
        self.range.len()
    }
    fn task_shape(&self) -> Vec<usize> {
        self.inner.task_shape()
    }
    fn worker_bytes(&self) -> u64 {
        self.inner.worker_bytes()
    }
    fn stage_bytes(&self, workers: usize) -> u64 {
        self.inner.stage_bytes(workers)
    }
    fn work_bytes(&self) -> u64 {
        let n = self.inner.num_tasks().max(1) as u128;
        (self.inner.work_bytes() as u128 * self.range.len() as u128 / n) as u64
    }
    fn suggest_fit(&self, budget: u64) -> Option<String> {
        self.inner.suggest_fit(budget)
    }
    fn prepare(&self, budget: &MemoryBudget, workers: usize) -> Result<()> {
        match self.inner.exchange() {
            Some(x) => x.prepare(budget, workers),
            None => self.inner.prepare(budget, workers),
        }
    }
    fn worker(&self) -> Box<dyn StageWorker + '_> {
        Box::new(RangeWorker {
            inner: self.inner.worker(),
            label: self.inner.label(),
            offset: self.range.start,
            slot: self.slots.fetch_add(1, Ordering::Relaxed),
        })
    }
    fn finish(&self) -> Result<()> {
        // the whole stage finishes after every rank's share arrived
        Ok(())
    }
}

struct RangeWorker<'a> {
    inner: Box<dyn StageWorker + 'a>,
    label: String,
    offset: usize,
    slot: usize,
}

impl StageWorker for RangeWorker<'_> {
    fn run(&mut self, index: usize) -> Result<()> {
        let task = self.offset + index;
        tasklog::running(self.slot, &self.label, task);
        // name the stage's own task index, not the index within this rank's range
        match catch_unwind(AssertUnwindSafe(|| self.inner.run(task))) {
            Ok(outcome) => outcome,
            Err(payload) => Err(ExecError::TaskPanicked {
                op: self.label.clone(),
                task,
                message: panic_message(payload.as_ref()),
            }),
        }
    }
}
