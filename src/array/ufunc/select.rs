//! Selection: `where_(cond, a, b)` (NumPy's `np.where`) and `clip`.

use crate::array::Array;
use crate::array::broadcast::{broadcast_shapes, operand_region, unify_chunks};
use crate::array::elementwise::Operand;
use crate::dtype::{Element, Numeric};
use crate::graph::eval::EvalContext;
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, Scratch, node_debug, node_meta,
};
use crate::graph::region::Region;
use ndarray::{ArrayView, ArrayViewMut, IxDyn, Zip};
use std::sync::Arc;

/// `cond ? a : b` over three broadcast inputs.
struct WhereExpr<T: Element> {
    meta: NodeMeta,
    cond: ExprRef<bool>,
    a: ExprRef<T>,
    b: ExprRef<T>,
}

node_debug!([T: Element] WhereExpr<T>);

impl<T: Element> Node for WhereExpr<T> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![
            self.cond.clone().as_node(),
            self.a.clone().as_node(),
            self.b.clone().as_node(),
        ]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Elementwise
    }
    fn scratch_bytes(&self, tile_elems: usize) -> u64 {
        (tile_elems * (1 + 2 * std::mem::size_of::<T>())) as u64
    }
}

impl<T: Element> Expr<T> for WhereExpr<T> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T>> {
        Box::new(WhereEval {
            cond: ctx.build(&self.cond),
            a: ctx.build(&self.a),
            b: ctx.build(&self.b),
            shapes: [
                self.cond.meta().shape.clone(),
                self.a.meta().shape.clone(),
                self.b.meta().shape.clone(),
            ],
            cond_scratch: Scratch::default(),
            a_scratch: Scratch::default(),
            b_scratch: Scratch::default(),
        })
    }
}

struct WhereEval<T> {
    cond: Box<dyn Eval<bool>>,
    a: Box<dyn Eval<T>>,
    b: Box<dyn Eval<T>>,
    shapes: [Vec<usize>; 3],
    cond_scratch: Scratch<bool>,
    a_scratch: Scratch<T>,
    b_scratch: Scratch<T>,
}

impl<T: Element> Eval<T> for WhereEval<T> {
    fn eval(&mut self, region: &Region, out: &mut [T]) {
        let rc = operand_region(region, &self.shapes[0]);
        let ra = operand_region(region, &self.shapes[1]);
        let rb = operand_region(region, &self.shapes[2]);
        let c = self.cond_scratch.get(rc.size());
        self.cond.eval(&rc, c);
        let a = self.a_scratch.get(ra.size());
        self.a.eval(&ra, a);
        let b = self.b_scratch.get(rb.size());
        self.b.eval(&rb, b);
        let n = region.size();
        if c.len() == n && a.len() == n && b.len() == n {
            for (((o, &c), &a), &b) in out.iter_mut().zip(c.iter()).zip(a.iter()).zip(b.iter()) {
                *o = if c { a } else { b };
            }
            return;
        }
        let shape = IxDyn(region.shape.as_slice());
        let view = |r: &Region| IxDyn(r.shape.as_slice());
        let cv = ArrayView::from_shape(view(&rc), &*c).expect("tile shape");
        let av = ArrayView::from_shape(view(&ra), &*a).expect("tile shape");
        let bv = ArrayView::from_shape(view(&rb), &*b).expect("tile shape");
        let ov = ArrayViewMut::from_shape(shape.clone(), out).expect("tile shape");
        Zip::from(ov)
            .and(
                &cv.broadcast(shape.clone())
                    .expect("broadcast by construction"),
            )
            .and(
                &av.broadcast(shape.clone())
                    .expect("broadcast by construction"),
            )
            .and(&bv.broadcast(shape).expect("broadcast by construction"))
            .for_each(|o, &c, &a, &b| *o = if c { a } else { b });
    }
}

fn operand_array<T: Element>(op: Operand<T>) -> Array<T> {
    match op {
        Operand::Array(a) => a,
        // a 0-d array broadcasts against anything
        Operand::Scalar(s) => crate::full(Vec::<usize>::new(), s, 1),
    }
}

/// Elements of `a` where `cond` is true, else of `b`, all three broadcast together, as
/// `np.where(cond, a, b)` (`a` and `b` may be scalars). Named `where_` because `where` is
/// a Rust keyword.
///
/// ```
/// let x = spillway::arange(0i64, 6, 1, 4);
/// let y = spillway::where_(&x.lt(3), &x, -1);
/// assert_eq!(y.compute_vec().unwrap(), vec![0, 1, 2, -1, -1, -1]);
/// ```
pub fn where_<T: Element>(
    cond: &Array<bool>,
    a: impl Into<Operand<T>>,
    b: impl Into<Operand<T>>,
) -> Array<T> {
    let (a, b) = (operand_array(a.into()), operand_array(b.into()));
    if let Some(e) = cond.error().or_else(|| a.error()).or_else(|| b.error()) {
        return Array::invalid(e);
    }
    let shape = match broadcast_shapes(cond.shape(), a.shape())
        .and_then(|s| broadcast_shapes(&s, b.shape()))
    {
        Ok(s) => s,
        Err(e) => return Array::invalid(e),
    };
    let chunks = unify_chunks(
        &[
            (cond.shape(), cond.chunks()),
            (a.shape(), a.chunks()),
            (b.shape(), b.chunks()),
        ],
        &shape,
    );
    let meta = NodeMeta::new("where", shape, chunks, T::DTYPE);
    Array::from_expr(Arc::new(WhereExpr {
        meta,
        cond: cond.expr.clone(),
        a: a.expr.clone(),
        b: b.expr.clone(),
    }))
}

impl<T: Numeric> Array<T> {
    /// Limits every element to `[min, max]`, as `np.clip` (`minimum(maximum(x, min),
    /// max)`, so NaN stays NaN and `min > max` gives `max` everywhere, as in NumPy).
    ///
    /// ```
    /// let x = spillway::arange(0i64, 6, 1, 4).clip(1, 4);
    /// assert_eq!(x.compute_vec().unwrap(), vec![1, 1, 2, 3, 4, 4]);
    /// ```
    pub fn clip(&self, min: T, max: T) -> Array<T> {
        self.unary("clip", move |a: T| T::min_nan(T::max_nan(a, min), max))
    }

    /// Limits every element to `[min, max]` given as broadcast arrays.
    ///
    /// ```
    /// let x = spillway::arange(0.0, 4.0, 1.0, 2);
    /// let lo = spillway::full(4, 1.0, 4);
    /// let hi = spillway::full(1, 2.0, 1);
    /// assert_eq!(x.clip_arrays(&lo, &hi).compute_vec().unwrap(), vec![1.0, 1.0, 2.0, 2.0]);
    /// ```
    pub fn clip_arrays(&self, min: &Array<T>, max: &Array<T>) -> Array<T> {
        self.maximum(min).minimum(max)
    }
}
