//! Running a graph of delayed tasks on a client: inputs before readers, independent tasks
//! in parallel on the client's thread pool, each holding a reservation of its declared
//! memory for as long as it runs.
//!
//! The calling thread coordinates: it starts ready tasks in order while there are free
//! threads and the budget grants the next task's memory (so a task never waits for memory
//! on a pool thread), and it is told of each finished task through a channel. The first
//! failure stops new starts; tasks already running finish, tasks not started stay pending
//! and can run in a later computation.

use super::TASK_OVERHEAD_BYTES;
use super::error::DelayedError;
use super::task::TaskNode;
use crate::error::{Error, Result};
use crate::exec::monitor::{Monitor, StageInfo, TaskRecord};
use crate::exec::report::{RunReport, StageReport};
use crate::exec::client::{Client, RuntimeError};
use crate::memory::Reservation;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The label of the one stage monitors see for a delayed computation.
pub const STAGE_LABEL: &str = "delayed";

/// How long the first task waits for memory that other computations hold.
const RESERVE_WAIT: Duration = Duration::from_secs(600);

/// How often the coordinator looks again for memory freed by other computations.
const POLL: Duration = Duration::from_millis(20);

/// Every task reachable from `roots`, inputs before readers (done or not).
pub(crate) fn all_tasks(roots: &[Arc<dyn TaskNode>]) -> Vec<Arc<dyn TaskNode>> {
    walk(roots, |_| true)
}

/// Iterative post-order walk that expands a node's inputs only when `expand(node)`.
fn walk(
    roots: &[Arc<dyn TaskNode>],
    expand: impl Fn(&dyn TaskNode) -> bool,
) -> Vec<Arc<dyn TaskNode>> {
    let mut seen = HashSet::new();
    let mut order = Vec::new();
    let mut stack: Vec<(Arc<dyn TaskNode>, bool)> =
        roots.iter().rev().map(|r| (r.clone(), false)).collect();
    while let Some((node, expanded)) = stack.pop() {
        if expanded {
            order.push(node);
            continue;
        }
        if !seen.insert(node.id()) {
            continue;
        }
        stack.push((node.clone(), true));
        if expand(node.as_ref()) {
            for input in node.inputs().iter().rev() {
                if !seen.contains(&input.id()) {
                    stack.push((input.clone(), false));
                }
            }
        }
    }
    order
}

/// A task of this run, with what it needs.
struct Planned {
    node: Arc<dyn TaskNode>,
    name: Arc<str>,
    bytes: u64,
}

/// What a pool thread reports when a task ends.
struct Finished {
    index: usize,
    result: Result<()>,
    thread: usize,
    start: Duration,
    end: Duration,
}

/// Runs every task under `roots` that has no value yet.
///
/// Refused before anything runs when the client is closed, a task carries an unparsable
/// memory size, a needed task failed in an earlier run, or a task's declared memory plus
/// [`TASK_OVERHEAD_BYTES`] exceeds the budget's limit.
pub(crate) fn run(roots: &[Arc<dyn TaskNode>], client: &Client) -> Result<RunReport> {
    if client.is_closed() {
        return Err(RuntimeError::Closed.into());
    }
    let budget = client.budget();
    let limit = budget.limit();
    // tasks with a value are not run again, nor are the inputs only they read
    let order = walk(roots, |n| !n.is_done());
    let mut tasks = Vec::new();
    for node in order.into_iter().filter(|n| !n.is_done()) {
        if let Some(error) = node.failure() {
            return Err(error);
        }
        let memory = node.memory()?;
        let name = node.name();
        let bytes = memory.saturating_add(TASK_OVERHEAD_BYTES);
        if bytes > limit {
            return Err(DelayedError::TaskTooLarge {
                task: name.to_string(),
                memory,
                budget: limit,
            }
            .into());
        }
        tasks.push(Planned { node, name, bytes });
    }
    let started = Instant::now();
    let mut report = RunReport {
        budget_bytes: limit,
        ..RunReport::default()
    };
    if tasks.is_empty() {
        return Ok(report);
    }
    let monitors = client.monitors();
    let info = StageInfo {
        label: STAGE_LABEL.to_string(),
        tasks: tasks.len(),
        worker_bytes: tasks.iter().map(|t| t.bytes).max().unwrap_or(0),
        stage_bytes: 0,
        work_bytes: 0,
    };
    let workers = client.total_threads().min(tasks.len()).max(1);
    for m in &monitors {
        m.computation_started(std::slice::from_ref(&info), started);
    }
    budget.reset_peak();
    for m in &monitors {
        m.stage_started(0, &info, workers);
    }
    let outcome = if client.pool().current_thread_index().is_some() {
        // called from inside a task on this client's own pool: blocking this thread on
        // others could deadlock a small pool, so run the tasks here, one by one
        run_inline(&tasks, client, &monitors, started)
    } else {
        run_parallel(&tasks, client, &monitors, started, workers)
    };
    if let Err(error) = outcome {
        for m in &monitors {
            m.computation_finished(None);
        }
        return Err(error);
    }
    let seconds = started.elapsed().as_secs_f64();
    for m in &monitors {
        m.stage_finished(0, &info, seconds);
    }
    report.tasks = tasks.len();
    report.stages.push(StageReport {
        label: STAGE_LABEL.to_string(),
        tasks: tasks.len(),
        seconds,
    });
    report.peak_reserved_bytes = budget.peak_reserved();
    report.seconds = seconds;
    for m in &monitors {
        m.computation_finished(Some(&report));
    }
    Ok(report)
}

fn record(monitors: &[Arc<dyn Monitor>], client: &Client, task: &Planned, done: &Finished) {
    if monitors.is_empty() {
        return;
    }
    let record = TaskRecord {
        stage: 0,
        label: task.name.clone(),
        task: done.index,
        thread: done.thread,
        worker: client.worker_of_thread(done.thread),
        start: done.start,
        end: done.end,
    };
    for m in monitors {
        m.task_finished(&record);
    }
}

fn reservation(client: &Client, task: &Planned) -> Reservation {
    client
        .budget()
        .consumer(format!("delayed task {}", task.name))
        .register()
}

fn run_inline(
    tasks: &[Planned],
    client: &Client,
    monitors: &[Arc<dyn Monitor>],
    started: Instant,
) -> Result<()> {
    for (index, task) in tasks.iter().enumerate() {
        let mut held = reservation(client, task);
        held.grow_waiting(task.bytes, RESERVE_WAIT)?;
        let start = started.elapsed();
        let result = task.node.run(client, index);
        drop(held);
        let done = Finished {
            index,
            result,
            thread: client.pool().current_thread_index().unwrap_or(0),
            start,
            end: started.elapsed(),
        };
        record(monitors, client, task, &done);
        done.result?;
    }
    Ok(())
}

fn run_parallel(
    tasks: &[Planned],
    client: &Client,
    monitors: &[Arc<dyn Monitor>],
    started: Instant,
    workers: usize,
) -> Result<()> {
    let position: HashMap<u64, usize> = tasks
        .iter()
        .enumerate()
        .map(|(i, t)| (t.node.id(), i))
        .collect();
    let mut waiting_on = vec![0usize; tasks.len()];
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); tasks.len()];
    for (i, task) in tasks.iter().enumerate() {
        let mut inputs = HashSet::new();
        for input in task.node.inputs() {
            if let Some(&j) = position.get(&input.id())
                && inputs.insert(j)
            {
                waiting_on[i] += 1;
                readers[j].push(i);
            }
        }
    }
    let mut ready: VecDeque<usize> = (0..tasks.len()).filter(|&i| waiting_on[i] == 0).collect();
    let (tx, rx) = mpsc::channel::<Finished>();
    let mut running = 0usize;
    let mut failed: Option<Error> = None;
    loop {
        // start ready tasks in order while threads and memory allow
        while failed.is_none() && running < workers {
            let Some(&index) = ready.front() else { break };
            let task = &tasks[index];
            let mut held = reservation(client, task);
            if running == 0 {
                // nothing of ours runs: only other computations hold the memory, so wait
                if let Err(e) = held.grow_waiting(task.bytes, RESERVE_WAIT) {
                    failed = Some(e.into());
                    break;
                }
            } else if held.try_grow(task.bytes).is_err() {
                break;
            }
            ready.pop_front();
            running += 1;
            let node = task.node.clone();
            let tx = tx.clone();
            let job_client = client.clone();
            client.pool().spawn(move || {
                let start = started.elapsed();
                let result = node.run(&job_client, index);
                let end = started.elapsed();
                drop(held);
                let thread = rayon::current_thread_index().unwrap_or(0);
                // the coordinator outlives every job it started, so the send succeeds
                let _ = tx.send(Finished {
                    index,
                    result,
                    thread,
                    start,
                    end,
                });
            });
        }
        if running == 0 {
            break;
        }
        let done = match rx.recv_timeout(POLL) {
            Ok(done) => done,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        running -= 1;
        record(monitors, client, &tasks[done.index], &done);
        match done.result {
            Ok(()) => {
                for &reader in &readers[done.index] {
                    waiting_on[reader] -= 1;
                    if waiting_on[reader] == 0 {
                        ready.push_back(reader);
                    }
                }
            }
            Err(e) => {
                if failed.is_none() {
                    failed = Some(e);
                }
            }
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
