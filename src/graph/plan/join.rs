//! Which planned reduction stages run joined: neighbours that read the same stored blocks
//! and not each other's results, while together they fit the budget.
//!
//! A climatology is twelve means, each over one month's rows of the same variable. Planned
//! alone, each is a stage, and a stored chunk that holds the end of one month and the
//! start of the next is read (and decoded) by both stages. Joined
//! ([`JoinedStages`]), the two stages' tasks over that chunk run close together and the
//! chunk is read once.

use crate::exec::joined::JoinedStages;
use crate::exec::stage::Stage;
use crate::graph::node::{NodeId, NodeRef};
use crate::memory::MemoryBudget;
use std::collections::HashSet;

/// What a stage reads, for deciding joins.
struct Reads {
    /// Nodes under the stage that read whole stored blocks.
    sources: HashSet<NodeId>,
    /// Staged results it reads (computed by other stages).
    staged: HashSet<NodeId>,
}

/// The whole-block sources and staged results under `roots`' inputs, stopping at staged
/// nodes.
fn reads(roots: &[NodeRef], staged: &HashSet<NodeId>) -> Reads {
    let mut out = Reads {
        sources: HashSet::new(),
        staged: HashSet::new(),
    };
    let mut seen = HashSet::new();
    let mut stack: Vec<NodeRef> = roots.iter().flat_map(|r| r.inputs()).collect();
    while let Some(node) = stack.pop() {
        let id = node.meta().id;
        if !seen.insert(id) {
            continue;
        }
        if staged.contains(&id) {
            out.staged.insert(id);
            continue;
        }
        if node.computes_whole_blocks() {
            out.sources.insert(id);
        }
        stack.extend(node.inputs());
    }
    out
}

/// `stages` (with the nodes each computes and whether it is a reduction stage) with
/// neighbouring reduction stages joined where that saves reads: they share a whole-block
/// source, none reads another's result, and the joined stage fits the budget with
/// `threads` workers beside the results of the stages before it and the bytes the budget
/// already holds for this computation (`(budget, held)`; a computation started inside a
/// task of another runs beside what that one holds).
pub(crate) fn join_reductions(
    stages: Vec<Box<dyn Stage>>,
    roots: &[(Vec<NodeRef>, bool)],
    staged: &HashSet<NodeId>,
    (budget, already_held): (&MemoryBudget, u64),
    threads: usize,
) -> Vec<Box<dyn Stage>> {
    let limit = budget.limit();
    let threads = threads.max(1);
    let mut out: Vec<Box<dyn Stage>> = Vec::with_capacity(stages.len());
    let mut group = Group::default();
    // results held by the stages already placed, beside what the budget held before
    let mut held: u64 = already_held;
    for (stage, (stage_roots, is_reduction)) in stages.into_iter().zip(roots) {
        if !*is_reduction || stage.schedule().is_some() {
            group.close_into(&mut out, &mut held);
            held = held.saturating_add(stage.stage_bytes(1));
            out.push(stage);
            continue;
        }
        let r = reads(stage_roots, staged);
        let joins = !group.stages.is_empty()
            && !r.sources.is_disjoint(&group.sources)
            && r.staged.is_disjoint(&group.roots)
            && {
                // the joined stage with `threads` workers, beside the results held
                let stage_bytes = group.stage_bytes.saturating_add(stage.stage_bytes(threads));
                let worker_bytes = group.worker_bytes.saturating_add(stage.worker_bytes());
                held.saturating_add(stage_bytes)
                    .saturating_add(worker_bytes.saturating_mul(threads as u64))
                    <= limit
            };
        if !joins {
            group.close_into(&mut out, &mut held);
        }
        group.sources.extend(r.sources);
        group.roots.extend(stage_roots.iter().map(|n| n.meta().id));
        group.stage_bytes = group.stage_bytes.saturating_add(stage.stage_bytes(threads));
        group.worker_bytes = group.worker_bytes.saturating_add(stage.worker_bytes());
        group.stages.push(stage);
    }
    group.close_into(&mut out, &mut held);
    out
}

/// Reduction stages being gathered into one joined stage.
#[derive(Default)]
struct Group {
    stages: Vec<Box<dyn Stage>>,
    /// The whole-block sources they read.
    sources: HashSet<NodeId>,
    /// The nodes they compute.
    roots: HashSet<NodeId>,
    /// Their stage bytes with every thread working, and their worker bytes, summed.
    stage_bytes: u64,
    worker_bytes: u64,
}

impl Group {
    /// Places the group's stages in `out` (one stage alone, several joined), adds what
    /// they hold to `held`, and starts an empty group.
    fn close_into(&mut self, out: &mut Vec<Box<dyn Stage>>, held: &mut u64) {
        let mut stages = std::mem::take(self).stages;
        let placed: Box<dyn Stage> = match stages.len() {
            0 => return,
            1 => stages.pop().expect("one stage"),
            _ => Box::new(JoinedStages::new(stages)),
        };
        *held = held.saturating_add(placed.stage_bytes(1));
        out.push(placed);
    }
}
