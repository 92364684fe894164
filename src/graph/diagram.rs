//! The chunk diagram of an array, as Dask's notebook repr draws it: the array's outline
//! cut along its chunk boundaries, sides proportional to the extents.

use super::chunks::Chunks;
use std::fmt::Write;

/// Length in pixels of the longest side.
const FULL: f64 = 120.0;
/// Shortest side, so that a thin axis stays visible.
const MIN_SIDE: f64 = 12.0;
/// Room around the drawing for the extent labels.
const MARGIN: f64 = 30.0;
/// Axes with more chunks than this are drawn filled, without their boundaries.
const MAX_BOUNDARIES: usize = 100;
const FILL: &str = "#8fbfe0";
const FACE: &str = "#6aa6d1";

/// One drawn axis: its extent, side length in pixels and chunk boundary positions.
struct Axis {
    extent: usize,
    side: f64,
    /// Boundary positions in pixels from 0 to `side`, or `None` when too many to draw.
    cuts: Option<Vec<f64>>,
}

impl Axis {
    fn new(lengths: &[usize], longest: usize) -> Axis {
        let extent: usize = lengths.iter().sum();
        let ratio = if longest == 0 {
            1.0
        } else {
            extent as f64 / longest as f64
        };
        let side = (FULL * ratio).max(MIN_SIDE);
        let cuts = (lengths.len() <= MAX_BOUNDARIES).then(|| {
            let mut acc = 0usize;
            let mut cuts = vec![0.0];
            for &len in lengths {
                acc += len;
                cuts.push(if extent == 0 {
                    side
                } else {
                    side * acc as f64 / extent as f64
                });
            }
            cuts
        });
        Axis { extent, side, cuts }
    }

    /// The cells along this axis as (start, length) in pixels: one per chunk, or one for
    /// the whole axis when it has too many chunks to draw.
    fn cells(&self) -> Vec<(f64, f64)> {
        match &self.cuts {
            Some(cuts) => cuts.windows(2).map(|w| (w[0], w[1] - w[0])).collect(),
            None => vec![(0.0, self.side)],
        }
    }
}

/// The chunk diagram of an array chunked as `chunks`, as an SVG document.
///
/// A 1-d array is a row of chunk rectangles, a 2-d array a grid (rows are axis 0), a 3-d
/// array an oblique projection with axis 0 going into the page; of more axes the last
/// three are drawn. Chunk boundaries are proportional to chunk lengths, each side carries
/// its extent, and every chunk of a 1-d or 2-d drawing is one `<rect class="chunk">`. An
/// axis of more than 100 chunks is drawn filled, without boundaries.
///
/// ```
/// let x = spillway::zeros::<f64>([15, 15], [10, 5]);
/// let svg = spillway::graph::diagram::chunk_diagram_svg(x.chunks());
/// assert_eq!(svg.matches("class=\"chunk\"").count(), 6);
/// ```
pub fn chunk_diagram_svg(chunks: &Chunks) -> String {
    let axes = chunks.as_vecs();
    let drawn: Vec<&Vec<usize>> = axes.iter().skip(axes.len().saturating_sub(3)).collect();
    let longest = drawn
        .iter()
        .map(|l| l.iter().sum::<usize>())
        .max()
        .unwrap_or(0);
    let axes: Vec<Axis> = drawn.iter().map(|l| Axis::new(l, longest)).collect();
    match axes.as_slice() {
        [] => scalar(),
        [cols] => {
            let rows = Axis {
                extent: 1,
                side: MIN_SIDE * 2.0,
                cuts: Some(vec![0.0, MIN_SIDE * 2.0]),
            };
            grid(&rows, cols, false)
        }
        [rows, cols] => grid(rows, cols, true),
        [.., depth, rows, cols] => oblique(depth, rows, cols),
    }
}

fn header(width: f64, height: f64) -> String {
    format!(
        "<svg width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" \
         xmlns=\"http://www.w3.org/2000/svg\" style=\"stroke:rgb(0,0,0);stroke-width:1\">\n"
    )
}

fn text(out: &mut String, x: f64, y: f64, rotate: Option<f64>, label: &str) {
    let transform = rotate
        .map(|deg| format!(" transform=\"rotate({deg:.0},{x:.1},{y:.1})\""))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"12\" text-anchor=\"middle\" \
         dominant-baseline=\"middle\" style=\"stroke:none;fill:black\"{transform}>{label}</text>"
    );
}

fn scalar() -> String {
    let mut out = header(2.0 * MARGIN + MIN_SIDE, 2.0 * MARGIN + MIN_SIDE);
    let _ = writeln!(
        out,
        "<rect class=\"chunk\" x=\"{MARGIN}\" y=\"{MARGIN}\" width=\"{MIN_SIDE}\" \
         height=\"{MIN_SIDE}\" style=\"fill:{FILL}\"/>"
    );
    text(&mut out, MARGIN + MIN_SIDE / 2.0, MARGIN / 2.0, None, "()");
    out.push_str("</svg>\n");
    out
}

/// Appends the cells of a `rows` x `cols` grid at (`x0`, `y0`).
fn cells(out: &mut String, x0: f64, y0: f64, rows: &Axis, cols: &Axis) {
    let dense = rows.cuts.is_none() || cols.cuts.is_none();
    let class = if dense { "chunks-dense" } else { "chunk" };
    for (y, h) in rows.cells() {
        for (x, w) in cols.cells() {
            let _ = writeln!(
                out,
                "<rect class=\"{class}\" x=\"{:.2}\" y=\"{:.2}\" width=\"{w:.2}\" \
                 height=\"{h:.2}\" style=\"fill:{FILL};fill-opacity:0.6\"/>",
                x0 + x,
                y0 + y
            );
        }
    }
}

fn grid(rows: &Axis, cols: &Axis, label_rows: bool) -> String {
    let width = cols.side + 2.0 * MARGIN;
    let height = rows.side + 2.0 * MARGIN;
    let mut out = header(width, height);
    cells(&mut out, MARGIN, MARGIN, rows, cols);
    let _ = writeln!(
        out,
        "<rect class=\"outline\" x=\"{MARGIN}\" y=\"{MARGIN}\" width=\"{:.2}\" height=\"{:.2}\" \
         style=\"fill:none;stroke-width:2\"/>",
        cols.side, rows.side
    );
    text(
        &mut out,
        MARGIN + cols.side / 2.0,
        MARGIN + rows.side + MARGIN / 2.0,
        None,
        &cols.extent.to_string(),
    );
    if label_rows {
        let x = MARGIN + cols.side + MARGIN / 2.0;
        let y = MARGIN + rows.side / 2.0;
        text(&mut out, x, y, Some(-90.0), &rows.extent.to_string());
    }
    out.push_str("</svg>\n");
    out
}

fn polygon(out: &mut String, class: &str, points: [(f64, f64); 4], fill: &str) {
    let pts: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{x:.2},{y:.2}"))
        .collect();
    let _ = writeln!(
        out,
        "<polygon class=\"{class}\" points=\"{}\" style=\"fill:{fill};fill-opacity:0.6\"/>",
        pts.join(" ")
    );
}

/// Axis 0 goes up and to the right at 45 degrees, shortened by half as in a cabinet
/// projection; the front face is the rows x cols grid.
fn oblique(depth: &Axis, rows: &Axis, cols: &Axis) -> String {
    let k = 0.5 * std::f64::consts::FRAC_1_SQRT_2;
    let (dx, dy) = (depth.side * k, depth.side * k);
    let width = cols.side + dx + 2.0 * MARGIN;
    let height = rows.side + dy + 2.0 * MARGIN;
    let mut out = header(width, height);
    let (x0, y0) = (MARGIN, MARGIN + dy);
    // top face: depth x cols
    for (d, dl) in depth.cells() {
        for (x, w) in cols.cells() {
            let (ox, oy) = (x0 + d * k, y0 - d * k);
            let (ex, ey) = (dl * k, dl * k);
            polygon(
                &mut out,
                "chunk-face",
                [
                    (ox + x, oy),
                    (ox + x + w, oy),
                    (ox + x + w + ex, oy - ey),
                    (ox + x + ex, oy - ey),
                ],
                FACE,
            );
        }
    }
    // side face: depth x rows
    for (d, dl) in depth.cells() {
        for (y, h) in rows.cells() {
            let (ox, oy) = (x0 + cols.side + d * k, y0 - d * k);
            let (ex, ey) = (dl * k, dl * k);
            polygon(
                &mut out,
                "chunk-face",
                [
                    (ox, oy + y),
                    (ox + ex, oy + y - ey),
                    (ox + ex, oy + y + h - ey),
                    (ox, oy + y + h),
                ],
                FACE,
            );
        }
    }
    cells(&mut out, x0, y0, rows, cols);
    text(
        &mut out,
        x0 + cols.side / 2.0,
        y0 + rows.side + MARGIN / 2.0,
        None,
        &cols.extent.to_string(),
    );
    text(
        &mut out,
        x0 - MARGIN / 2.0,
        y0 + rows.side / 2.0,
        Some(-90.0),
        &rows.extent.to_string(),
    );
    text(
        &mut out,
        x0 + cols.side + dx / 2.0 + MARGIN / 3.0,
        y0 + rows.side - dy / 2.0 + MARGIN / 3.0,
        Some(-45.0),
        &depth.extent.to_string(),
    );
    out.push_str("</svg>\n");
    out
}
