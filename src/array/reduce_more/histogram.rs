//! `histogram`: counts of values per bin, as `numpy.histogram`.
//!
//! Bins are half-open `[edge[i], edge[i + 1])` except the last, which also holds its
//! right edge; values outside the edges and NaN are not counted. Elements are compared
//! as `f64` (int64 values beyond 2^53 round). The counts come from one staged pass over
//! the data; per-task counts add exactly, so they never depend on the chunking.

use super::fold::{FoldExpr, Folder};
use crate::array::{Array, ArrayError};
use crate::dtype::Element;
use crate::graph::region::Region;
use ndarray::{ArrayD, IxDyn};
use std::sync::Arc;

struct HistogramFolder {
    edges: Arc<[f64]>,
}

impl HistogramFolder {
    fn bin_of(&self, x: f64) -> Option<usize> {
        let edges = &self.edges;
        let (first, last) = (edges[0], edges[edges.len() - 1]);
        // NaN fails both comparisons and is not counted
        if !(x >= first && x <= last) {
            return None;
        }
        let bins = edges.len() - 1;
        if x == last {
            return Some(bins - 1);
        }
        // the last edge <= x: x lies in [edge[i], edge[i + 1])
        Some(edges.partition_point(|&e| e <= x) - 1)
    }
}

impl<T: Element> Folder<T> for HistogramFolder {
    type State = Vec<i64>;
    type Total = Vec<i64>;
    type Out = i64;
    fn label(&self) -> &'static str {
        "histogram"
    }
    fn out_shape(&self) -> Vec<usize> {
        vec![self.edges.len() - 1]
    }
    fn state_bytes(&self) -> u64 {
        8 * (self.edges.len() as u64 - 1)
    }
    fn total_bytes(&self) -> u64 {
        16 * (self.edges.len() as u64 - 1)
    }
    fn start(&self, _block: &Region) -> Vec<i64> {
        vec![0; self.edges.len() - 1]
    }
    fn fold(&self, state: &mut Vec<i64>, data: &[T], _tile: &Region) {
        for &x in data {
            if let Some(b) = self.bin_of(x.to_f64()) {
                state[b] += 1;
            }
        }
    }
    fn total(&self) -> Vec<i64> {
        vec![0; self.edges.len() - 1]
    }
    fn absorb(&self, total: &mut Vec<i64>, state: Vec<i64>) {
        for (t, s) in total.iter_mut().zip(state) {
            *t += s;
        }
    }
    fn finish(&self, total: Vec<i64>) -> ArrayD<i64> {
        ArrayD::from_shape_vec(IxDyn(&[total.len()]), total).expect("one count per bin")
    }
}

/// `bins + 1` evenly spaced edges from `lo` to `hi` (the last exactly `hi`).
///
/// ```
/// use spillway::array::reduce_more::histogram::uniform_edges;
/// assert_eq!(uniform_edges(4, (0.0, 1.0)), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
/// ```
pub fn uniform_edges(bins: usize, (lo, hi): (f64, f64)) -> Vec<f64> {
    let mut edges: Vec<f64> = (0..=bins)
        .map(|i| lo + (hi - lo) * (i as f64 / bins as f64))
        .collect();
    if let Some(last) = edges.last_mut() {
        *last = hi;
    }
    edges
}

impl<T: Element> Array<T> {
    /// Counts of elements in `bins` equal bins over `range` (inclusive of both ends), and
    /// the bin edges, as `numpy.histogram(x, bins, range)`. `bins` must be at least 1 and
    /// `range` finite with `lo <= hi` (`lo == hi` widens to `lo - 0.5 .. hi + 0.5`, as
    /// NumPy does).
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![0.0, 0.1, 0.5, 0.99, 1.0, 2.0], 4);
    /// let (counts, edges) = x.histogram(2, (0.0, 1.0));
    /// assert_eq!(counts.compute_vec().unwrap(), vec![2, 3]);
    /// assert_eq!(edges, vec![0.0, 0.5, 1.0]);
    /// assert!(x.histogram(0, (0.0, 1.0)).0.check().is_err());
    /// ```
    pub fn histogram(&self, bins: usize, range: (f64, f64)) -> (Array<i64>, Vec<f64>) {
        let (mut lo, mut hi) = range;
        if bins == 0 {
            let e = ArrayError::InvalidArgument {
                op: "histogram",
                message: "bins = 0; give at least 1 bin".to_string(),
            };
            return (Array::invalid(e), Vec::new());
        }
        if !(lo.is_finite() && hi.is_finite()) || lo > hi {
            let e = ArrayError::InvalidArgument {
                op: "histogram",
                message: format!(
                    "range ({lo}, {hi}) is not a finite interval; give finite bounds with lo <= hi"
                ),
            };
            return (Array::invalid(e), Vec::new());
        }
        if lo == hi {
            lo -= 0.5;
            hi += 0.5;
        }
        let edges = uniform_edges(bins, (lo, hi));
        (self.histogram_edges(&edges), edges)
    }

    /// Counts of elements between consecutive `edges` (at least two, non-decreasing), as
    /// `numpy.histogram(x, bins=edges)`.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![1, 2, 2, 3, 9], 2);
    /// let counts = x.histogram_edges(&[0.0, 2.0, 3.0]);
    /// assert_eq!(counts.compute_vec().unwrap(), vec![1, 3]);
    /// assert!(x.histogram_edges(&[0.0, 2.0, 1.0]).check().is_err());
    /// ```
    pub fn histogram_edges(&self, edges: &[f64]) -> Array<i64> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        if edges.len() < 2 {
            return Array::invalid(ArrayError::InvalidArgument {
                op: "histogram",
                message: format!("{} bin edges given; give at least 2 (one bin)", edges.len()),
            });
        }
        if let Some(i) = (1..edges.len()).find(|&i| {
            edges[i - 1].partial_cmp(&edges[i]) == Some(std::cmp::Ordering::Greater)
                || edges[i].is_nan()
                || edges[i - 1].is_nan()
        }) {
            return Array::invalid(ArrayError::InvalidArgument {
                op: "histogram",
                message: format!(
                    "bin edges must increase monotonically, but edge {} ({}) is followed by edge {} ({})",
                    i - 1,
                    edges[i - 1],
                    i,
                    edges[i]
                ),
            });
        }
        let folder = HistogramFolder {
            edges: Arc::from(edges),
        };
        Array::from_expr(Arc::new(FoldExpr::new(self.expr.clone(), folder)))
    }
}
