//! Pictures of arrays: the task graph (`visualize`, as Dask's), the chunk diagram and the
//! HTML summary of Dask's notebook repr.
//!
//! Dask draws one box per chunk task; an array of a million chunks would draw a million
//! boxes. spillway draws one box per op — or, by default, per stage of the plan that
//! `compute()` runs, with the ops fused into it — and writes the task count and projected
//! memory inside the box.

use super::Array;
use super::chunks::python_tuple;
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::graph::diagram::chunk_diagram_svg;
use crate::graph::node::{ExprRef, NodeRef};
use crate::graph::view::TaskGraph;
use crate::util::size::format_bytes;
use std::path::Path;

/// How [`Array::visualize_with`] draws a graph.
///
/// ```
/// use spillway::VisualizeOptions;
/// assert!(VisualizeOptions::default().fused);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisualizeOptions {
    /// One box per stage of the plan, labelled with the ops fused into it (the default);
    /// false draws one box per op of the expression graph.
    pub fused: bool,
}

impl Default for VisualizeOptions {
    fn default() -> Self {
        VisualizeOptions { fused: true }
    }
}

/// A drawn task graph: render it as DOT or SVG, or save it.
///
/// ```
/// let a = spillway::arange(1i64, 50, 3, 5);
/// let v = a.powi(2).visualize();
/// assert!(v.dot().contains("4 tasks"));
/// assert!(v.svg().starts_with("<svg"));
/// assert_eq!(v.task_graph().len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Visualization {
    graph: TaskGraph,
}

impl Visualization {
    /// Wraps a task graph (for graphs built by hand or by the delayed API).
    ///
    /// ```
    /// use spillway::graph::view::TaskGraph;
    /// let v = spillway::Visualization::new(TaskGraph::default());
    /// assert!(v.task_graph().is_empty());
    /// ```
    pub fn new(graph: TaskGraph) -> Self {
        Visualization { graph }
    }

    /// The graph in Graphviz DOT.
    ///
    /// ```
    /// let dot = spillway::zeros::<f64>([4], 2).visualize().dot();
    /// assert!(dot.starts_with("digraph"));
    /// ```
    pub fn dot(&self) -> String {
        self.graph.to_dot()
    }

    /// The graph as an SVG document, laid out in-process.
    ///
    /// ```
    /// let svg = spillway::zeros::<f64>([4], 2).visualize().svg();
    /// assert!(svg.contains("zeros"));
    /// ```
    pub fn svg(&self) -> String {
        self.graph.to_svg()
    }

    /// The boxes and edges drawn.
    ///
    /// ```
    /// let x = spillway::zeros::<f64>([4], 2);
    /// let v = (&x * 2.0).visualize_with(spillway::VisualizeOptions { fused: false });
    /// assert_eq!(v.task_graph().len(), 2);
    /// ```
    pub fn task_graph(&self) -> &TaskGraph {
        &self.graph
    }

    /// Writes the graph to `path`: DOT for a `.dot` (or `.gv`) file, SVG for `.svg`.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("spillway-doc-save-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let v = spillway::zeros::<f64>([4], 2).visualize();
    /// v.save(dir.join("zeros.svg")).unwrap();
    /// assert!(matches!(v.save(dir.join("zeros.png")), Err(spillway::Error::UnknownFormat { .. })));
    /// std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let text = match ext.as_deref() {
            Some("dot" | "gv") => self.dot(),
            Some("svg") => self.svg(),
            _ => {
                return Err(Error::UnknownFormat {
                    path: path.display().to_string(),
                });
            }
        };
        std::fs::write(path, text).map_err(|e| Error::io(path, e))
    }
}

/// The fused task graph of several arrays computed together, as Dask's
/// `dask.visualize(a, b)`: reductions they share are one stage.
///
/// ```
/// let x = spillway::random::random([100], 10);
/// let s = x.sum();
/// let v = spillway::visualize(&[s.clone(), &s + 1.0]);
/// assert_eq!(v.task_graph().len(), 2);
/// ```
pub fn visualize<T: Element>(arrays: &[Array<T>]) -> Visualization {
    let roots: Vec<ExprRef<T>> = arrays.iter().map(|a| a.expr.clone()).collect();
    match TaskGraph::fused(&roots) {
        Ok(graph) => Visualization::new(graph),
        Err(error) => Visualization::new(TaskGraph::invalid(&error)),
    }
}

impl<T: Element> Array<T> {
    /// The task graph `compute()` would run, one box per stage with the ops fused into
    /// it, as Dask's `visualize()`. An invalid array draws one box with its error.
    ///
    /// ```
    /// let x = spillway::random::random([15, 15], [10, 5]);
    /// let v = (&x + &x.t()).sum().visualize();
    /// assert!(v.dot().contains("random → transpose → add → sum"));
    /// ```
    pub fn visualize(&self) -> Visualization {
        self.visualize_with(VisualizeOptions::default())
    }

    /// The task graph, fused or one box per op.
    ///
    /// ```
    /// use spillway::VisualizeOptions;
    /// let x = spillway::random::random([15, 15], [10, 5]);
    /// let y = (&x + &x.t()).sum();
    /// assert_eq!(y.visualize_with(VisualizeOptions { fused: false }).task_graph().len(), 4);
    /// assert_eq!(y.visualize_with(VisualizeOptions { fused: true }).task_graph().len(), 1);
    /// ```
    pub fn visualize_with(&self, options: VisualizeOptions) -> Visualization {
        if let Some(error) = self.error() {
            return Visualization::new(TaskGraph::invalid(&error));
        }
        if options.fused {
            visualize(std::slice::from_ref(self))
        } else {
            Visualization::new(TaskGraph::expression(&[self.node()]))
        }
    }

    /// The array's node in the expression graph, type-erased (for graph tools).
    ///
    /// ```
    /// let x = spillway::zeros::<f64>([4], 2);
    /// assert_eq!(x.node().meta().label, "zeros");
    /// ```
    pub fn node(&self) -> NodeRef {
        self.expr.clone().as_node()
    }

    /// The array's typed node in the expression graph (for graph tools).
    ///
    /// ```
    /// let x = spillway::zeros::<f64>([4], 2);
    /// assert_eq!(x.expr().meta().shape, vec![4]);
    /// ```
    pub fn expr(&self) -> ExprRef<T> {
        self.expr.clone()
    }

    /// The chunk diagram of Dask's notebook repr, as an SVG document: a row of chunks for
    /// 1-d, a grid for 2-d, an oblique box for 3-d (the last three axes of more), sides
    /// proportional to the extents and labelled with them.
    ///
    /// ```
    /// let a = spillway::arange(1i64, 50, 3, 5);
    /// let svg = a.chunk_diagram_svg();
    /// assert_eq!(svg.matches("class=\"chunk\"").count(), 4);
    /// assert!(svg.contains(">17<"));
    /// ```
    pub fn chunk_diagram_svg(&self) -> String {
        chunk_diagram_svg(self.chunks())
    }

    /// An HTML summary like Dask's `_repr_html_`: a table of the array's and one chunk's
    /// bytes and shape, the chunk count and the dtype, beside the chunk diagram.
    ///
    /// ```
    /// let a = spillway::arange(1i64, 50, 3, 5);
    /// let html = a.html_repr();
    /// assert!(html.contains("136 B"));
    /// assert!(html.contains("(17,)"));
    /// assert!(html.contains("4 chunks"));
    /// ```
    pub fn html_repr(&self) -> String {
        if let Some(error) = self.error() {
            return format!(
                "<table><tr><th>Invalid array</th><td>{}</td></tr></table>",
                escape_html(&error.to_string())
            );
        }
        let itemsize = self.dtype().itemsize() as u64;
        let chunksize = self.chunksize();
        let chunk_bytes = chunksize
            .iter()
            .fold(itemsize, |acc, &c| acc.saturating_mul(c as u64));
        let count = self.npartitions();
        let noun = if count == 1 { "chunk" } else { "chunks" };
        let rows = [
            (
                "Bytes",
                format_bytes(self.nbytes()),
                format_bytes(chunk_bytes),
            ),
            (
                "Shape",
                python_tuple(self.shape()),
                python_tuple(&chunksize),
            ),
            ("Count", format!("{count} {noun}"), String::new()),
            ("Type", self.dtype().to_string(), self.dtype().to_string()),
        ];
        let mut html = String::from(
            "<table>\n<tr>\n<td>\n<table>\n<thead>\n<tr><td></td><th>Array</th><th>Chunk</th></tr>\n</thead>\n<tbody>\n",
        );
        for (name, array, chunk) in rows {
            html.push_str(&format!(
                "<tr><th>{name}</th><td>{}</td><td>{}</td></tr>\n",
                escape_html(&array),
                escape_html(&chunk)
            ));
        }
        html.push_str("</tbody>\n</table>\n</td>\n<td>\n");
        html.push_str(&self.chunk_diagram_svg());
        html.push_str("</td>\n</tr>\n</table>\n");
        html
    }
}

/// Escapes text for HTML content.
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
