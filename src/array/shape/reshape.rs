//! `reshape` and `ravel` (C order): a node that reads the input's flat ranges.
//!
//! An output region is a set of runs of the output's row-major order; each run is a
//! flat range of the input, pulled as at most `2 * ndim - 1` boxes straight into the
//! caller's buffer. A reshape that keeps rows contiguous therefore costs one pull per
//! tile, with no copy of its own.

use crate::array::chunks::{Chunks, python_tuple};
use crate::array::{Array, ArrayError, check_rank};
use crate::dtype::Element;
use crate::graph::eval::EvalContext;
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, node_debug, node_meta,
};
use crate::graph::region::{MAX_NDIM, Region};
use std::sync::Arc;

struct ReshapeExpr<T: Element> {
    meta: NodeMeta,
    input: ExprRef<T>,
    in_shape: Vec<usize>,
}

node_debug!([T: Element] ReshapeExpr<T>);

impl<T: Element> Node for ReshapeExpr<T> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![self.input.clone().as_node()]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Layout
    }
    fn scratch_bytes(&self, _tile_elems: usize) -> u64 {
        0
    }
}

impl<T: Element> Expr<T> for ReshapeExpr<T> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T>> {
        Box::new(ReshapeEval {
            input: ctx.build(&self.input),
            in_shape: self.in_shape.clone(),
            out_shape: self.meta.shape.clone(),
        })
    }
}

struct ReshapeEval<T> {
    input: Box<dyn Eval<T>>,
    in_shape: Vec<usize>,
    out_shape: Vec<usize>,
}

impl<T: Element> Eval<T> for ReshapeEval<T> {
    fn eval(&mut self, region: &Region, out: &mut [T]) {
        let input = &mut self.input;
        let in_shape = &self.in_shape;
        region.for_each_run(&self.out_shape, |flat, offset, len| {
            flat_boxes(in_shape, flat, len, |r, at| {
                let n = r.size();
                input.eval(&r, &mut out[offset + at..offset + at + n]);
            });
        });
    }
}

/// Cuts the flat range `start .. start + len` of an array of `shape` into boxes whose
/// row-major orders follow each other; calls `f(box, offset_in_range)`.
pub(crate) fn flat_boxes(
    shape: &[usize],
    mut start: usize,
    mut len: usize,
    mut f: impl FnMut(Region, usize),
) {
    let nd = shape.len();
    if nd == 0 {
        if len > 0 {
            f(Region::new(&[], &[]), 0);
        }
        return;
    }
    // elements per step of each axis
    let mut block = [1usize; MAX_NDIM];
    for a in (0..nd - 1).rev() {
        block[a] = block[a + 1] * shape[a + 1];
    }
    let mut done = 0;
    while len > 0 {
        let mut idx = [0usize; MAX_NDIM];
        let mut rem = start;
        for a in 0..nd {
            idx[a] = rem / block[a];
            rem %= block[a];
        }
        // the outermost axis k such that every axis after it is at 0 and a step of k fits
        let mut k = nd - 1;
        while k > 0 && idx[k] == 0 && len >= block[k - 1] {
            k -= 1;
        }
        let count = (len / block[k]).min(shape[k] - idx[k]);
        let mut bstart = [0usize; MAX_NDIM];
        let mut bshape = [1usize; MAX_NDIM];
        bstart[..=k].copy_from_slice(&idx[..=k]);
        bshape[k] = count;
        bshape[k + 1..nd].copy_from_slice(&shape[k + 1..nd]);
        let n = count * block[k];
        f(Region::new(&bstart[..nd], &bshape[..nd]), done);
        done += n;
        start += n;
        len -= n;
    }
}

/// Chunks of a reshape: axes shared at the front or back keep the input's chunks; the
/// axes in between get chunks of about as many elements as an input chunk of the axes
/// they replace, filled from the last axis.
fn reshape_chunks(in_shape: &[usize], in_chunks: &Chunks, out: &[usize]) -> Vec<Vec<usize>> {
    if out.contains(&0) || in_shape.contains(&0) {
        return out.iter().map(|&e| vec![e]).collect();
    }
    let mut prefix = 0;
    while prefix < in_shape.len().min(out.len()) && in_shape[prefix] == out[prefix] {
        prefix += 1;
    }
    let mut suffix = 0;
    while suffix < (in_shape.len() - prefix).min(out.len() - prefix)
        && in_shape[in_shape.len() - 1 - suffix] == out[out.len() - 1 - suffix]
    {
        suffix += 1;
    }
    let inc = in_chunks.as_vecs();
    let chunksize = in_chunks.chunksize();
    let target: usize = chunksize[prefix..in_shape.len() - suffix]
        .iter()
        .product::<usize>()
        .max(1);
    let mut chunks: Vec<Vec<usize>> = Vec::with_capacity(out.len());
    chunks.extend(inc[..prefix].iter().cloned());
    let middle = &out[prefix..out.len() - suffix];
    let mut mid_chunks = vec![Vec::new(); middle.len()];
    let mut prod = 1usize;
    for (a, &e) in middle.iter().enumerate().rev() {
        let c = (target / prod).clamp(1, e);
        mid_chunks[a] = regular(e, c);
        prod = prod.saturating_mul(c);
    }
    chunks.extend(mid_chunks);
    chunks.extend(inc[in_shape.len() - suffix..].iter().cloned());
    chunks
}

/// `extent` cut into chunks of `c` with a shorter last one.
fn regular(extent: usize, c: usize) -> Vec<usize> {
    let mut v = vec![c; extent / c];
    if !extent.is_multiple_of(c) {
        v.push(extent % c);
    }
    v
}

impl<T: Element> Array<T> {
    /// The same elements in C order with a new shape, as `x.reshape(shape)`; one extent
    /// may be `-1` (inferred).
    ///
    /// Axes kept at the front or back keep their chunks; the others get chunks of about
    /// as many elements as the input's chunks of the axes they replace. Nothing is
    /// rechunked in memory: each output tile reads the input's flat ranges it needs.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 24, 1, 5);
    /// let y = x.reshape(&[2, -1, 4]);
    /// assert_eq!(y.shape(), &[2, 3, 4]);
    /// let v = y.compute().unwrap();
    /// assert_eq!(v[[1, 2, 3]], 23);
    /// assert!(x.reshape(&[5, 5]).check().is_err()); // 24 elements do not fill 5 x 5
    /// ```
    pub fn reshape(&self, shape: &[isize]) -> Array<T> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        match self.resolve_reshape(shape) {
            Ok(a) => a,
            Err(e) => Array::invalid(e),
        }
    }

    /// The elements as one axis in C order, as `x.ravel()`.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 6, 1, 2).reshape(&[2, 3]);
    /// assert_eq!(x.t().ravel().compute().unwrap().iter().copied().collect::<Vec<_>>(), vec![0, 3, 1, 4, 2, 5]);
    /// ```
    pub fn ravel(&self) -> Array<T> {
        self.reshape(&[-1])
    }

    fn resolve_reshape(&self, shape: &[isize]) -> Result<Array<T>, ArrayError> {
        let size = self.size();
        let show = || python_tuple(shape.iter());
        let bad = || ArrayError::ReshapeSize {
            size,
            shape: show(),
        };
        let unknown: Vec<usize> = (0..shape.len()).filter(|&i| shape[i] == -1).collect();
        if unknown.len() > 1 || shape.iter().any(|&e| e < -1) {
            return Err(ArrayError::InvalidArgument {
                op: "reshape",
                message: format!(
                    "shape {} is not valid: extents must be non-negative, with at most one -1 to infer",
                    show()
                ),
            });
        }
        let known: usize = shape
            .iter()
            .filter(|&&e| e >= 0)
            .map(|&e| e as usize)
            .product();
        let mut out: Vec<usize> = shape.iter().map(|&e| e.max(0) as usize).collect();
        if let Some(&u) = unknown.first() {
            if known == 0 || !size.is_multiple_of(known) {
                return Err(bad());
            }
            out[u] = size / known;
        } else if known != size {
            return Err(bad());
        }
        check_rank(&out)?;
        if out == self.shape() {
            return Ok(self.clone());
        }
        let chunks = reshape_chunks(self.shape(), self.chunks(), &out);
        let meta = NodeMeta::new("reshape", out, Chunks(chunks), T::DTYPE);
        Ok(Array::from_expr(Arc::new(ReshapeExpr {
            meta,
            input: self.expr.clone(),
            in_shape: self.shape().to_vec(),
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxes(shape: &[usize], start: usize, len: usize) -> Vec<(Vec<usize>, Vec<usize>, usize)> {
        let mut v = vec![];
        flat_boxes(shape, start, len, |r, at| {
            v.push((r.start.as_slice().to_vec(), r.shape.as_slice().to_vec(), at))
        });
        v
    }

    #[test]
    fn flat_ranges_become_few_boxes() {
        // 3 x 4: flat 2..11 -> row 0 cols 2..4, row 1 whole, row 2 cols 0..3
        assert_eq!(
            boxes(&[3, 4], 2, 9),
            vec![
                (vec![0, 2], vec![1, 2], 0),
                (vec![1, 0], vec![1, 4], 2),
                (vec![2, 0], vec![1, 3], 6)
            ]
        );
        assert_eq!(boxes(&[3, 4], 0, 12), vec![(vec![0, 0], vec![3, 4], 0)]);
        assert_eq!(boxes(&[], 0, 1), vec![(vec![], vec![], 0)]);
    }

    #[test]
    fn reshape_chunks_keep_shared_axes() {
        let c = Chunks(vec![vec![100; 10], vec![10], vec![10]]);
        assert_eq!(
            reshape_chunks(&[1000, 10, 10], &c, &[1000, 100]),
            vec![vec![100; 10], vec![100]]
        );
        let c = Chunks(vec![vec![2, 2, 2], vec![2, 2]]);
        assert_eq!(
            reshape_chunks(&[6, 4], &c, &[2, 3, 4]),
            vec![vec![1, 1], vec![2, 1], vec![2, 2]]
        );
    }
}
