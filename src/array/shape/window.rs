//! `sliding_window_view` along one axis: a node whose trailing axis walks a window.
//!
//! Output element `[.., i, .., k]` is input element `[.., i + k, ..]` (`i` on the windowed
//! axis, `k` on the new trailing axis). An output region maps to one input box: the same
//! ranges on every other axis, and on the windowed axis the rows from the region's first
//! `i + k` to its last, so the box never holds more elements than the region it serves.
//! The box is pulled once per region and its rows copied to their window positions;
//! nothing is materialised beyond one tile, so a rolling sum or mean (a reduction over
//! the trailing axis) reads the input once, block by block, in native code.

use crate::array::chunks::Chunks;
use crate::array::{Array, ArrayError, check_rank, normalize_axis};
use crate::dtype::Element;
use crate::graph::eval::EvalContext;
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, Scratch, node_debug, node_meta,
};
use crate::graph::region::{MAX_NDIM, Region};
use std::sync::Arc;

impl<T: Element> Array<T> {
    /// Windows of `window` consecutive elements along `axis`, as a new trailing axis:
    /// NumPy's `sliding_window_view(x, window, axis)`. The windowed axis becomes
    /// `n - window + 1` long, keeping the input's chunks (the last ones trimmed); the
    /// trailing axis is one chunk of `window`. Reducing the trailing axis gives a rolling
    /// reduction (`x.sliding_window_view(5, 0).mean_axis(-1)` is a 5-step moving mean).
    ///
    /// ```
    /// let x = spillway::arange(0i64, 6, 1, 4);
    /// let w = x.sliding_window_view(3, 0);
    /// assert_eq!(w.shape(), &[4, 3]);
    /// assert_eq!(w.chunks().to_string(), "((4,), (3,))");
    /// let v = w.compute().unwrap();
    /// assert_eq!(v.index_axis(ndarray::Axis(0), 1).iter().copied().collect::<Vec<_>>(), vec![1, 2, 3]);
    /// assert_eq!(w.sum_axis(-1).compute().unwrap().iter().copied().collect::<Vec<_>>(), vec![3, 6, 9, 12]);
    /// assert!(x.sliding_window_view(7, 0).check().is_err());
    /// ```
    pub fn sliding_window_view(&self, window: usize, axis: isize) -> Array<T> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        let shape = self.shape().to_vec();
        let a = match normalize_axis(axis, shape.len()) {
            Ok(a) => a,
            Err(e) => return Array::invalid(e),
        };
        if window == 0 || window > shape[a] {
            return Array::invalid(ArrayError::InvalidArgument {
                op: "sliding_window_view",
                message: format!(
                    "a window of {window} along axis {a} of length {}; give a window from 1 to the axis length",
                    shape[a]
                ),
            });
        }
        let mut out_shape = shape.clone();
        out_shape[a] = shape[a] - window + 1;
        out_shape.push(window);
        if let Err(e) = check_rank(&out_shape) {
            return Array::invalid(e);
        }
        let mut chunks = self.chunks().as_vecs().to_vec();
        chunks[a] = trimmed(&chunks[a], out_shape[a]);
        chunks.push(vec![window]);
        let meta = NodeMeta::new(
            "sliding_window_view",
            out_shape,
            Chunks::from_lengths(chunks),
            T::DTYPE,
        );
        Array::from_expr(Arc::new(WindowExpr {
            meta,
            input: self.expr(),
            axis: a,
        }))
    }
}

/// `chunks` cut to cover the first `len` elements (empty chunks dropped, but at least one).
fn trimmed(chunks: &[usize], len: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut left = len;
    for &c in chunks {
        if left == 0 {
            break;
        }
        let take = c.min(left);
        if take > 0 {
            out.push(take);
        }
        left -= take;
    }
    if out.is_empty() {
        out.push(0);
    }
    out
}

struct WindowExpr<T: Element> {
    meta: NodeMeta,
    input: ExprRef<T>,
    /// The windowed input axis.
    axis: usize,
}

node_debug!([T: Element] WindowExpr<T>, ", axis {}", axis);

impl<T: Element> Node for WindowExpr<T> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![self.input.clone().as_node()]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Layout
    }
    fn scratch_bytes(&self, tile_elems: usize) -> u64 {
        // the pulled box holds at most as many elements as the tile it serves
        (tile_elems * std::mem::size_of::<T>()) as u64
    }
}

impl<T: Element> Expr<T> for WindowExpr<T> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T>> {
        Box::new(WindowEval {
            input: ctx.build(&self.input),
            axis: self.axis,
            scratch: Scratch::default(),
        })
    }
}

struct WindowEval<T> {
    input: Box<dyn Eval<T>>,
    axis: usize,
    scratch: Scratch<T>,
}

impl<T: Element> Eval<T> for WindowEval<T> {
    fn eval(&mut self, region: &Region, out: &mut [T]) {
        if region.size() == 0 {
            return;
        }
        let nd = region.ndim() - 1; // the input's rank
        let a = self.axis;
        let (k0, kn) = (region.start[nd], region.shape[nd]);
        let (i0, rows) = (region.start[a], region.shape[a]);
        // the input box: the region's ranges, rows i0 + k0 .. i0 + rows - 1 + k0 + kn
        let mut start = [0usize; MAX_NDIM];
        let mut shape = [0usize; MAX_NDIM];
        start[..nd].copy_from_slice(&region.start.as_slice()[..nd]);
        shape[..nd].copy_from_slice(&region.shape.as_slice()[..nd]);
        start[a] = i0 + k0;
        shape[a] = rows + kn - 1;
        let input_box = Region::new(&start[..nd], &shape[..nd]);
        let buf = self.scratch.get(input_box.size());
        self.input.eval(&input_box, buf);
        // the box as [outer, rows + kn - 1, inner]; the region as [outer, rows, inner, kn]
        let outer: usize = shape[..a].iter().product();
        let inner: usize = shape[a + 1..nd].iter().product();
        let box_rows = shape[a];
        // for each (p, i): the region's [inner, kn] block takes input row i + k into
        // column k, one contiguous input row per column
        let block = inner * kn;
        for p in 0..outer {
            for i in 0..rows {
                let o = (p * rows + i) * block;
                let dst = &mut out[o..o + block];
                for k in 0..kn {
                    let r = (p * box_rows + i + k) * inner;
                    let src = &buf[r..r + inner];
                    for (cell, &v) in dst.chunks_exact_mut(kn).zip(src) {
                        cell[k] = v;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::trimmed;

    #[test]
    fn chunks_are_trimmed_from_the_end() {
        assert_eq!(trimmed(&[4, 4, 2], 8), vec![4, 4]);
        assert_eq!(trimmed(&[4, 4, 2], 7), vec![4, 3]);
        assert_eq!(trimmed(&[4, 4, 2], 10), vec![4, 4, 2]);
        assert_eq!(trimmed(&[0], 0), vec![0]);
    }
}
