//! `concatenate` and `stack`: a node that cuts each requested region at the inputs'
//! boundaries along the joined axis and pulls every part from its own input.

use crate::array::chunks::{Chunks, python_tuple};
use crate::array::{Array, ArrayError, normalize_axis};
use crate::dtype::Element;
use crate::graph::eval::EvalContext;
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, Scratch, node_debug, node_meta,
};
use crate::graph::region::Region;
use std::borrow::Borrow;
use std::sync::Arc;

struct ConcatExpr<T: Element> {
    meta: NodeMeta,
    inputs: Vec<ExprRef<T>>,
    axis: usize,
    /// Start of each input along the axis, with the total last.
    offsets: Vec<usize>,
}

node_debug!([T: Element] ConcatExpr<T>, ", axis {}", axis);

impl<T: Element> Node for ConcatExpr<T> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        self.inputs.iter().map(|i| i.clone().as_node()).collect()
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Layout
    }
    fn scratch_bytes(&self, tile_elems: usize) -> u64 {
        (tile_elems * std::mem::size_of::<T>()) as u64
    }
}

impl<T: Element> Expr<T> for ConcatExpr<T> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T>> {
        Box::new(ConcatEval {
            inputs: self.inputs.iter().map(|i| ctx.build(i)).collect(),
            axis: self.axis,
            offsets: self.offsets.clone(),
            scratch: Scratch::default(),
        })
    }
}

struct ConcatEval<T> {
    inputs: Vec<Box<dyn Eval<T>>>,
    axis: usize,
    offsets: Vec<usize>,
    scratch: Scratch<T>,
}

impl<T: Element> Eval<T> for ConcatEval<T> {
    fn eval(&mut self, region: &Region, out: &mut [T]) {
        let ax = self.axis;
        let (lo, hi) = (region.start[ax], region.start[ax] + region.shape[ax]);
        let outer: usize = region.shape.as_slice()[..ax].iter().product();
        let inner: usize = region.shape.as_slice()[ax + 1..].iter().product();
        let row = region.shape[ax] * inner;
        for (i, input) in self.inputs.iter_mut().enumerate() {
            let (a, b) = (self.offsets[i].max(lo), self.offsets[i + 1].min(hi));
            if a >= b {
                continue;
            }
            let mut sub = *region;
            sub.start[ax] = a - self.offsets[i];
            sub.shape[ax] = b - a;
            let part = (b - a) * inner;
            let at = (a - lo) * inner;
            if outer == 1 {
                input.eval(&sub, &mut out[at..at + part]);
                continue;
            }
            let buf = self.scratch.get(sub.size());
            input.eval(&sub, buf);
            for o in 0..outer {
                out[o * row + at..o * row + at + part]
                    .copy_from_slice(&buf[o * part..(o + 1) * part]);
            }
        }
    }
}

/// Joins arrays along an existing axis, as `da.concatenate(arrays, axis)`.
///
/// Shapes must match except along `axis`; the output's chunks along it are the inputs'
/// chunks in sequence, and on the other axes the common refinement of the inputs'
/// chunks. All arrays have the element type `T`, so a dtype mismatch cannot compile:
/// cast with `astype` first.
///
/// ```
/// use spillway::{arange, concatenate};
/// let a = arange(0i64, 4, 1, 3);
/// let b = arange(10i64, 12, 1, 2);
/// let c = concatenate([&a, &b], 0);
/// assert_eq!(c.chunks().to_string(), "((3, 1, 2),)");
/// assert_eq!(c.compute().unwrap().iter().copied().collect::<Vec<_>>(), vec![0, 1, 2, 3, 10, 11]);
/// assert!(concatenate([&a, &a.reshape(&[2, 2])], 0).check().is_err());
/// ```
pub fn concatenate<T: Element, A: Borrow<Array<T>>>(
    arrays: impl IntoIterator<Item = A>,
    axis: isize,
) -> Array<T> {
    let arrays: Vec<Array<T>> = arrays.into_iter().map(|a| a.borrow().clone()).collect();
    match join(&arrays, axis, "concatenate") {
        Ok(a) => a,
        Err(e) => Array::invalid(e),
    }
}

/// Joins arrays of one shape along a new axis, as `da.stack(arrays, axis)`; the new axis
/// has one chunk per array.
///
/// ```
/// use spillway::{arange, stack};
/// let a = arange(0i64, 3, 1, 2);
/// let b = arange(10i64, 13, 1, 2);
/// let s = stack([&a, &b], 1);
/// assert_eq!(s.shape(), &[3, 2]);
/// assert_eq!(s.chunks().to_string(), "((2, 1), (1, 1))");
/// assert_eq!(s.compute().unwrap().index_axis(ndarray::Axis(0), 2).iter().copied().collect::<Vec<_>>(), vec![2, 12]);
/// ```
pub fn stack<T: Element, A: Borrow<Array<T>>>(
    arrays: impl IntoIterator<Item = A>,
    axis: isize,
) -> Array<T> {
    let arrays: Vec<Array<T>> = arrays.into_iter().map(|a| a.borrow().clone()).collect();
    if let Some(e) = arrays.iter().find_map(|a| a.error()) {
        return Array::invalid(e);
    }
    let Some(first) = arrays.first() else {
        return Array::invalid(ArrayError::InvalidArgument {
            op: "stack",
            message: "need at least one array to stack".into(),
        });
    };
    for (i, a) in arrays.iter().enumerate() {
        if a.shape() != first.shape() {
            return Array::invalid(ArrayError::ShapeMismatch {
                op: "stack",
                index: i,
                shape: python_tuple(a.shape()),
                first: python_tuple(first.shape()),
                except: String::new(),
            });
        }
    }
    if let Err(e) = normalize_axis(axis, first.ndim() + 1) {
        return Array::invalid(e);
    }
    let expanded: Vec<Array<T>> = arrays.iter().map(|a| a.expand_dims(axis)).collect();
    concatenate(&expanded, axis)
}

fn join<T: Element>(
    arrays: &[Array<T>],
    axis: isize,
    op: &'static str,
) -> Result<Array<T>, crate::error::Error> {
    if let Some(e) = arrays.iter().find_map(|a| a.error()) {
        return Err(e);
    }
    let Some(first) = arrays.first() else {
        return Err(ArrayError::InvalidArgument {
            op,
            message: "need at least one array to concatenate".into(),
        }
        .into());
    };
    let nd = first.ndim();
    if nd == 0 {
        return Err(ArrayError::InvalidArgument {
            op,
            message:
                "zero-dimensional arrays cannot be concatenated; use stack, or expand_dims first"
                    .into(),
        }
        .into());
    }
    let ax = normalize_axis(axis, nd)?;
    for (i, a) in arrays.iter().enumerate() {
        let fits = a.ndim() == nd && (0..nd).all(|k| k == ax || a.shape()[k] == first.shape()[k]);
        if !fits {
            return Err(ArrayError::ShapeMismatch {
                op,
                index: i,
                shape: python_tuple(a.shape()),
                first: python_tuple(first.shape()),
                except: format!(" except along axis {ax}"),
            }
            .into());
        }
    }
    if arrays.len() == 1 {
        return Ok(first.clone());
    }
    let mut offsets = vec![0];
    for a in arrays {
        offsets.push(offsets.last().unwrap() + a.shape()[ax]);
    }
    let mut shape = first.shape().to_vec();
    shape[ax] = *offsets.last().unwrap();
    let chunks: Vec<Vec<usize>> = (0..nd)
        .map(|k| {
            if k == ax {
                let c: Vec<usize> = arrays
                    .iter()
                    .flat_map(|a| a.chunks().as_vecs()[k].clone())
                    .filter(|&c| c > 0)
                    .collect();
                if c.is_empty() { vec![0] } else { c }
            } else {
                refine(arrays.iter().map(|a| a.chunks().offsets(k)), shape[k])
            }
        })
        .collect();
    let meta = NodeMeta::new(op, shape, Chunks(chunks), T::DTYPE);
    Ok(Array::from_expr(Arc::new(ConcatExpr {
        meta,
        inputs: arrays.iter().map(|a| a.expr.clone()).collect(),
        axis: ax,
        offsets,
    })))
}

/// The common refinement of several cuttings of an axis of `extent`.
fn refine(cuts: impl Iterator<Item = Vec<usize>>, extent: usize) -> Vec<usize> {
    if extent == 0 {
        return vec![0];
    }
    let mut all: Vec<usize> = cuts.flatten().collect();
    all.sort_unstable();
    all.dedup();
    all.windows(2).map(|w| w[1] - w[0]).collect()
}
