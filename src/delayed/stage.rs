//! A graph of delayed tasks lowered to one stage of the executor's runner: the tasks
//! under the roots that have no value yet, inputs before readers, each with its declared
//! memory and the tasks it reads (a [`TaskSchedule`]).
//!
//! The runner ([`crate::exec::executor`]) then runs them as it runs array stages: under
//! the client's budget, seen by the client's monitors (progress, traces, the dashboard),
//! cancelled by the first failure, and, at the top level under MPI, through the
//! distributed-execution hook (the stage has no exchange, so every rank runs it whole).

use super::TASK_OVERHEAD_BYTES;
use super::error::DelayedError;
use super::task::TaskNode;
use crate::error::Result;
use crate::exec::client::{Client, RuntimeError};
use crate::exec::error::Result as ExecResult;
use crate::exec::executor::{run_stages, run_validated};
use crate::exec::report::RunReport;
use crate::exec::stage::{Stage, StageWorker, TaskSchedule};
use crate::memory::MemoryBudget;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The label of the one stage monitors see for a delayed computation.
pub const STAGE_LABEL: &str = "delayed";

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

/// The tasks of one delayed computation as a stage: task `i` runs `tasks[i]` on `client`.
struct DelayedStage {
    client: Client,
    tasks: Vec<Arc<dyn TaskNode>>,
    schedule: TaskSchedule,
}

impl Stage for DelayedStage {
    fn label(&self) -> String {
        STAGE_LABEL.to_string()
    }
    fn num_tasks(&self) -> usize {
        self.tasks.len()
    }
    fn task_shape(&self) -> Vec<usize> {
        Vec::new()
    }
    fn worker_bytes(&self) -> u64 {
        // each task reserves its own memory (the schedule's bytes) while it runs
        0
    }
    fn stage_bytes(&self, _workers: usize) -> u64 {
        // values are not counted in the budget
        0
    }
    fn suggest_fit(&self, _budget: u64) -> Option<String> {
        None
    }
    fn prepare(&self, _budget: &MemoryBudget, _workers: usize) -> ExecResult<()> {
        Ok(())
    }
    fn worker(&self) -> Box<dyn StageWorker + '_> {
        Box::new(DelayedWorker(self))
    }
    fn finish(&self) -> ExecResult<()> {
        Ok(())
    }
    fn schedule(&self) -> Option<&TaskSchedule> {
        Some(&self.schedule)
    }
}

/// Runs a delayed stage's tasks by index.
struct DelayedWorker<'a>(&'a DelayedStage);

impl StageWorker for DelayedWorker<'_> {
    fn run(&mut self, index: usize) -> ExecResult<()> {
        Ok(self.0.tasks[index].run(&self.0.client, index)?)
    }
}

/// The stage of the tasks under `roots` that have no value yet, or `None` when there are
/// none.
///
/// Refused when a task carries an unparsable memory size, a needed task failed in an
/// earlier run (its error), or a task's declared memory plus [`TASK_OVERHEAD_BYTES`]
/// exceeds the budget's limit ([`DelayedError::TaskTooLarge`]).
fn lower(roots: &[Arc<dyn TaskNode>], client: &Client) -> Result<Option<DelayedStage>> {
    let limit = client.budget().limit();
    // tasks with a value are not run again, nor are the inputs only they read
    let tasks: Vec<Arc<dyn TaskNode>> = walk(roots, |n| !n.is_done())
        .into_iter()
        .filter(|n| !n.is_done())
        .collect();
    if tasks.is_empty() {
        return Ok(None);
    }
    let position: HashMap<u64, usize> =
        tasks.iter().enumerate().map(|(i, t)| (t.id(), i)).collect();
    let mut schedule = TaskSchedule::default();
    for node in &tasks {
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
        // inputs with a value are done: only those of this run are waited for
        let inputs: Vec<usize> = node
            .inputs()
            .iter()
            .filter_map(|input| position.get(&input.id()).copied())
            .collect();
        schedule.push(name, bytes, &inputs);
    }
    Ok(Some(DelayedStage {
        client: client.clone(),
        tasks,
        schedule,
    }))
}

/// Runs every task under `roots` that has no value yet, as one stage on `client`'s
/// runner. Refused before anything runs when the client is closed or [`lower`] refuses.
///
/// Called from outside the client's pool, the stage goes through
/// [`run_stages`] (and so, under MPI, through the distributed-execution hook, where every
/// rank runs it); called from a task of the client (a task computing another delayed
/// value) it runs here in this process only, as the task around it does.
pub(crate) fn run(roots: &[Arc<dyn TaskNode>], client: &Client) -> Result<RunReport> {
    if crate::exec::executor::inside_task_of(client) {
        return run_local(roots, client);
    }
    if client.is_closed() {
        return Err(RuntimeError::Closed.into());
    }
    let Some(stage) = lower(roots, client)? else {
        return Ok(empty_report(client));
    };
    let stages: Vec<Box<dyn Stage>> = vec![Box::new(stage)];
    Ok(run_stages(&stages, client)?)
}

/// [`run`] in this process only, whatever thread calls it: for delayed values computed
/// inside another computation (`from_delayed`).
pub(crate) fn run_local(roots: &[Arc<dyn TaskNode>], client: &Client) -> Result<RunReport> {
    if client.is_closed() {
        return Err(RuntimeError::Closed.into());
    }
    let Some(stage) = lower(roots, client)? else {
        return Ok(empty_report(client));
    };
    // the stage holds nothing and each task fits the budget (checked in `lower`), so
    // the runner's plan-time check has nothing to refuse
    Ok(run_validated(&[&stage], client)?)
}

/// The report of a run with nothing to do.
fn empty_report(client: &Client) -> RunReport {
    RunReport {
        budget_bytes: client.budget().limit(),
        ..RunReport::default()
    }
}
