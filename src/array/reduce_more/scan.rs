//! `cumsum` and `cumprod` along an axis: blocked scans.
//!
//! A staged fold first computes each chunk's total along the axis (one small array with
//! the axis cut to one entry per chunk). The output is then computed block by block: a
//! block scans its own values along the axis starting from the combined totals of the
//! chunks before it. Everything is sequential in index order inside a chunk and across
//! chunk totals, so integer results are exact (wrapping like NumPy) and the same for
//! every chunking; float results associate at chunk boundaries
//! (`(t0 + t1) + (x_k0 + x_k1 ...)` rather than NumPy's one running sum), so they differ
//! from a serial scan by rounding only, and are identical between runs of one chunking.

use super::fold::{FoldExpr, Folder};
use crate::array::{Array, normalize_axis};
use crate::dtype::{Element, Numeric};
use crate::graph::block::{BlockCompute, BlockEval};
use crate::graph::chunks::{BlockGrid, Chunks};
use crate::graph::eval::EvalContext;
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, node_debug, node_meta,
};
use crate::graph::region::Region;
use ndarray::{ArrayD, ArrayView, ArrayViewMut, Axis, IxDyn, Slice, Zip};
use std::sync::Arc;

#[derive(Clone, Copy, Debug)]
enum ScanOp {
    Sum,
    Prod,
}

impl ScanOp {
    fn identity<S: Numeric>(self) -> S {
        match self {
            ScanOp::Sum => S::ZERO,
            ScanOp::Prod => S::ONE,
        }
    }
    fn apply<S: Numeric>(self, a: S, b: S) -> S {
        match self {
            ScanOp::Sum => S::add(a, b),
            ScanOp::Prod => S::mul(a, b),
        }
    }
}

/// The shape of `region` with `axis` cut to one entry.
fn lanes_shape(region: &Region, axis: usize) -> Vec<usize> {
    let mut s = region.shape.as_slice().to_vec();
    s[axis] = 1;
    s
}

/// Each chunk's total along the axis.
struct Totals {
    axis: usize,
    op: ScanOp,
    out_shape: Vec<usize>,
    grid: BlockGrid,
    max_lanes: usize,
}

impl<T: Element> Folder<T> for Totals {
    type State = (Region, Vec<T::Sum>);
    type Total = ArrayD<T::Sum>;
    type Out = T::Sum;
    fn label(&self) -> &'static str {
        "scan_totals"
    }
    fn out_shape(&self) -> Vec<usize> {
        self.out_shape.clone()
    }
    fn state_bytes(&self) -> u64 {
        (self.max_lanes * std::mem::size_of::<T::Sum>()) as u64
    }
    fn total_bytes(&self) -> u64 {
        2 * (self.out_shape.iter().product::<usize>() * std::mem::size_of::<T::Sum>()) as u64
    }
    fn start(&self, block: &Region) -> Self::State {
        let lanes: usize = lanes_shape(block, self.axis).iter().product();
        (*block, vec![self.op.identity(); lanes])
    }
    fn fold(&self, state: &mut Self::State, data: &[T], tile: &Region) {
        let (block, accs) = state;
        let axis = self.axis;
        let mut accs =
            ArrayViewMut::from_shape(IxDyn(&lanes_shape(block, axis)), accs).expect("state shape");
        accs.slice_each_axis_inplace(|d| {
            let a = d.axis.index();
            if a == axis {
                Slice::from(0..1)
            } else {
                let lo = tile.start[a] - block.start[a];
                Slice::from(lo..lo + tile.shape[a])
            }
        });
        let accs = accs.index_axis_move(Axis(axis), 0);
        let values = ArrayView::from_shape(IxDyn(tile.shape.as_slice()), data).expect("tile");
        let op = self.op;
        Zip::from(accs)
            .and(values.lanes(Axis(axis)))
            .for_each(|acc, lane| {
                for &x in lane {
                    *acc = op.apply(*acc, x.cast::<T::Sum>());
                }
            });
    }
    fn total(&self) -> ArrayD<T::Sum> {
        ArrayD::from_elem(IxDyn(&self.out_shape), self.op.identity())
    }
    fn absorb(&self, total: &mut ArrayD<T::Sum>, (block, accs): Self::State) {
        let axis = self.axis;
        let offsets = self.grid_offsets();
        let b = offsets
            .partition_point(|&o| o <= block.start[axis])
            .saturating_sub(1);
        let shape = lanes_shape(&block, axis);
        if shape.iter().product::<usize>() == 0 {
            return;
        }
        let src = ArrayView::from_shape(IxDyn(&shape), &accs).expect("state shape");
        let mut dst = total.view_mut();
        dst.slice_each_axis_inplace(|d| {
            let a = d.axis.index();
            if a == axis {
                Slice::from(b..b + 1)
            } else {
                Slice::from(block.start[a]..block.start[a] + block.shape[a])
            }
        });
        dst.assign(&src);
    }
    fn finish(&self, total: ArrayD<T::Sum>) -> ArrayD<T::Sum> {
        total
    }
}

impl Totals {
    fn grid_offsets(&self) -> Vec<usize> {
        (0..self.grid.numblocks()[self.axis])
            .map(|b| self.grid.span(self.axis, b).0)
            .collect()
    }
}

/// The scan node: its inputs are the scanned array and the staged chunk totals.
struct ScanExpr<T: Element> {
    meta: NodeMeta,
    input: ExprRef<T>,
    /// The chunk totals; `None` when the axis is one chunk (nothing to carry).
    totals: Option<ExprRef<T::Sum>>,
    axis: usize,
    op: ScanOp,
}

node_debug!([T: Element] ScanExpr<T>, ", axis {}", axis);

impl<T: Element> Node for ScanExpr<T> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        let mut inputs = vec![self.input.clone().as_node()];
        inputs.extend(self.totals.iter().map(|t| t.clone().as_node()));
        inputs
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Layout
    }
    fn scratch_bytes(&self, _tile_elems: usize) -> u64 {
        // the held output block, its input values and the carries
        let block: usize = self.meta.chunks.chunksize().iter().product();
        (block * (2 * std::mem::size_of::<T::Sum>() + std::mem::size_of::<T>())) as u64
    }
}

impl<T: Element> Expr<T::Sum> for ScanExpr<T> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T::Sum>> {
        Box::new(BlockEval::new(
            &self.meta.chunks,
            ScanBlocks::<T> {
                input: ctx.build(&self.input),
                totals: self.totals.as_ref().map(|t| ctx.build(t)),
                axis: self.axis,
                op: self.op,
                values: Vec::new(),
                carries: Vec::new(),
            },
        ))
    }
}

struct ScanBlocks<T: Element> {
    input: Box<dyn Eval<T>>,
    totals: Option<Box<dyn Eval<T::Sum>>>,
    axis: usize,
    op: ScanOp,
    values: Vec<T>,
    carries: Vec<T::Sum>,
}

impl<T: Element> BlockCompute<T::Sum> for ScanBlocks<T> {
    fn compute_block(&mut self, block: &[usize], region: &Region, out: &mut [T::Sum]) {
        let (axis, op) = (self.axis, self.op);
        let n = region.size();
        if n == 0 {
            return;
        }
        self.values.resize(n, T::default());
        self.input.eval(region, &mut self.values);
        // the carry of each lane: the totals of the chunks before this one, in order
        let lanes = lanes_shape(region, axis);
        let mut carry = ArrayD::from_elem(IxDyn(&lanes), op.identity::<T::Sum>());
        let before = block[axis];
        if let (true, Some(totals)) = (before > 0, self.totals.as_mut()) {
            let mut t = *region;
            t.start[axis] = 0;
            t.shape[axis] = before;
            self.carries.resize(t.size(), T::Sum::default());
            totals.eval(&t, &mut self.carries);
            let totals = ArrayView::from_shape(IxDyn(t.shape.as_slice()), &self.carries[..])
                .expect("totals region");
            Zip::from(carry.view_mut().index_axis_move(Axis(axis), 0))
                .and(totals.lanes(Axis(axis)))
                .for_each(|c, lane| {
                    for &x in lane {
                        *c = op.apply(*c, x);
                    }
                });
        }
        let values =
            ArrayView::from_shape(IxDyn(region.shape.as_slice()), &self.values[..]).expect("block");
        let mut out = ArrayViewMut::from_shape(IxDyn(region.shape.as_slice()), out).expect("block");
        Zip::from(out.lanes_mut(Axis(axis)))
            .and(values.lanes(Axis(axis)))
            .and(carry.view().index_axis_move(Axis(axis), 0))
            .for_each(|mut o, v, &c| {
                let mut acc = c;
                for (o, &x) in o.iter_mut().zip(v) {
                    acc = op.apply(acc, x.cast::<T::Sum>());
                    *o = acc;
                }
            });
    }
}

impl<T: Element> Array<T> {
    fn scan(&self, axis: isize, op: ScanOp, label: &str) -> Array<T::Sum> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        let axis = match normalize_axis(axis, self.ndim()) {
            Ok(a) => a,
            Err(e) => return Array::invalid(e),
        };
        let chunks = self.chunks().clone();
        let grid = BlockGrid::new(&chunks);
        let mut out_shape = self.shape().to_vec();
        out_shape[axis] = grid.numblocks()[axis];
        let max_lanes: usize = chunks
            .chunksize()
            .iter()
            .enumerate()
            .map(|(a, &c)| if a == axis { 1 } else { c })
            .product();
        let totals = Totals {
            axis,
            op,
            out_shape,
            grid,
            max_lanes,
        };
        let single_chunk = totals.grid.numblocks()[axis] <= 1;
        let totals: Option<ExprRef<T::Sum>> = (!single_chunk)
            .then(|| Arc::new(FoldExpr::new(self.expr.clone(), totals)) as ExprRef<T::Sum>);
        let meta = NodeMeta::new(
            label,
            self.shape().to_vec(),
            Chunks(chunks.as_vecs().to_vec()),
            <T::Sum as Element>::DTYPE,
        );
        Array::from_expr(Arc::new(ScanExpr {
            meta,
            input: self.expr.clone(),
            totals,
            axis,
            op,
        }))
    }

    /// Running sum along `axis`, in NumPy's sum dtype, as `np.cumsum(x, axis)` (integers
    /// wrap). Float results may differ from a serial running sum by rounding at chunk
    /// boundaries (see the module docs).
    ///
    /// ```
    /// let x = spillway::from_ndarray(ndarray::array![[1i64, 2, 3], [4, 5, 6]], 1);
    /// let c = x.cumsum(1).compute().unwrap();
    /// assert_eq!(c, ndarray::array![[1i64, 3, 6], [4, 9, 15]].into_dyn());
    /// assert_eq!(x.cumsum(0).compute_vec().unwrap(), vec![1, 2, 3, 5, 7, 9]);
    /// ```
    pub fn cumsum(&self, axis: isize) -> Array<T::Sum> {
        self.scan(axis, ScanOp::Sum, "cumsum")
    }

    /// Running product along `axis`, as `np.cumprod(x, axis)`.
    ///
    /// ```
    /// let x = spillway::arange(1i64, 6, 1, 2);
    /// assert_eq!(x.cumprod(0).compute_vec().unwrap(), vec![1, 2, 6, 24, 120]);
    /// ```
    pub fn cumprod(&self, axis: isize) -> Array<T::Sum> {
        self.scan(axis, ScanOp::Prod, "cumprod")
    }
}
