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
        let svg = match svg.find("<svg") {
            Some(start) => &svg[start..],
            None => svg.as_str(),
        };
        fit_to_boxes(svg)
    }
}

/// The value of attribute `key` in the tag text `tag`, as a number.
fn number_attr(tag: &str, key: &str) -> Option<f64> {
    let pattern = format!(" {key}=\"");
    let start = tag.find(&pattern)? + pattern.len();
    let end = tag[start..].find('"')? + start;
    tag[start..end].trim().parse().ok()
}

/// Sets the document's size to the boxes it draws plus a margin: layout-rs grows its
/// window by the length of every text, which leaves a tall blank strip below the graph.
fn fit_to_boxes(svg: &str) -> String {
    const MARGIN: f64 = 30.0;
    let mut right: f64 = 0.0;
    let mut bottom: f64 = 0.0;
    for piece in svg.split("<rect").skip(1) {
        let tag = piece.split('>').next().unwrap_or_default();
        if let (Some(x), Some(y), Some(w), Some(h)) = (
            number_attr(tag, "x"),
            number_attr(tag, "y"),
            number_attr(tag, "width"),
            number_attr(tag, "height"),
        ) {
            right = right.max(x + w);
            bottom = bottom.max(y + h);
        }
    }
    let (Some(end), true) = (svg.find('>'), right > 0.0 && bottom > 0.0) else {
        return svg.to_string();
    };
    let (width, height) = ((right + MARGIN).ceil(), (bottom + MARGIN).ceil());
    format!(
        "<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         xmlns=\"http://www.w3.org/2000/svg\">{}",
        &svg[end + 1..]
    )
}
