//! The planner: lowers expression graphs to stages of chunk tasks and runs them.
//!
//! Every reduction whose reduced axes span several chunks becomes a stage of its own,
//! run before anything that reads it; everything else fuses into the evaluators of the
//! stage that pulls it. The last stage writes each requested array into an
//! `ndarray::ArrayD`, one task per output chunk.

use super::eval::EvalContext;
use super::node::{ExprRef, NodeId, NodeKind, NodeRef};
use crate::dtype::Element;
use crate::exec::client::Client;
use crate::exec::error::{ExecError, OpError, Result};
use crate::exec::executor::run_stages_completing;
use crate::exec::report::RunReport;
use crate::exec::stage::Stage;
use crate::store::{IoCounts, IoMeter};
use ndarray::ArrayD;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

#[cfg(feature = "mpi")]
mod exchange;
mod join;
mod materialize;

pub use materialize::MaterializeStage;

/// Nodes of the graphs under `roots`, inputs before the nodes that read them.
pub fn topological(roots: &[NodeRef]) -> Vec<NodeRef> {
    let mut seen = HashSet::new();
    let mut order = Vec::new();
    // iterative post-order so deep chains do not overflow the stack
    let mut stack: Vec<(NodeRef, bool)> = roots.iter().rev().map(|r| (r.clone(), false)).collect();
    while let Some((node, expanded)) = stack.pop() {
        let id = node.meta().id;
        if expanded {
            order.push(node);
            continue;
        }
        if !seen.insert(id) {
            continue;
        }
        stack.push((node.clone(), true));
        for input in node.inputs().into_iter().rev() {
            if !seen.contains(&input.meta().id) {
                stack.push((input, false));
            }
        }
    }
    order
}

/// The first error carried by an invalid node under `roots`.
pub fn first_error(roots: &[NodeRef]) -> Option<OpError> {
    topological(roots).iter().find_map(|n| match n.kind() {
        NodeKind::Invalid(e) => Some(e),
        _ => None,
    })
}

/// Reductions under `roots` that must run as stages (their reduced axes span chunks).
fn staged_reductions(order: &[NodeRef]) -> Vec<NodeRef> {
    order
        .iter()
        .filter(|n| n.as_reduction().is_some_and(|r| !r.is_blockwise()))
        .cloned()
        .collect()
}

/// Tile scratch held by the fused evaluator of `node`, stopping at staged nodes.
pub fn fused_scratch(node: &NodeRef, staged: &HashSet<NodeId>, tile_elems: usize) -> u64 {
    let mut total = 0;
    let mut stack = vec![node.clone()];
    while let Some(n) = stack.pop() {
        // every edge has its own evaluator, so a shared input counts once per reader
        if staged.contains(&n.meta().id) {
            continue;
        }
        total += n.scratch_bytes(tile_elems);
        if !n.stages_input() {
            stack.extend(n.inputs());
        }
    }
    total
}

/// Adds `meter` unless the same meter is already listed (two nodes over one store).
fn add_meter(meters: &mut Vec<Arc<dyn IoMeter>>, meter: Arc<dyn IoMeter>) {
    let address = |m: &Arc<dyn IoMeter>| Arc::as_ptr(m) as *const () as usize;
    if !meters.iter().any(|m| address(m) == address(&meter)) {
        meters.push(meter);
    }
}

/// A computation being planned: the stages that compute shared reductions, plus one
/// output stage per requested array that is not itself a staged reduction.
pub struct Plan {
    ctx: Arc<EvalContext>,
    stages: Vec<Box<dyn Stage>>,
    /// The nodes each stage computes (a reduction and its siblings, or an output root),
    /// parallel to `stages`, and whether the stage is a reduction stage.
    stage_roots: Vec<(Vec<NodeRef>, bool)>,
    staged_ids: HashSet<NodeId>,
    /// How many outputs read each stored result (the last one takes it without a copy).
    readers: HashMap<NodeId, usize>,
    /// Counters of the stores and spill files the plan reads and writes.
    meters: Vec<Arc<dyn IoMeter>>,
    /// When planning began.
    planned_at: std::time::Instant,
}

/// What a drawing of the plan needs to know about one stage.
pub(crate) struct StageInfo {
    /// The stage's op label (`"sum"`, `"mean+std"`, an output's op).
    pub label: String,
    /// The nodes the stage computes.
    pub roots: Vec<NodeRef>,
    /// True for a reduction stage, false for an output stage.
    pub reduction: bool,
    /// Number of tasks.
    pub tasks: usize,
    /// Projected bytes one worker holds.
    pub worker_bytes: u64,
    /// Projected bytes the stage holds for its life, with one worker.
    pub stage_bytes: u64,
}

/// Where a planned output will be after the plan ran.
pub enum Output<T: Element> {
    /// A staged reduction: its values are stored in the context.
    Stored(NodeId),
    /// Written by its own output stage.
    Written(Arc<MaterializeStage<T>>),
}

impl Plan {
    /// Plans the reductions that every graph under `roots` needs; fails with the first
    /// invalid operation found.
    pub fn new(roots: &[NodeRef]) -> Result<Plan> {
        let planned_at = std::time::Instant::now();
        if let Some(error) = first_error(roots) {
            return Err(ExecError::Op(error));
        }
        let ctx = Arc::new(EvalContext::new(super::eval::tile_elems()));
        let order = topological(roots);
        let mut meters = Vec::new();
        for node in &order {
            if let Some(meter) = node.io_meter() {
                add_meter(&mut meters, meter);
            }
        }
        let staged = staged_reductions(&order);
        let staged_ids: HashSet<NodeId> = staged.iter().map(|n| n.meta().id).collect();
        let tile = ctx.tile_elems();
        // reductions of the same input node share one stage: each input tile is made once
        let mut grouped: Vec<(NodeRef, Vec<NodeRef>)> = Vec::new();
        for node in &staged {
            let reduction = node.as_reduction().expect("staged nodes are reductions");
            let input_id = reduction.input_node().meta().id;
            let leader = grouped.iter_mut().find(|(leader, _)| {
                leader
                    .as_reduction()
                    .is_some_and(|r| r.input_node().meta().id == input_id)
            });
            match leader {
                Some((_, siblings)) => siblings.push(node.clone()),
                None => grouped.push((node.clone(), Vec::new())),
            }
        }
        // stages run in the graph's topological order: a reduction group where its
        // leader appears, a staging stage (an input written to an intermediate store)
        // where the node that reads it appears
        let mut stages = Vec::new();
        let mut stage_roots = Vec::new();
        for node in &order {
            let id = node.meta().id;
            if let Some((leader, siblings)) = grouped.iter().find(|(l, _)| l.meta().id == id) {
                let reduction = leader.as_reduction().expect("staged nodes are reductions");
                let scratch = fused_scratch(&reduction.input_node(), &staged_ids, tile);
                stages.push(reduction.stage(siblings, ctx.clone(), scratch));
                let mut roots = vec![leader.clone()];
                roots.extend(siblings.iter().cloned());
                stage_roots.push((roots, true));
                continue;
            }
            if !node.stages_input() {
                continue;
            }
            // walking the input's subgraph only for the few nodes that stage it keeps
            // planning linear in the graph's size
            let input_scratch: u64 = node
                .inputs()
                .iter()
                .map(|input| fused_scratch(input, &staged_ids, tile))
                .sum();
            if let Some(stage) = node.staging_stage(&ctx, input_scratch) {
                stages.push(stage);
                stage_roots.push((node.inputs(), false));
            }
        }
        Ok(Plan {
            ctx,
            stages,
            stage_roots,
            staged_ids,
            readers: HashMap::new(),
            meters,
            planned_at,
        })
    }

    /// Counts `meter`'s bytes in the run's report (a store a stage writes to).
    pub fn add_io_meter(&mut self, meter: Arc<dyn IoMeter>) {
        add_meter(&mut self.meters, meter);
    }

    /// Appends a stage that runs after the stages planned so far (a write to a store).
    pub fn push_stage(&mut self, stage: Box<dyn Stage>, roots: Vec<NodeRef>) {
        self.stages.push(stage);
        self.stage_roots.push((roots, false));
    }

    /// The context evaluators of this plan are built in.
    pub fn context(&self) -> &Arc<EvalContext> {
        &self.ctx
    }

    /// Requests the values of `root` (one of the roots the plan was made for).
    pub fn output<T: Element>(&mut self, root: &ExprRef<T>) -> Output<T> {
        let id = root.meta().id;
        if self.staged_ids.contains(&id) {
            *self.readers.entry(id).or_insert(0) += 1;
            return Output::Stored(id);
        }
        let scratch = fused_scratch(
            &root.clone().as_node(),
            &self.staged_ids,
            self.ctx.tile_elems(),
        );
        let stage = Arc::new(MaterializeStage::new(
            root.clone(),
            self.ctx.clone(),
            scratch,
        ));
        self.stages.push(Box::new(stage.clone()));
        self.stage_roots.push((vec![root.clone().as_node()], false));
        Output::Written(stage)
    }

    /// The planned stages in run order, for drawing the plan.
    pub(crate) fn stage_infos(&self) -> Vec<StageInfo> {
        self.stages
            .iter()
            .zip(&self.stage_roots)
            .map(|(stage, (roots, reduction))| StageInfo {
                label: stage.label(),
                roots: roots.clone(),
                reduction: *reduction,
                tasks: stage.num_tasks(),
                worker_bytes: stage.worker_bytes(),
                stage_bytes: stage.stage_bytes(1),
            })
            .collect()
    }

    /// Identities of the nodes computed by reduction stages.
    pub fn staged_ids(&self) -> &HashSet<NodeId> {
        &self.staged_ids
    }

    /// Checks every stage against `client`'s budget without running anything (what
    /// [`run`](Self::run) does first): a write checks its plan before it makes its store.
    pub fn validate(&self, client: &Client) -> Result<()> {
        crate::exec::executor::validate(&self.stages, client.budget())
    }

    /// Validates every stage against the budget, then runs them on `client`.
    pub fn run(self, client: &Client) -> Result<Finished> {
        let before: Vec<IoCounts> = self.meters.iter().map(|m| m.io_counts()).collect();
        let plan_seconds = self.planned_at.elapsed().as_secs_f64();
        self.ctx.set_spill_settings(client.spill_settings().clone());
        let complete = |report: &mut RunReport| {
            report.plan_seconds = plan_seconds;
            // stores made while running (intermediates) count in full
            let made_while_running = self
                .ctx
                .late_meters()
                .iter()
                .fold(IoCounts::default(), |sum, m| sum.plus(&m.io_counts()));
            report.io = self
                .meters
                .iter()
                .zip(&before)
                .fold(made_while_running, |sum, (m, b)| {
                    sum.plus(&m.io_counts().since(b))
                });
        };
        // under a distributed hook every stage is exchanged on its own; in one process,
        // neighbouring reductions over the same stored blocks run joined
        let stages = if crate::exec::distributed::registered().is_none() {
            // a computation started inside a task of another fits beside what it holds
            let held = if crate::exec::executor::inside_task_of(client) {
                client.budget().reserved()
            } else {
                0
            };
            join::join_reductions(
                self.stages,
                &self.stage_roots,
                &self.staged_ids,
                (client.budget(), held),
                client.total_threads(),
            )
        } else {
            self.stages
        };
        let report = run_stages_completing(&stages, client, &complete)?;
        log::debug!("spillway computation: {report}");
        Ok(Finished {
            ctx: self.ctx,
            report,
            readers: Mutex::new(self.readers),
        })
    }
}

/// A plan that ran: outputs can be taken from it.
pub struct Finished {
    ctx: Arc<EvalContext>,
    /// What the run did.
    pub report: RunReport,
    readers: Mutex<HashMap<NodeId, usize>>,
}

impl Finished {
    /// The values of a planned output.
    pub fn take<T: Element>(&self, output: Output<T>) -> ArrayD<T> {
        match output {
            Output::Stored(id) => {
                let mut readers = self.readers.lock().unwrap_or_else(|e| e.into_inner());
                let left = readers.entry(id).or_insert(1);
                *left -= 1;
                let values = if *left == 0 {
                    self.ctx.take::<T>(id)
                } else {
                    self.ctx.get::<T>(id).map(|v| (*v).clone())
                };
                values.expect("a staged root was stored by its stage")
            }
            Output::Written(stage) => stage.take_array(),
        }
    }
}

/// Computes several arrays of one type in one plan; shared reductions run once.
pub fn compute_many<T: Element>(
    roots: &[ExprRef<T>],
    client: &Client,
) -> Result<(Vec<ArrayD<T>>, RunReport)> {
    let erased: Vec<NodeRef> = roots.iter().map(|r| r.clone().as_node()).collect();
    let mut plan = Plan::new(&erased)?;
    let outputs: Vec<Output<T>> = roots.iter().map(|r| plan.output(r)).collect();
    let finished = plan.run(client)?;
    let results = outputs.into_iter().map(|o| finished.take(o)).collect();
    Ok((results, finished.report))
}
