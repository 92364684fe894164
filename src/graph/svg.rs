//! SVG output of a [`TaskGraph`], laid out in-process by `layout-rs` (no Graphviz).

use super::dot::{box_lines, kind_color};
use super::view::TaskGraph;
use layout::backends::svg::SVGWriter;
use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::geometry::Point;
use layout::core::style::StyleAttr;
use layout::std_shapes::shapes::{Arrow, Element, ShapeKind};
use layout::topo::layout::VisualGraph;

const FONT_SIZE: usize = 14;

impl TaskGraph {
    /// The graph drawn as an SVG document: boxes filled as in [`TaskGraph::to_dot`], with
    /// the same lines of text, inputs above their readers.
    ///
    /// ```
    /// let x = spillway::random::random([15, 15], [10, 5]);
    /// let svg = (&x + &x.t()).sum().visualize().svg();
    /// assert!(svg.starts_with("<svg"));
    /// assert!(svg.trim_end().ends_with("</svg>"));
    /// assert!(svg.contains("random → transpose → add → sum"));
    /// ```
    pub fn to_svg(&self) -> String {
        if self.nodes.is_empty() {
            return "<svg width=\"10\" height=\"10\" viewBox=\"0 0 10 10\" \
                    xmlns=\"http://www.w3.org/2000/svg\"></svg>\n"
                .to_string();
        }
        let mut graph = VisualGraph::new(Orientation::TopToBottom);
        let handles: Vec<_> = self
            .nodes
            .iter()
            .map(|node| {
                let lines = box_lines(node);
                let shape = ShapeKind::new_box(&lines.join("\n"));
                let look = StyleAttr::new(
                    Color::fast("black"),
                    1,
                    Some(Color::fast(kind_color(&node.kind))),
                    6,
                    FONT_SIZE,
                );
                // layout-rs sizes a box at one font size per character; Times is about
                // half as wide, so size the box by the text instead
                let chars = lines.iter().map(|l| l.chars().count()).max().unwrap_or(1);
                let font = FONT_SIZE as f64;
                let size = Point::new(
                    chars as f64 * font * 0.55 + 24.0,
                    (lines.len() + 1) as f64 * font + 12.0,
                );
                graph.add_node(Element::create(shape, look, Orientation::LeftToRight, size))
            })
            .collect();
        for &(from, to) in &self.edges {
            if let (Some(&a), Some(&b)) = (handles.get(from), handles.get(to)) {
                graph.add_edge(Arrow::simple(""), a, b);
            }
        }
        let mut writer = SVGWriter::new();
        graph.do_it(false, false, false, &mut writer);
        let svg = writer.finalize();
        // drop the XML prolog so that the document can be inlined in HTML
        match svg.find("<svg") {
            Some(start) => svg[start..].to_string(),
            None => svg,
        }
    }
}
