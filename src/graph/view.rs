//! A drawable picture of a task graph: nodes and edges with what a reader needs to see.
//!
//! Array graphs (fused or not) and delayed graphs are turned into a [`TaskGraph`], which
//! the renderers (Graphviz DOT, in-process SVG) draw.

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
