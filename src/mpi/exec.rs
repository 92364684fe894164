//! Collective `compute()`: every rank runs its share of each stage, then the shares meet.
//!
//! Per computation, first an agreement round: every rank validates the plan against its
//! budget and sends the outcome and a fingerprint of the plan, so that all ranks refuse
//! together and a rank whose program built different arrays is caught. Then per stage:
//! each worker rank runs its contiguous range of the tasks
//! ([`World::task_range`](super::world::World::task_range)), exports what they produced,
//! and sends it (or its error) to rank 0, which waits with a timeout, then sends every
//! rank's share to every rank. Every rank imports the shares in rank order (so partials merge
//! in the single-process tree) and finishes the stage. A failure anywhere becomes the
//! same error on every rank, naming the failed rank, its host and its tasks.

use super::MpiError;
use super::shared;
use super::tasklog;
use super::world::World;
use crate::exec::client::{Client, RuntimeError};
use crate::exec::error::{ExecError, Result};
use crate::exec::executor::{panic_message, run_validated, validate};
use crate::exec::report::RunReport;
use crate::exec::stage::{Stage, StageWorker};
use crate::memory::MemoryBudget;
use crate::util::wire::{Reader, put_u64};
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

const TAG_HEAD: i32 = 7001;
const TAG_BODY: i32 = 7002;
const TAG_ALL_HEAD: i32 = 7003;
const TAG_ALL_BODY: i32 = 7004;
/// Bytes per MPI message (counts are 32-bit).
const PIECE: usize = 1 << 30;

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
        let local = ran.map(|r| {
            report.peak_reserved_bytes = report.peak_reserved_bytes.max(r.peak_reserved_bytes);
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
        });
        report.tasks += n;
    }
    shared::end_run(world)?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The stages' labels and task counts, which every rank's plan must share.
fn fingerprint(stages: &[Box<dyn Stage>]) -> Vec<u8> {
    let parts: Vec<String> = stages
        .iter()
        .map(|s| format!("{}:{}", s.label(), s.num_tasks()))
        .collect();
    parts.join(",").into_bytes()
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

/// Gathers every rank's encoded share on rank 0 and broadcasts them all; returns the
/// shares in rank order, or the first rank's error (the same on every rank).
pub(super) fn exchange(
    world: &World,
    stage: &str,
    n: usize,
    mine: Vec<u8>,
) -> Result<Vec<Vec<u8>>> {
    let comm = world.comm();
    let size = world.ranks.len();
    let combined = if world.rank == 0 {
        let mut shares: Vec<Option<Vec<u8>>> = vec![None; size];
        shares[0] = Some(mine);
        let deadline = Instant::now() + world.timeout;
        let mut missing = size - 1;
        while missing > 0 {
            let mut progressed = false;
            for (rank, share) in shares.iter_mut().enumerate().skip(1) {
                if share.is_some() {
                    continue;
                }
                let process = comm.process_at_rank(rank as i32);
                if let Some(probed) = process.immediate_matched_probe_with_tag(TAG_HEAD) {
                    let (head, _) = probed.matched_receive_vec::<u64>();
                    *share = Some(receive_body(&comm, rank, head[0] as usize));
                    missing -= 1;
                    progressed = true;
                }
            }
            if missing > 0 && !progressed {
                if Instant::now() > deadline {
                    let names: Vec<String> = (1..size)
                        .filter(|&r| shares[r].is_none())
                        .map(|r| {
                            format!(
                                "rank {r} on {} (its share of this stage: {})",
                                world.ranks[r].host,
                                describe_tasks(world, r, n)
                            )
                        })
                        .collect();
                    let error = MpiError::Timeout {
                        stage: stage.to_string(),
                        seconds: world.timeout.as_secs(),
                        missing: names.join(", "),
                    };
                    // the other ranks wait in the broadcast: end the job
                    eprintln!("error: {error}");
                    tasklog::aborting();
                    comm.abort(3);
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
        let mut out = Vec::new();
        for share in shares {
            let share = share.expect("every share arrived");
            put_u64(&mut out, share.len() as u64);
            out.extend_from_slice(&share);
        }
        out
    } else {
        let root = comm.process_at_rank(0);
        root.send_with_tag(&[mine.len() as u64][..], TAG_HEAD);
        for piece in mine.chunks(PIECE) {
            root.send_with_tag(piece, TAG_BODY);
        }
        Vec::new()
    };
    let combined = broadcast(&comm, combined, world.rank == 0);
    drop(comm);
    let mut reader = Reader::new(&combined, "the ranks' shares");
    let mut shares = Vec::with_capacity(size);
    for rank in 0..size {
        let len = reader.usize()?;
        let share = reader.take(len)?;
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
            None => return Err(reader.corrupt().into()),
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

fn receive_body(comm: &SimpleCommunicator, rank: usize, len: usize) -> Vec<u8> {
    let process = comm.process_at_rank(rank as i32);
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let (piece, _) = process.receive_vec_with_tag::<u8>(TAG_BODY);
        out.extend_from_slice(&piece);
    }
    out
}

/// Rank 0's `bytes`, on every rank. Point to point rather than `MPI_Bcast`, and the
/// receivers poll with short sleeps: a rank waiting in a blocking MPI call spins, and
/// with more ranks than cores (oversubscribed, or ranks that finished their share early)
/// that spinning would take the working ranks' cores.
fn broadcast(comm: &SimpleCommunicator, bytes: Vec<u8>, root: bool) -> Vec<u8> {
    if root {
        for rank in 1..comm.size() {
            let process = comm.process_at_rank(rank);
            process.send_with_tag(&[bytes.len() as u64][..], TAG_ALL_HEAD);
            for piece in bytes.chunks(PIECE) {
                process.send_with_tag(piece, TAG_ALL_BODY);
            }
        }
        return bytes;
    }
    let process = comm.process_at_rank(0);
    let len = loop {
        if let Some(probed) = process.immediate_matched_probe_with_tag(TAG_ALL_HEAD) {
            let (head, _) = probed.matched_receive_vec::<u64>();
            break head[0] as usize;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    };
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let (piece, _) = process.receive_vec_with_tag::<u8>(TAG_ALL_BODY);
        out.extend_from_slice(&piece);
    }
    out
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
