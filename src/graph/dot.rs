//! Graphviz DOT output of a [`TaskGraph`].

use super::view::{TaskGraph, ViewNode};
use crate::util::size::format_bytes;
use std::fmt::Write;

/// The fill colour of a box of `kind`, the same in DOT and SVG output.
///
/// ```
/// use spillway::graph::dot::kind_color;
/// assert_ne!(kind_color("source"), kind_color("reduction"));
/// assert_eq!(kind_color("no such kind"), kind_color("other"));
/// ```
pub fn kind_color(kind: &str) -> &'static str {
    match kind {
        "source" => "#a6cee3",
        "elementwise" => "#b2df8a",
        "reduction" => "#fdbf6f",
        "layout" => "#cab2d6",
        "fused" => "#8dd3c7",
        "delayed" => "#ffffb3",
        "stored" => "#d9d9d9",
        "invalid" => "#fb9a99",
        _ => "#f0f0f0",
    }
}

/// The lines of text in a box: the op, the detail, then tasks and projected memory.
///
/// ```
/// use spillway::graph::view::ViewNode;
/// let node = ViewNode {
///     id: 1,
///     label: "sum".into(),
///     kind: "reduction".into(),
///     detail: String::new(),
///     tasks: 6,
///     projected_bytes: 3 << 20,
/// };
/// assert_eq!(spillway::graph::dot::box_lines(&node), ["sum", "6 tasks, 3.00 MiB projected"]);
/// ```
pub fn box_lines(node: &ViewNode) -> Vec<String> {
    let mut lines = vec![node.label.clone()];
    if !node.detail.is_empty() {
        lines.push(node.detail.clone());
    }
    let noun = if node.tasks == 1 { "task" } else { "tasks" };
    lines.push(format!(
        "{} {noun}, {} projected",
        node.tasks,
        format_bytes(node.projected_bytes)
    ));
    lines
}

/// Escapes text for a double-quoted DOT string.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

impl TaskGraph {
    /// The graph in Graphviz DOT: one box per node, filled by its kind
    /// ([`kind_color`]), inputs drawn below their readers as Dask does; node `i` is named
    /// `n{i}`. Render it with `dot -Tsvg`, or use [`TaskGraph::to_svg`], which needs no
    /// Graphviz.
    ///
    /// ```
    /// let x = spillway::arange(1i64, 50, 3, 5);
    /// let dot = x.powi(2).visualize().dot();
    /// assert!(dot.starts_with("digraph spillway {"));
    /// assert!(dot.contains("arange → pow"));
    /// assert!(dot.contains("4 tasks"));
    /// ```
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph spillway {\n");
        out.push_str("  rankdir=BT;\n");
        out.push_str("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n");
        for (i, node) in self.nodes.iter().enumerate() {
            let label = escape(&box_lines(node).join("\n"));
            let _ = writeln!(
                out,
                "  n{i} [label=\"{label}\", fillcolor=\"{}\", class=\"{}\"];",
                kind_color(&node.kind),
                escape(&node.kind)
            );
        }
        for (from, to) in &self.edges {
            let _ = writeln!(out, "  n{from} -> n{to};");
        }
        out.push_str("}\n");
        out
    }
}
