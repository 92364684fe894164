//! Axis reordering: `transpose`, `t()` (NumPy's `.T`) and `transpose_axes`.

use super::{Array, ArrayError, normalize_axis};
use crate::dtype::Element;
use crate::graph::eval::EvalContext;
use crate::graph::node::{Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, Scratch};
use crate::graph::region::{MAX_NDIM, Region};
use ndarray::{ArrayView, ArrayViewMut, IxDyn};
use std::any::Any;
use std::sync::Arc;

/// Output axis `i` is input axis `perm[i]`.
struct TransposeExpr<T: Element> {
    meta: NodeMeta,
    input: ExprRef<T>,
    perm: Vec<usize>,
}

impl<T: Element> std::fmt::Debug for TransposeExpr<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TransposeExpr({:?}, {:?})", self.meta, self.perm)
    }
}

impl<T: Element> Node for TransposeExpr<T> {
    fn meta(&self) -> &NodeMeta {
        &self.meta
    }
    fn inputs(&self) -> Vec<NodeRef> {
        vec![self.input.clone().as_node()]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Layout
    }
    fn scratch_bytes(&self, tile_elems: usize) -> u64 {
        (tile_elems * std::mem::size_of::<T>()) as u64
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<T: Element> Expr<T> for TransposeExpr<T> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T>> {
        Box::new(TransposeEval {
            input: ctx.build(&self.input),
            perm: self.perm.clone(),
            scratch: Scratch::default(),
        })
    }
    fn as_node(self: Arc<Self>) -> NodeRef {
        self
    }
}

struct TransposeEval<T> {
    input: Box<dyn Eval<T>>,
    perm: Vec<usize>,
    scratch: Scratch<T>,
}

impl<T: Element> Eval<T> for TransposeEval<T> {
    fn eval(&mut self, region: &Region, out: &mut [T]) {
        let ndim = self.perm.len();
        let mut start = [0usize; MAX_NDIM];
        let mut shape = [0usize; MAX_NDIM];
        for (i, &p) in self.perm.iter().enumerate() {
            start[p] = region.start[i];
            shape[p] = region.shape[i];
        }
        let input_region = Region::new(&start[..ndim], &shape[..ndim]);
        let buf = self.scratch.get(input_region.size());
        self.input.eval(&input_region, buf);
        let view = ArrayView::from_shape(IxDyn(&shape[..ndim]), buf)
            .expect("tile shape")
            .permuted_axes(IxDyn(&self.perm));
        let mut target =
            ArrayViewMut::from_shape(IxDyn(region.shape.as_slice()), out).expect("tile shape");
        target.assign(&view);
    }
}

impl<T: Element> Array<T> {
    /// Reverses the axes (NumPy's `transpose()` with no arguments).
    ///
    /// ```
    /// let x = spillway::zeros::<f64>([2, 3, 4], [1, 3, 2]);
    /// assert_eq!(x.transpose().shape(), &[4, 3, 2]);
    /// assert_eq!(x.transpose().chunks().to_string(), "((2, 2), (3,), (1, 1))");
    /// ```
    pub fn transpose(&self) -> Array<T> {
        let perm: Vec<isize> = (0..self.ndim() as isize).rev().collect();
        self.transpose_axes(&perm)
    }

    /// The transpose, as NumPy's `.T`.
    ///
    /// ```
    /// let x = spillway::random::random([15, 15], [10, 5]);
    /// let s = (&x + &x.t()).compute().unwrap();
    /// assert_eq!(s[[2, 9]], s[[9, 2]]);
    /// ```
    pub fn t(&self) -> Array<T> {
        self.transpose()
    }

    /// Permutes the axes: output axis `i` is input axis `axes[i]` (negative axes count
    /// from the end), as `np.transpose(x, axes)`.
    ///
    /// ```
    /// let x = spillway::zeros::<u8>([2, 3, 4], 1);
    /// assert_eq!(x.transpose_axes(&[1, -1, 0]).shape(), &[3, 4, 2]);
    /// assert!(x.transpose_axes(&[0, 0, 1]).check().is_err());
    /// ```
    pub fn transpose_axes(&self, axes: &[isize]) -> Array<T> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        let ndim = self.ndim();
        let bad = || ArrayError::BadPermutation {
            axes: axes.to_vec(),
            ndim,
        };
        if axes.len() != ndim {
            return Array::invalid(bad());
        }
        let mut perm = Vec::with_capacity(ndim);
        for &a in axes {
            match normalize_axis(a, ndim) {
                Ok(p) if !perm.contains(&p) => perm.push(p),
                _ => return Array::invalid(bad()),
            }
        }
        if perm.iter().enumerate().all(|(i, &p)| i == p) {
            return self.clone();
        }
        let shape: Vec<usize> = perm.iter().map(|&p| self.shape()[p]).collect();
        let chunks = self.chunks().permuted(&perm);
        let meta = NodeMeta::new("transpose", shape, chunks, T::DTYPE);
        Array::from_expr(Arc::new(TransposeExpr {
            meta,
            input: self.expr.clone(),
            perm,
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::from_ndarray;
    use ndarray::{Array3, ArrayD};

    #[test]
    fn transpose_matches_ndarray() {
        let data = Array3::from_shape_fn((3, 4, 5), |(i, j, k)| (i * 100 + j * 10 + k) as i64);
        let x = from_ndarray(data.clone(), [2, 3, 2]);
        let got = x.transpose_axes(&[2, 0, 1]).compute().unwrap();
        let want: ArrayD<i64> = data.into_dyn().permuted_axes(vec![2, 0, 1]).to_owned();
        assert_eq!(got, want);
    }
}
