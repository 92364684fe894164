//! `sort` and `argsort` of a 1-d array of any size, under the memory budget.
//!
//! An array whose values fit one task is still sorted the same way: there is one path,
//! so small tests exercise the code that sorts 100 GB.
//!
//! 1. **Runs** ([`runs`]): a staging stage cuts the input into runs sized from the
//!    budget and the thread count ([`layout`]), sorts each in memory with a stable radix
//!    sort, and writes it in blocks to an intermediate store that spills to disk only
//!    when the budget is short. Each run keeps a few sampled keys (fences).
//! 2. **Merge** ([`merge`]): whoever reads the sorted array merges the runs, one block per
//!    run in memory, starting any run at the place the fences give, so output chunks are
//!    merged in parallel by the tasks that read them and nothing else is written.
//!
//! The order is NumPy's stable sort: NaNs last, `-0.0` and `0.0` equal and kept in input
//! order. The result is the same bits whatever the chunking, budget or thread count.

pub(crate) mod layout;
pub(crate) mod merge;
pub(crate) mod runs;

use super::{Array, ArrayError};
use crate::dtype::Element;
use crate::exec::client::Client;
use crate::exec::stage::Stage;
use crate::graph::eval::{ErrorSlot, EvalContext};
use crate::graph::node::{Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, node_meta};
use crate::graph::region::Region;
use layout::SortLayout;
use merge::MergeCursor;
use runs::{RunStage, SortedRuns};
use std::marker::PhantomData;
use std::sync::Arc;

impl<T: Element> Array<T> {
    /// The values in ascending order (NumPy's `np.sort(x, kind="stable")` of a 1-d
    /// array), in the input's chunks. Any size sorts under the memory budget: runs are
    /// sorted in memory and merged as the result is read (see the [module](self) docs).
    /// Floats sort NaNs last; equal values keep their order.
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::arr1(&[3.0, f64::NAN, -1.0, 2.0, -0.0, 0.0]), [2]);
    /// let sorted = x.sort().compute_vec().unwrap();
    /// assert_eq!(&sorted[..5], &[-1.0, -0.0, 0.0, 2.0, 3.0]);
    /// assert!(sorted[1].is_sign_negative() && sorted[5].is_nan());
    /// ```
    pub fn sort(&self) -> Array<T> {
        self.sorted::<Values>("sort")
    }

    /// The indices that sort the array (NumPy's `np.argsort(x, kind="stable")` of a 1-d
    /// array) as `int64`, computed out of core like [`sort`](Self::sort).
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::arr1(&[30u8, 10, 20, 10]), [3]);
    /// assert_eq!(x.argsort().compute_vec().unwrap(), vec![1, 3, 2, 0]);
    /// ```
    pub fn argsort(&self) -> Array<i64> {
        self.sorted::<Indices>("argsort")
    }

    fn sorted<E: Emit<T>>(&self, op: &'static str) -> Array<E::Out> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        if T::DTYPE.is_complex() {
            return Array::invalid(ArrayError::UnsupportedDtype {
                op,
                dtype: T::DTYPE.name().into(),
                fix: "complex numbers have no order: sort the real part, the imaginary part or the magnitude".into(),
            });
        }
        if self.ndim() != 1 {
            return Array::invalid(ArrayError::InvalidArgument {
                op,
                message: format!(
                    "takes a 1-d array, not one of shape {:?}; ravel() it first, or sort along an axis that is one chunk from Python (spillway.array_api.sort)",
                    self.shape()
                ),
            });
        }
        Array::from_expr(Arc::new(SortExpr::<T, E> {
            meta: NodeMeta::new(
                op,
                self.shape().to_vec(),
                self.chunks().clone(),
                E::Out::DTYPE,
            ),
            input: self.expr.clone(),
            _emit: PhantomData,
        }))
    }
}

/// What a sort hands out for each merged value: the value, or its input index.
trait Emit<T: Element>: Send + Sync + 'static {
    type Out: Element;
    /// Whether the runs must keep each value's input index.
    const INDICES: bool;
    fn out(value: T, index: i64) -> Self::Out;
}

/// `sort`: the values.
struct Values;
impl<T: Element> Emit<T> for Values {
    type Out = T;
    const INDICES: bool = false;
    #[inline(always)]
    fn out(value: T, _index: i64) -> T {
        value
    }
}

/// `argsort`: the input indices.
struct Indices;
impl<T: Element> Emit<T> for Indices {
    type Out = i64;
    const INDICES: bool = true;
    #[inline(always)]
    fn out(_value: T, index: i64) -> i64 {
        index
    }
}

struct SortExpr<T: Element, E: Emit<T>> {
    meta: NodeMeta,
    input: ExprRef<T>,
    _emit: PhantomData<E>,
}

impl<T: Element, E: Emit<T>> std::fmt::Debug for SortExpr<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SortExpr({:?})", self.meta)
    }
}

impl<T: Element, E: Emit<T>> SortExpr<T, E> {
    /// The cut of this sort on the client it will run on.
    fn layout(&self) -> SortLayout {
        let client = Client::current();
        let lengths = self.input.meta().chunks.as_vecs()[0].clone();
        SortLayout::new(
            self.meta.shape[0],
            &lengths,
            (
                std::mem::size_of::<T>(),
                E::INDICES,
                std::mem::size_of::<(T, i64)>(),
            ),
            client.budget().limit(),
            client.total_threads(),
        )
    }
}

impl<T: Element, E: Emit<T>> Node for SortExpr<T, E> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![self.input.clone().as_node()]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Layout
    }
    fn scratch_bytes(&self, _tile_elems: usize) -> u64 {
        self.layout().reader_bytes()
    }
    fn computes_whole_blocks(&self) -> bool {
        // a read that does not follow the last one starts the merge again
        true
    }
    fn stages_input(&self) -> bool {
        true
    }
    fn staging_stage(&self, ctx: &Arc<EvalContext>, input_scratch: u64) -> Option<Box<dyn Stage>> {
        Some(Box::new(RunStage::new(
            format!("{} runs", self.meta.label),
            self.input.clone(),
            self.layout(),
            ctx.clone(),
            self.meta.id,
            input_scratch,
        )))
    }
}

impl<T: Element, E: Emit<T>> Expr<E::Out> for SortExpr<T, E> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<E::Out>> {
        let cursor = ctx
            .staged_state::<SortedRuns<T>>(self.meta.id)
            .map(|runs| MergeCursor::new(runs, ctx.errors().clone()));
        Box::new(SortEval::<T, E> {
            cursor,
            errors: ctx.errors().clone(),
            _emit: PhantomData,
        })
    }
}

/// Reads the sorted array by merging its runs.
struct SortEval<T: Element, E: Emit<T>> {
    /// `None` only if the runs' stage did not run before this reader (a planner bug,
    /// reported as an error rather than a wrong answer).
    cursor: Option<MergeCursor<T>>,
    errors: ErrorSlot,
    _emit: PhantomData<E>,
}

impl<T: Element, E: Emit<T>> Eval<E::Out> for SortEval<T, E> {
    fn eval(&mut self, region: &Region, out: &mut [E::Out]) {
        let Some(cursor) = self.cursor.as_mut() else {
            self.errors.report(crate::exec::error::ExecError::Op(
                crate::exec::error::OpError::new(std::io::Error::other(
                    "sort: the sorted runs were read before they were made",
                )),
            ));
            out.fill(E::Out::default());
            return;
        };
        let start = region.start.as_slice()[0];
        cursor.merge(start, region.size(), |i, value, index| {
            out[i] = E::out(value, index)
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_2_d_array_is_refused_with_the_way_out() {
        let x = crate::random::random([4, 4], 2);
        let err = x.sort().compute().unwrap_err().to_string();
        assert!(err.contains("1-d") && err.contains("ravel"), "{err}");
    }
}
