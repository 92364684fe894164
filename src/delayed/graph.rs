//! The drawable graph of delayed tasks.

use super::task::TaskNode;
use super::{Delayed, TASK_OVERHEAD_BYTES, stage};
use crate::graph::view::{TaskGraph, ViewNode};
use crate::util::size::format_bytes;
use std::collections::HashMap;
use std::sync::Arc;

/// The graph of several delayed values' tasks, as `dask.visualize(*results)`: shared
/// inputs appear once.
///
/// ```
/// use spillway::delayed::{delayed, task_graph};
/// let results: Vec<_> = (1..=5).map(|i| delayed(move || i).name("calculate_pi")).collect();
/// let g = task_graph(&results);
/// assert_eq!(g.nodes.len(), 5);
/// assert!(g.nodes.iter().all(|n| n.kind == "delayed" && n.label == "calculate_pi"));
/// assert!(g.edges.is_empty());
/// ```
pub fn task_graph<T: Send + Sync + 'static>(values: &[Delayed<T>]) -> TaskGraph {
    let roots: Vec<Arc<dyn TaskNode>> = values.iter().map(|d| d.node()).collect();
    build(&roots)
}

/// One node per task under `roots`, inputs before readers.
pub(crate) fn build(roots: &[Arc<dyn TaskNode>]) -> TaskGraph {
    let order = stage::all_tasks(roots);
    let index: HashMap<u64, usize> = order.iter().enumerate().map(|(i, n)| (n.id(), i)).collect();
    let mut graph = TaskGraph::default();
    for (i, node) in order.iter().enumerate() {
        let memory = node.memory().unwrap_or(0);
        let mut detail = if memory > 0 {
            format!("memory {}", format_bytes(memory))
        } else {
            String::new()
        };
        if node.is_done() {
            if !detail.is_empty() {
                detail.push_str(", ");
            }
            detail.push_str("computed");
        }
        graph.nodes.push(ViewNode {
            id: node.id(),
            label: node.name().to_string(),
            kind: "delayed".to_string(),
            detail,
            tasks: 1,
            projected_bytes: memory.saturating_add(TASK_OVERHEAD_BYTES),
        });
        let mut seen = Vec::new();
        for input in node.inputs() {
            if let Some(&j) = index.get(&input.id())
                && !seen.contains(&j)
            {
                seen.push(j);
                graph.edges.push((j, i));
            }
        }
    }
    graph
}
