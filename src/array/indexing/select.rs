//! The selection node: each output axis reads one input axis through an [`AxisMap`] or
//! is a new (broadcast) axis; input axes read by no output axis are fixed at one index.
//!
//! Evaluating an output region maps it, axis by axis, to the input indices it reads, then
//! pulls input boxes: one box when the indices are dense enough (gathering from it), else
//! the region is cut along its sparsest axis into runs of consecutive indices. A selection
//! that reads a contiguous box in order (a step-1 slice, `squeeze`, `expand_dims`) pulls
//! straight into the caller's buffer with no copy of its own.

use super::axis_map::AxisMap;
use crate::array::Array;
use crate::array::chunks::Chunks;
use crate::dtype::Element;
use crate::graph::block::{BlockCompute, BlockEval};
use crate::graph::eval::EvalContext;
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, Scratch, node_debug, node_meta,
    reads_whole_blocks,
};
use crate::graph::region::{MAX_NDIM, Region};
use std::sync::Arc;

/// A pulled box may hold at most this many times the elements it serves.
const DENSITY: usize = 8;
/// A box too big for one pull is cut into its runs when it has at most this many.
const FEW_RUNS: usize = 4;
/// A pulled box holds at most this many tiles' worth of elements: one, so that inputs
/// are never asked for more than the tile their own scratch is accounted for.
const CAP_TILES: usize = 1;

/// What one output axis reads.
#[derive(Debug, Clone)]
pub(crate) enum OutAxis {
    /// Input axis `axis` through `map`.
    Mapped {
        /// The input axis.
        axis: usize,
        /// Output index to input index.
        map: AxisMap,
    },
    /// A new axis that repeats the rest (`None` in NumPy, or a broadcast axis).
    New,
}

/// One output axis of a selection being built: what it reads, its extent and its chunks
/// (`None`: derived from the map and the input's chunks).
pub(crate) struct AxisSpec {
    pub axis: OutAxis,
    pub extent: usize,
    pub chunks: Option<Vec<usize>>,
}

impl AxisSpec {
    /// Output axis reading input `axis` through `map`, `extent` long.
    pub(crate) fn mapped(axis: usize, map: AxisMap, extent: usize) -> Self {
        AxisSpec {
            axis: OutAxis::Mapped { axis, map },
            extent,
            chunks: None,
        }
    }
    /// Input `axis` read whole, in order.
    pub(crate) fn whole(axis: usize, extent: usize) -> Self {
        AxisSpec::mapped(axis, AxisMap::Affine { start: 0, step: 1 }, extent)
    }
    /// A new axis of `extent` with `chunks`.
    pub(crate) fn new_axis(extent: usize, chunks: Vec<usize>) -> Self {
        AxisSpec {
            axis: OutAxis::New,
            extent,
            chunks: Some(chunks),
        }
    }
}

/// Builds the selection of `x` whose output axes are `axes`; input axes not read by any
/// of them are fixed at `fixed[axis]`. Returns `x` itself for an identity selection.
pub(crate) fn select<T: Element>(
    x: &Array<T>,
    label: &str,
    fixed: Vec<Option<usize>>,
    axes: Vec<AxisSpec>,
) -> Array<T> {
    let in_shape = x.shape().to_vec();
    let in_chunks = x.chunks().as_vecs();
    let mut mapped_in_order = 0usize;
    let identity = axes.len() == in_shape.len()
        && axes.iter().all(|s| match &s.axis {
            OutAxis::Mapped { axis, map } => {
                let ok = *axis == mapped_in_order && map.is_identity(s.extent, in_shape[*axis]);
                mapped_in_order += 1;
                ok
            }
            OutAxis::New => false,
        });
    if identity {
        return x.clone();
    }
    let shape: Vec<usize> = axes.iter().map(|s| s.extent).collect();
    let mut chunks: Vec<Vec<usize>> = axes
        .iter()
        .map(|s| match (&s.chunks, &s.axis) {
            (Some(c), _) => c.clone(),
            (None, OutAxis::Mapped { axis, map }) => map.out_chunks(s.extent, &in_chunks[*axis]),
            (None, OutAxis::New) => vec![s.extent],
        })
        .collect();
    // an unsorted index list over chunks read whole: gather whole output blocks, reading
    // the rows of each input chunk together (see `grouped`)
    let grouped = axes
        .iter()
        .position(|a| {
            matches!(&a.axis, OutAxis::Mapped { map: AxisMap::List(list), .. } if !list.is_sorted())
        })
        .filter(|_| reads_whole_blocks(&x.expr.clone().as_node()));
    if let Some(k) = grouped
        && axes[k].chunks.is_none()
    {
        let in_block: usize = x.chunks().chunksize().iter().product();
        chunks[k] = widened_list_chunks(&chunks, k, in_block, std::mem::size_of::<T>());
    }
    let meta = NodeMeta::new(label, shape, Chunks(chunks), T::DTYPE);
    let axes: Vec<OutAxis> = axes.into_iter().map(|s| s.axis).collect();
    Array::from_expr(Arc::new(SelectExpr {
        meta,
        input: x.expr.clone(),
        in_shape,
        fixed,
        axes,
        grouped,
    }))
}

/// Output blocks of an unsorted list grow to at most this many input blocks' elements.
const GROUPED_BLOCKS: usize = 4;
/// ... and never past this many bytes (Dask's default `array.chunk-size`).
const GROUPED_MAX_BYTES: usize = 128 << 20;

/// The chunks along the list axis `k` of a gathered (grouped) selection: as few output
/// blocks as fit [`GROUPED_BLOCKS`] input blocks and [`GROUPED_MAX_BYTES`], never fewer
/// rows per block than `chunks[k]` already has.
///
/// Each output block reads every input chunk its rows fall in once, so the number of
/// output blocks along the list axis is how many times an input chunk is read: 5000
/// random rows of 16000 in blocks of 2000 read each chunk three times, in one block once
/// (the same rows sorted read it about 1.3 times, at the block edges).
fn widened_list_chunks(
    chunks: &[Vec<usize>],
    k: usize,
    in_block: usize,
    item: usize,
) -> Vec<usize> {
    let extent: usize = chunks[k].iter().sum();
    let current = chunks[k].iter().copied().max().unwrap_or(1).max(1);
    let others: usize = chunks
        .iter()
        .enumerate()
        .filter(|&(a, _)| a != k)
        .map(|(_, c)| c.iter().copied().max().unwrap_or(1).max(1))
        .product();
    let limit = (GROUPED_BLOCKS.saturating_mul(in_block)).min(GROUPED_MAX_BYTES / item.max(1));
    let rows = (limit / others.max(1)).max(current);
    if extent == 0 || rows >= extent {
        return vec![extent];
    }
    let mut out = vec![rows; extent / rows];
    if !extent.is_multiple_of(rows) {
        out.push(extent % rows);
    }
    out
}

struct SelectExpr<T: Element> {
    meta: NodeMeta,
    input: ExprRef<T>,
    in_shape: Vec<usize>,
    fixed: Vec<Option<usize>>,
    axes: Vec<OutAxis>,
    /// The output axis of an unsorted index list whose input is read in whole blocks:
    /// output blocks are then gathered whole, grouped by input chunk.
    grouped: Option<usize>,
}

node_debug!([T: Element] SelectExpr<T>);

impl<T: Element> Node for SelectExpr<T> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![self.input.clone().as_node()]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Layout
    }
    fn scratch_bytes(&self, tile_elems: usize) -> u64 {
        // the pulled box, plus the per-axis index and offset tables of one tile
        let ndim = self.axes.len() as u64;
        let tile = (CAP_TILES * tile_elems * std::mem::size_of::<T>()) as u64
            + 2 * ndim * (tile_elems as u64) * 8;
        match self.grouped {
            None => tile,
            Some(_) => {
                // the output block gathered, and its index and offset tables
                let block: u64 = self.meta.chunks.chunksize().iter().product::<usize>() as u64;
                let lists: u64 = self.meta.chunks.chunksize().iter().sum::<usize>() as u64;
                tile + block * std::mem::size_of::<T>() as u64 + 2 * lists * 8
            }
        }
    }
    fn computes_whole_blocks(&self) -> bool {
        self.grouped.is_some()
    }
}

impl<T: Element> Expr<T> for SelectExpr<T> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T>> {
        let eval = SelectEval {
            input: ctx.build(&self.input),
            in_shape: self.in_shape.clone(),
            fixed: self.fixed.clone(),
            axes: self.axes.clone(),
            cap: CAP_TILES * ctx.tile_elems(),
            max_pull: usize::MAX,
            idx: vec![Vec::new(); self.axes.len()],
            offs: vec![Vec::new(); self.axes.len()],
            scratch: Scratch::default(),
        };
        match self.grouped {
            None => Box::new(eval),
            Some(axis) => Box::new(BlockEval::new(
                &self.meta.chunks,
                Grouped {
                    eval: SelectEval {
                        max_pull: eval.cap,
                        ..eval
                    },
                    axis,
                },
            )),
        }
    }
}

/// Gathers whole output blocks of a selection with an unsorted index list on output axis
/// `axis`, over an input read in whole blocks (a stored array).
///
/// Served a tile at a time, an unsorted list pulls its rows in output order, so each row
/// can need a different input chunk than the last, and the input reads (and decodes) a
/// whole chunk for every row: 5000 random rows of a 16000 x 16000 array in 2000 x 2000
/// chunks read 40,000 chunks. Gathering the output block whole, the rows are pulled
/// sorted by input index (runs of consecutive indices kept together), so each input chunk
/// the block needs is read once, and each row lands at its own output position.
struct Grouped<T: Element> {
    eval: SelectEval<T>,
    axis: usize,
}

impl<T: Element> BlockCompute<T> for Grouped<T> {
    fn compute_block(&mut self, _block: &[usize], region: &Region, out: &mut [T]) {
        if region.size() == 0 {
            return;
        }
        self.eval.fill_indices(region);
        let k = self.axis;
        let nd = self.eval.axes.len();
        let mut whole = Piece {
            lo: [0; MAX_NDIM],
            hi: [0; MAX_NDIM],
        };
        whole.hi[..nd].copy_from_slice(region.shape.as_slice());
        let mut runs = self.eval.runs(k, &whole);
        let idx = &self.eval.idx[k];
        runs.sort_by_key(|&(start, end)| idx[start].min(idx[end - 1]));
        for (start, end) in runs {
            let mut piece = whole;
            piece.lo[k] = start;
            piece.hi[k] = end;
            self.eval.process(region, piece, out);
        }
    }
}

struct SelectEval<T> {
    input: Box<dyn Eval<T>>,
    in_shape: Vec<usize>,
    fixed: Vec<Option<usize>>,
    axes: Vec<OutAxis>,
    cap: usize,
    /// The largest box pulled for a piece of more elements than `cap` (unbounded when
    /// regions are tiles; `cap` when whole blocks are gathered).
    max_pull: usize,
    /// Input index per output position of the region, per output axis (empty for new axes).
    idx: Vec<Vec<usize>>,
    /// Gather offsets into the pulled box, per output axis.
    offs: Vec<Vec<usize>>,
    scratch: Scratch<T>,
}

/// A sub-box of the requested region, in region-local coordinates per output axis.
#[derive(Clone, Copy)]
struct Piece {
    lo: [usize; MAX_NDIM],
    hi: [usize; MAX_NDIM],
}

impl<T: Element> Eval<T> for SelectEval<T> {
    fn eval(&mut self, region: &Region, out: &mut [T]) {
        let nd = self.axes.len();
        if region.size() == 0 {
            return;
        }
        self.fill_indices(region);
        let mut piece = Piece {
            lo: [0; MAX_NDIM],
            hi: [0; MAX_NDIM],
        };
        piece.hi[..nd].copy_from_slice(region.shape.as_slice());
        self.process(region, piece, out);
    }
}

impl<T: Element> SelectEval<T> {
    /// Fills the input index of every output position of `region`, per output axis.
    fn fill_indices(&mut self, region: &Region) {
        for (k, axis) in self.axes.iter().enumerate() {
            let list = &mut self.idx[k];
            list.clear();
            if let OutAxis::Mapped { map, .. } = axis {
                let s = region.start[k];
                list.extend((s..s + region.shape[k]).map(|i| map.get(i)));
            }
        }
    }

    /// Pulls one piece: as one box when dense, else split and recurse.
    fn process(&mut self, region: &Region, piece: Piece, out: &mut [T]) {
        let nd = self.axes.len();
        let in_nd = self.in_shape.len();
        // bounding box of the inputs the piece reads
        let mut lo = [0usize; MAX_NDIM];
        let mut span = [1usize; MAX_NDIM];
        for (a, f) in self.fixed.iter().enumerate() {
            if let Some(f) = f {
                lo[a] = *f;
            }
        }
        let mut n = 1usize;
        for k in 0..nd {
            n *= piece.hi[k] - piece.lo[k];
            if let OutAxis::Mapped { axis, .. } = &self.axes[k] {
                let part = &self.idx[k][piece.lo[k]..piece.hi[k]];
                let (mn, mx) = part
                    .iter()
                    .fold((usize::MAX, 0), |(a, b), &v| (a.min(v), b.max(v)));
                lo[*axis] = mn;
                span[*axis] = mx - mn + 1;
            }
        }
        if n == 0 {
            return;
        }
        let b: usize = span[..in_nd].iter().product();
        let sparse = b > DENSITY * n;
        if !sparse && b <= self.cap.max(n.min(self.max_pull)) {
            self.pull_dense(region, &piece, &lo[..in_nd], &span[..in_nd], b, n, out);
            return;
        }
        // cut the sparsest axis into runs of consecutive indices when the box is sparse,
        // or when the runs are few (a list of a few runs, a roll)
        let mut worst: Option<(usize, f64)> = None;
        for k in 0..nd {
            let len = piece.hi[k] - piece.lo[k];
            if let OutAxis::Mapped { axis, .. } = &self.axes[k]
                && len > 1
            {
                let ratio = span[*axis] as f64 / len as f64;
                if ratio > 1.0 && worst.is_none_or(|(_, r)| ratio > r) {
                    worst = Some((k, ratio));
                }
            }
        }
        if let Some((k, _)) = worst {
            let runs = self.runs(k, &piece);
            if sparse || runs.len() <= FEW_RUNS {
                for (start, end) in runs {
                    let mut sub = piece;
                    sub.lo[k] = start;
                    sub.hi[k] = end;
                    self.process(region, sub, out);
                }
                return;
            }
        }
        // dense but more than a tile: halve the outermost axis longer than 1
        let k = (0..nd)
            .find(|&k| piece.hi[k] - piece.lo[k] > 1)
            .expect("a piece of more than one element has an axis longer than 1");
        let mid = piece.lo[k] + (piece.hi[k] - piece.lo[k]) / 2;
        let (mut a, mut b2) = (piece, piece);
        a.hi[k] = mid;
        b2.lo[k] = mid;
        self.process(region, a, out);
        self.process(region, b2, out);
    }

    /// The maximal runs of consecutive input indices (ascending or descending) along
    /// output axis `k` of the piece, as `(start, end)` output positions.
    fn runs(&self, k: usize, piece: &Piece) -> Vec<(usize, usize)> {
        let idx = &self.idx[k];
        let mut out = Vec::new();
        let mut start = piece.lo[k];
        while start < piece.hi[k] {
            let mut end = start + 1;
            let up = end < piece.hi[k] && idx[end] == idx[start] + 1;
            while end < piece.hi[k] {
                let (prev, next) = (idx[end - 1], idx[end]);
                let step_ok = if up {
                    next == prev + 1
                } else {
                    prev > 0 && next == prev - 1
                };
                if !step_ok {
                    break;
                }
                end += 1;
            }
            out.push((start, end));
            start = end;
        }
        out
    }

    /// Pulls the bounding box `lo + span` (of `b` elements) and gathers the piece's `n`
    /// elements into `out`; pulls straight into `out` when the piece is the whole region
    /// and reads the box in order.
    #[allow(clippy::too_many_arguments)]
    fn pull_dense(
        &mut self,
        region: &Region,
        piece: &Piece,
        lo: &[usize],
        span: &[usize],
        b: usize,
        n: usize,
        out: &mut [T],
    ) {
        let nd = self.axes.len();
        let in_region = Region::new(lo, span);
        if b == n && n == region.size() && self.in_order(piece) {
            self.input.eval(&in_region, out);
            return;
        }
        // strides of the box and of the region
        let in_nd = span.len();
        let mut istride = [0usize; MAX_NDIM];
        let mut acc = 1;
        for a in (0..in_nd).rev() {
            istride[a] = acc;
            acc *= span[a];
        }
        let mut ostride = [0usize; MAX_NDIM];
        let mut acc = 1;
        for k in (0..nd).rev() {
            ostride[k] = acc;
            acc *= region.shape[k];
        }
        for k in 0..nd {
            let offs = &mut self.offs[k];
            offs.clear();
            match &self.axes[k] {
                OutAxis::Mapped { axis, .. } => offs.extend(
                    self.idx[k][piece.lo[k]..piece.hi[k]]
                        .iter()
                        .map(|&v| (v - lo[*axis]) * istride[*axis]),
                ),
                OutAxis::New => offs.resize(piece.hi[k] - piece.lo[k], 0),
            }
        }
        let buf = self.scratch.get(b);
        self.input.eval(&in_region, buf);
        if nd == 0 {
            out[0] = buf[0];
            return;
        }
        let last = nd - 1;
        let inner = &self.offs[last];
        let contiguous = inner.windows(2).all(|w| w[1] == w[0] + 1);
        let inner_len = inner.len();
        let mut index = [0usize; MAX_NDIM];
        loop {
            let mut src = 0;
            let mut dst = piece.lo[last];
            for k in 0..last {
                src += self.offs[k][index[k]];
                dst += (piece.lo[k] + index[k]) * ostride[k];
            }
            let target = &mut out[dst..dst + inner_len];
            if contiguous {
                let s = src + inner[0];
                target.copy_from_slice(&buf[s..s + inner_len]);
            } else {
                for (t, &o) in target.iter_mut().zip(inner) {
                    *t = buf[src + o];
                }
            }
            // odometer over the outer output axes
            let mut k = last;
            loop {
                if k == 0 {
                    return;
                }
                k -= 1;
                index[k] += 1;
                if index[k] < piece.hi[k] - piece.lo[k] {
                    break;
                }
                index[k] = 0;
            }
        }
    }

    /// True when the piece reads its box in row-major order: mapped axes in input order,
    /// each an ascending run.
    fn in_order(&self, piece: &Piece) -> bool {
        let mut last_axis = None;
        for (k, axis) in self.axes.iter().enumerate() {
            match axis {
                OutAxis::Mapped { axis, .. } => {
                    if last_axis.is_some_and(|l| l >= *axis) {
                        return false;
                    }
                    last_axis = Some(*axis);
                    let part = &self.idx[k][piece.lo[k]..piece.hi[k]];
                    if !part.windows(2).all(|w| w[1] == w[0] + 1) {
                        return false;
                    }
                }
                OutAxis::New => {
                    if piece.hi[k] - piece.lo[k] > 1 {
                        return false;
                    }
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A source of `row * 1000 + col` values that counts the regions it is asked for.
    struct Counting {
        meta: NodeMeta,
        pulls: Arc<AtomicUsize>,
    }

    impl std::fmt::Debug for Counting {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "Counting")
        }
    }

    impl Node for Counting {
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

    impl Expr<i64> for Counting {
        fn evaluator(&self, _ctx: &EvalContext) -> Box<dyn Eval<i64>> {
            Box::new(CountingEval(self.pulls.clone()))
        }
    }

    struct CountingEval(Arc<AtomicUsize>);

    impl Eval<i64> for CountingEval {
        fn eval(&mut self, region: &Region, out: &mut [i64]) {
            self.0.fetch_add(1, Ordering::Relaxed);
            let (r0, c0) = (region.start[0], region.start[1]);
            let cols = region.shape[1];
            for (k, v) in out.iter_mut().enumerate() {
                *v = ((r0 + k / cols) * 1000 + c0 + k % cols) as i64;
            }
        }
    }

    /// Evaluates `f(x)` over its whole index space in tiles of `tile` elements; returns
    /// the values and how many regions the source was asked for.
    fn pulls(f: impl Fn(&Array<i64>) -> Array<i64>, tile: usize) -> (Vec<i64>, usize) {
        let count = Arc::new(AtomicUsize::new(0));
        let meta = NodeMeta::new(
            "counting",
            vec![100, 1000],
            Chunks(vec![vec![100], vec![1000]]),
            i64::DTYPE,
        );
        let x = Array::from_expr(Arc::new(Counting {
            meta,
            pulls: count.clone(),
        }));
        let y = f(&x);
        let ctx = EvalContext::new(tile);
        let mut eval = ctx.build(&y.expr);
        let full = Region::full(y.shape());
        let mut values = vec![0; full.size()];
        let mut at = 0;
        for t in full.tiles(tile) {
            eval.eval(&t, &mut values[at..at + t.size()]);
            at += t.size();
        }
        (values, count.load(Ordering::Relaxed))
    }

    #[test]
    fn contiguous_slices_pull_one_region_per_tile() {
        let (v, n) = pulls(|x| x.index(s![10..20, 100..600]), 500);
        assert_eq!(n, 10); // one row of 500 per tile, straight into the output
        assert_eq!((v[0], v[4999]), (10_100, 19_599));
    }

    #[test]
    fn strided_and_reversed_selections_pull_boxes_not_elements() {
        // every second column: one box of 2x the tile, at most 2 per tile
        let (v, n) = pulls(|x| x.index(s![.., ..;2]), 500);
        assert!(n <= 2 * 100, "{n} pulls");
        assert_eq!((v[0], v[1], v[499]), (0, 2, 998));
        // reversed columns: one box per tile
        let (v, n) = pulls(|x| x.index(s![.., ..;-1]), 1000);
        assert_eq!(n, 100);
        assert_eq!((v[0], v[999]), (999, 0));
        // an index list of runs: one box or one run at a time, never one element
        let list: Vec<isize> = (0..300).chain(700..900).collect();
        let (v, n) = pulls(|x| x.take(&list, 1), 500);
        assert!(n <= 2 * 100, "{n} pulls");
        assert_eq!((v[299], v[300]), (299, 700));
        // a sparse stride (every 50th column) pulls columns of rows, not single elements
        let (_, n) = pulls(|x| x.index(s![.., ..;50]), 2000);
        assert!(n <= 20, "{n} pulls");
    }
}
