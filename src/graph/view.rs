//! A drawable picture of a task graph: nodes and edges with what a reader needs to see.
//!
//! Array graphs (fused or not) and delayed graphs are turned into a [`TaskGraph`], which
//! the renderers (Graphviz DOT, in-process SVG) draw.
//!
//! Dask draws one box per chunk task. An array of a million chunks would give a million
//! boxes, so spillway draws one box per op (or per fused stage) and writes its task count
//! and projected memory inside it instead.

/// One box of a drawn task graph.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewNode {
    /// A stable identity within the graph.
    pub id: u64,
    /// The text in the box: the op or task name (`"uniform"`, `"sum"`, `"calculate_pi"`).
    pub label: String,
    /// The op family the colour is chosen by (`"source"`, `"elementwise"`, `"reduction"`,
    /// `"layout"`, `"fused"`, `"delayed"`, `"stored"`).
    pub kind: String,
    /// A second line: shape, chunks and dtype, or the fused ops.
    pub detail: String,
    /// Tasks the node stands for.
    pub tasks: usize,
    /// Projected memory of the node's tasks, in bytes.
    pub projected_bytes: u64,
}

/// Nodes and directed edges `(from, to)` by index into `nodes`, inputs before readers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskGraph {
    /// The boxes.
    pub nodes: Vec<ViewNode>,
    /// Edges from an input to the node that reads it.
    pub edges: Vec<(usize, usize)>,
}

use super::chunks::python_tuple;
use super::node::{ExprRef, NodeId, NodeKind, NodeRef};
use super::plan::{Plan, topological};
use crate::dtype::Element;
use std::collections::{HashMap, HashSet};

impl TaskGraph {
    /// Number of boxes.
    ///
    /// ```
    /// let g = spillway::zeros::<f64>([4], 2).visualize();
    /// assert_eq!(g.task_graph().len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when there is no box.
    ///
    /// ```
    /// assert!(spillway::graph::view::TaskGraph::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The indices of the nodes that read node `index`.
    ///
    /// ```
    /// let x = spillway::zeros::<f64>([4], 2);
    /// let g = (&x + 1.0).visualize_with(spillway::VisualizeOptions { fused: false });
    /// let g = g.task_graph();
    /// assert_eq!(g.readers(0), vec![1]);
    /// ```
    pub fn readers(&self, index: usize) -> Vec<usize> {
        self.edges
            .iter()
            .filter(|(from, _)| *from == index)
            .map(|(_, to)| *to)
            .collect()
    }

    /// One box per node of the expression graph under `roots` (Dask's high-level graph):
    /// the node's op, its shape, chunks and dtype, one task per chunk. Projected bytes are
    /// the node's values if they were stored (the planner stores only reductions' results
    /// and outputs).
    ///
    /// ```
    /// use spillway::graph::view::TaskGraph;
    /// let x = spillway::random::random([15, 15], [10, 5]);
    /// let y = (&x + &x.t()).sum();
    /// let g = TaskGraph::expression(&[y.node()]);
    /// let labels: Vec<&str> = g.nodes.iter().map(|n| n.label.as_str()).collect();
    /// assert_eq!(labels, ["random", "transpose", "add", "sum"]);
    /// assert_eq!(g.edges.len(), 4);
    /// ```
    pub fn expression(roots: &[NodeRef]) -> TaskGraph {
        let order = topological(roots);
        let index: HashMap<NodeId, usize> = order
            .iter()
            .enumerate()
            .map(|(i, n)| (n.meta().id, i))
            .collect();
        let mut graph = TaskGraph::default();
        for node in &order {
            let meta = node.meta();
            let (kind, detail) = match node.kind() {
                NodeKind::Source => ("source", describe(node)),
                NodeKind::Elementwise => ("elementwise", describe(node)),
                NodeKind::Reduction { axes } => (
                    "reduction",
                    format!("axes={} {}", python_tuple(&axes), describe(node)),
                ),
                NodeKind::Layout => ("layout", describe(node)),
                NodeKind::Invalid(error) => ("invalid", error.to_string()),
            };
            let size: usize = meta.shape.iter().product();
            graph.nodes.push(ViewNode {
                id: meta.id,
                label: meta.label.clone(),
                kind: kind.to_string(),
                detail,
                tasks: meta.chunks.nblocks(),
                projected_bytes: size as u64 * meta.dtype.itemsize() as u64,
            });
            let to = index[&meta.id];
            let mut seen = HashSet::new();
            for input in node.inputs() {
                let from = index[&input.meta().id];
                // `x + x` reads one node twice: draw one edge
                if seen.insert(from) {
                    graph.edges.push((from, to));
                }
            }
        }
        graph
    }

    /// One box per stage of the plan that computes `roots`: each reduction that runs as a
    /// stage of its own and each requested output, labelled with the chain of ops fused
    /// into its tasks, its task count and its projected memory (one worker's tile buffers
    /// plus what the stage holds). Fails with the first invalid operation under `roots`.
    ///
    /// ```
    /// use spillway::graph::view::TaskGraph;
    /// let x = spillway::random::random([15, 15], [10, 5]);
    /// let y = (&x + &x.t()).sum();
    /// let g = TaskGraph::fused(&[y.expr()]).unwrap();
    /// assert_eq!(&g, y.visualize().task_graph());
    /// assert_eq!(g.len(), 1);
    /// assert_eq!(g.nodes[0].detail, "random → transpose → add → sum");
    /// assert_eq!(g.nodes[0].tasks, 9); // one per chunk of `add`
    /// ```
    pub fn fused<T: Element>(roots: &[ExprRef<T>]) -> crate::exec::error::Result<TaskGraph> {
        let erased: Vec<NodeRef> = roots.iter().map(|r| r.clone().as_node()).collect();
        let mut plan = Plan::new(&erased)?;
        for root in roots {
            let _ = plan.output(root);
        }
        let staged = plan.staged_ids().clone();
        let infos = plan.stage_infos();
        // which stage computes each staged node
        let mut owner: HashMap<NodeId, usize> = HashMap::new();
        for (i, info) in infos.iter().enumerate() {
            for root in &info.roots {
                owner.entry(root.meta().id).or_insert(i);
            }
        }
        let mut graph = TaskGraph::default();
        for (i, info) in infos.iter().enumerate() {
            let own: HashSet<NodeId> = info.roots.iter().map(|r| r.meta().id).collect();
            // walk from the stage's roots down to the staged nodes it reads
            let mut fused: HashSet<NodeId> = HashSet::new();
            let mut inputs: Vec<usize> = Vec::new();
            let mut stack: Vec<NodeRef> = info.roots.clone();
            while let Some(node) = stack.pop() {
                let id = node.meta().id;
                if staged.contains(&id) && !own.contains(&id) {
                    if let Some(&from) = owner.get(&id)
                        && !inputs.contains(&from)
                    {
                        inputs.push(from);
                    }
                    continue;
                }
                if fused.insert(id) {
                    stack.extend(node.inputs());
                }
            }
            let mut ops: Vec<String> = Vec::new();
            for node in topological(&info.roots) {
                let id = node.meta().id;
                if fused.contains(&id) {
                    ops.push(node.meta().label.clone());
                } else if staged.contains(&id) && !ops.iter().any(|o| o == "stored") {
                    ops.push("stored".to_string());
                }
            }
            graph.nodes.push(ViewNode {
                id: info.roots.first().map_or(i as u64, |r| r.meta().id),
                label: info.label.clone(),
                kind: if info.reduction { "reduction" } else { "fused" }.to_string(),
                detail: ops.join(" → "),
                tasks: info.tasks,
                projected_bytes: info.worker_bytes.saturating_add(info.stage_bytes),
            });
            inputs.sort_unstable();
            graph.edges.extend(inputs.into_iter().map(|from| (from, i)));
        }
        Ok(graph)
    }

    /// A graph of one box that shows an invalid operation's error.
    pub(crate) fn invalid(error: &dyn std::fmt::Display) -> TaskGraph {
        TaskGraph {
            nodes: vec![ViewNode {
                id: 0,
                label: "invalid".to_string(),
                kind: "invalid".to_string(),
                detail: error.to_string(),
                tasks: 0,
                projected_bytes: 0,
            }],
            edges: vec![],
        }
    }
}

/// `shape=(15, 15) chunks=((10, 5), (5, 5, 5)) float64`.
fn describe(node: &NodeRef) -> String {
    let meta = node.meta();
    // a long chunk list (thousands of chunks) says less than the chunk size and count
    let listed: usize = meta.chunks.numblocks().iter().sum();
    let chunks = if listed <= 12 && meta.chunks.to_string().len() <= 48 {
        format!("chunks={}", meta.chunks)
    } else {
        format!(
            "chunksize={} ({} chunks)",
            python_tuple(meta.chunks.chunksize()),
            meta.chunks.nblocks()
        )
    };
    format!(
        "shape={} {chunks} {}",
        python_tuple(&meta.shape),
        meta.dtype
    )
}
