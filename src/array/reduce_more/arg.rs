//! `argmin` and `argmax`: the index of the first extreme value, NaN winning as in NumPy.
//!
//! Two passes, both ordinary reductions: the extreme `m` over the axes (kept as length-1
//! axes), then the minimum over the axes of `index where x is m (or both are NaN), else
//! i64::MAX`. The index is the flat row-major index for a reduction over every axis and
//! the index along the axis otherwise, so ties resolve to the first occurrence whatever
//! the chunking.

use super::basic::FnReducer;
use crate::Chunks;
use crate::array::{Array, normalize_axis};
use crate::dtype::Numeric;
use crate::graph::eval::EvalContext;
use crate::graph::node::{Eval, Expr, Node, NodeKind, NodeMeta, NodeRef, node_meta};
use crate::graph::region::Region;
use ndarray::{ArrayViewMut, Axis, IxDyn};
use std::sync::Arc;

/// Each element's flat row-major index (`axis: None`) or its index along `axis`.
#[derive(Debug)]
struct IndexExpr {
    meta: NodeMeta,
    axis: Option<usize>,
}

impl Node for IndexExpr {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Source
    }
    fn scratch_bytes(&self, _tile_elems: usize) -> u64 {
        0
    }
}

impl Expr<i64> for IndexExpr {
    fn evaluator(&self, _ctx: &EvalContext) -> Box<dyn Eval<i64>> {
        Box::new(IndexEval {
            shape: self.meta.shape.clone(),
            axis: self.axis,
        })
    }
}

struct IndexEval {
    shape: Vec<usize>,
    axis: Option<usize>,
}

impl Eval<i64> for IndexEval {
    fn eval(&mut self, region: &Region, out: &mut [i64]) {
        match self.axis {
            None => region.for_each_run(&self.shape, |flat, offset, len| {
                for (i, o) in out[offset..offset + len].iter_mut().enumerate() {
                    *o = (flat + i) as i64;
                }
            }),
            Some(axis) => {
                let start = region.start[axis];
                let mut view = ArrayViewMut::from_shape(IxDyn(region.shape.as_slice()), out)
                    .expect("tile shape");
                for (i, mut lane) in view.axis_iter_mut(Axis(axis)).enumerate() {
                    lane.fill((start + i) as i64);
                }
            }
        }
    }
}

fn index_array(shape: &[usize], chunks: &Chunks, axis: Option<usize>) -> Array<i64> {
    Array::from_expr(Arc::new(IndexExpr {
        meta: NodeMeta::new("index", shape.to_vec(), chunks.clone(), crate::DType::Int64),
        axis,
    }))
}

impl<T: Numeric> Array<T> {
    fn arg_extreme(&self, axis: Option<isize>, keepdims: bool, max: bool) -> Array<i64> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        let (axes, index_axis) = match axis {
            None => (self.every_axis(), None),
            Some(a) => match normalize_axis(a, self.ndim()) {
                Ok(n) => (vec![a], Some(n)),
                Err(e) => return Array::invalid(e),
            },
        };
        let extreme = if max {
            self.max_axes(&axes, true)
        } else {
            self.min_axes(&axes, true)
        };
        if let Some(e) = extreme.error() {
            return Array::invalid(e);
        }
        // NaN is the extreme when present (min/max propagate it): match it by NaN-ness
        let hit = self.binary("arg_match", &extreme, |v: T, m: T| {
            #[allow(clippy::eq_op)]
            let nan = m != m && v != v;
            v == m || nan
        });
        let index = index_array(self.shape(), self.chunks(), index_axis);
        let candidates = hit.binary(
            "arg_index",
            &index,
            |h: bool, i: i64| {
                if h { i } else { i64::MAX }
            },
        );
        let label = if max { "argmax" } else { "argmin" };
        let first = FnReducer::new(
            label,
            None,
            |xs: &[i64]| xs.iter().copied().min().unwrap_or(i64::MAX),
            |a: i64, b: i64| a.min(b),
            |a: i64| a,
        );
        candidates.fn_reduce(Some(&axes), keepdims, first)
    }

    /// Index of the first minimum: the flat index over every axis (`axis: None`) or the
    /// index along `axis`; NaN counts as the minimum, as in NumPy. An empty axis is an
    /// error.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![[3, 1, 1], [0, 5, 0]], 1);
    /// assert_eq!(x.argmin(None, false).compute_scalar().unwrap(), 3);
    /// assert_eq!(x.argmin(Some(1), false).compute_vec().unwrap(), vec![1, 0]);
    /// ```
    pub fn argmin(&self, axis: Option<isize>, keepdims: bool) -> Array<i64> {
        self.arg_extreme(axis, keepdims, false)
    }

    /// Index of the first maximum (NaN counts as the maximum), as `np.argmax`.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![1.0, f64::NAN, 7.0, 7.0], 2);
    /// assert_eq!(x.argmax(None, false).compute_scalar().unwrap(), 1);
    /// let y = spillway::from_ndarray(ndarray::array![1.0, 7.0, 7.0], 2);
    /// assert_eq!(y.argmax(Some(0), false).compute_scalar().unwrap(), 1);
    /// ```
    pub fn argmax(&self, axis: Option<isize>, keepdims: bool) -> Array<i64> {
        self.arg_extreme(axis, keepdims, true)
    }
}
