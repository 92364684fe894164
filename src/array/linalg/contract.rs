//! The contraction node behind `tensordot`, `matmul`, `dot`, `outer`, `vdot` and `einsum`.
//!
//! Output block `(I, J)` over the free axes of `a` and `b` is `sum_K a(I, K) b(K, J)`:
//! the node's [`BlockCompute`] walks the contracted axes one block `K` at a time (the
//! common refinement of both operands' chunkings there), pulls `a(I, K)` and `b(K, J)`
//! through the operands' evaluators tile by tile into two block buffers, and multiplies
//! them into the output block with faer. A worker thus holds one output block, one block
//! of each operand and one tile, whatever the operands' sizes: that is what
//! `scratch_bytes` counts and what the planner checks against the budget.

use crate::dtype::Element;
use crate::graph::block::{BlockCompute, BlockEval};
use crate::graph::chunks::Chunks;
use crate::graph::eval::EvalContext;
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, Scratch, node_debug, node_meta,
};
use crate::graph::region::{MAX_NDIM, Region, copy_between_boxes};
use crate::kernels::dense::{LinalgFloat, gemm_t, task_par};
use ndarray::{ArrayView, ArrayViewMut, IxDyn};

/// Which axes of each operand are free (kept, in order) and which are contracted
/// (`a_con[i]` pairs with `b_con[i]`).
#[derive(Debug, Clone)]
pub(crate) struct Axes {
    pub a_free: Vec<usize>,
    pub a_con: Vec<usize>,
    pub b_con: Vec<usize>,
    pub b_free: Vec<usize>,
}

/// Chunk lengths that cut at every boundary of both `x` and `y` (same extent).
pub(crate) fn refine(x: &[usize], y: &[usize]) -> Vec<usize> {
    let ends = |c: &[usize]| -> Vec<usize> {
        c.iter()
            .scan(0usize, |acc, &len| {
                *acc += len;
                Some(*acc)
            })
            .collect()
    };
    let mut cuts: Vec<usize> = ends(x);
    cuts.extend(ends(y));
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    let mut prev = 0;
    for c in cuts {
        if c > prev {
            out.push(c - prev);
            prev = c;
        }
    }
    if out.is_empty() {
        out.push(0);
    }
    out
}

/// A contraction of two arrays over paired axes.
pub(crate) struct ContractExpr<T: Element> {
    meta: NodeMeta,
    a: ExprRef<T>,
    b: ExprRef<T>,
    axes: Axes,
    /// Chunk lengths of each contracted pair: both operands' cuts.
    k_chunks: Vec<Vec<usize>>,
}

node_debug!([T: Element] ContractExpr<T>, ", {:?}", axes);

impl<T: LinalgFloat> ContractExpr<T> {
    /// Contracts `a` and `b` over `axes`; the caller checked that paired extents agree.
    pub(crate) fn new(label: &str, a: ExprRef<T>, b: ExprRef<T>, axes: Axes) -> Self {
        let (am, bm) = (a.meta(), b.meta());
        let mut shape = Vec::new();
        let mut chunks = Vec::new();
        for &i in &axes.a_free {
            shape.push(am.shape[i]);
            chunks.push(am.chunks.as_vecs()[i].clone());
        }
        for &j in &axes.b_free {
            shape.push(bm.shape[j]);
            chunks.push(bm.chunks.as_vecs()[j].clone());
        }
        let k_chunks = axes
            .a_con
            .iter()
            .zip(&axes.b_con)
            .map(|(&i, &j)| refine(&am.chunks.as_vecs()[i], &bm.chunks.as_vecs()[j]))
            .collect();
        ContractExpr {
            meta: NodeMeta::new(label, shape, Chunks(chunks), T::DTYPE),
            a,
            b,
            axes,
            k_chunks,
        }
    }

    fn max_k(&self) -> usize {
        self.k_chunks
            .iter()
            .map(|c| c.iter().copied().max().unwrap_or(0))
            .product()
    }
}

fn free_elems(chunks: &Chunks, free: &[usize]) -> usize {
    let size = chunks.chunksize();
    free.iter().map(|&a| size[a]).product()
}

impl<T: LinalgFloat> Node for ContractExpr<T> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![self.a.clone().as_node(), self.b.clone().as_node()]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Elementwise
    }
    fn scratch_bytes(&self, tile_elems: usize) -> u64 {
        let m = free_elems(&self.a.meta().chunks, &self.axes.a_free);
        let n = free_elems(&self.b.meta().chunks, &self.axes.b_free);
        let k = self.max_k();
        // the output block, one block of each operand, and their permuted copies when
        // the operands' axes are not already in (free, contracted) order
        let mut elems = m * n + m * k + k * n + tile_elems;
        if needs_permute(&self.axes.a_free, &self.axes.a_con) {
            elems += m * k;
        }
        if needs_permute(&self.axes.b_con, &self.axes.b_free) {
            elems += k * n;
        }
        (elems * std::mem::size_of::<T>()) as u64
    }
    fn computes_whole_blocks(&self) -> bool {
        true // each output block is one kernel call over whole operand panels
    }
}

/// True unless `first ++ second` is `0, 1, 2, ...`, or the two axes of a matrix
/// swapped (which the kernel reads transposed in place).
fn needs_permute(first: &[usize], second: &[usize]) -> bool {
    !is_identity(first, second) && !is_swap(first, second)
}

fn is_identity(first: &[usize], second: &[usize]) -> bool {
    first.iter().chain(second).enumerate().all(|(i, &a)| i == a)
}

/// A 2-d box whose (first, second) order is (1, 0): stored transposed.
fn is_swap(first: &[usize], second: &[usize]) -> bool {
    first == [1] && second == [0]
}

impl<T: LinalgFloat> Expr<T> for ContractExpr<T> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T>> {
        let compute = ContractCompute {
            a: ctx.build(&self.a),
            b: ctx.build(&self.b),
            a_ndim: self.a.meta().shape.len(),
            b_ndim: self.b.meta().shape.len(),
            axes: self.axes.clone(),
            k_chunks: self.k_chunks.clone(),
            tile_elems: ctx.tile_elems(),
            a_buf: Vec::new(),
            b_buf: Vec::new(),
            perm_buf: Vec::new(),
            tile: Scratch::default(),
        };
        Box::new(BlockEval::new(&self.meta.chunks, compute))
    }
}

struct ContractCompute<T: Element> {
    a: Box<dyn Eval<T>>,
    b: Box<dyn Eval<T>>,
    a_ndim: usize,
    b_ndim: usize,
    axes: Axes,
    k_chunks: Vec<Vec<usize>>,
    tile_elems: usize,
    a_buf: Vec<T>,
    b_buf: Vec<T>,
    perm_buf: Vec<T>,
    tile: Scratch<T>,
}

/// Fills `out` with `region` of `eval`'s values, pulling at most `tile_elems` at a time
/// (so the input's own buffers stay tile-sized).
pub(crate) fn pull<T: Element>(
    eval: &mut dyn Eval<T>,
    region: &Region,
    out: &mut [T],
    tile_elems: usize,
    scratch: &mut Scratch<T>,
) {
    let ndim = region.ndim();
    for tile in region.tiles(tile_elems) {
        // a tile that spans whole trailing extents is one contiguous run of the region
        let lead = (0..ndim).find(|&d| tile.shape[d] != 1).unwrap_or(ndim);
        let contiguous = (lead + 1..ndim).all(|d| tile.shape[d] == region.shape[d]);
        if contiguous {
            let mut offset = 0;
            let mut stride = 1;
            for d in (0..ndim).rev() {
                offset += (tile.start[d] - region.start[d]) * stride;
                stride *= region.shape[d];
            }
            eval.eval(&tile, &mut out[offset..offset + tile.size()]);
        } else {
            let buf = scratch.get(tile.size());
            eval.eval(&tile, buf);
            copy_between_boxes(buf, &tile, out, region, &tile);
        }
    }
}

/// Copies the row-major box `src` of `shape` into `dst` with its axes reordered by `perm`.
fn permute_into<T: Element>(src: &[T], shape: &[usize], perm: &[usize], dst: &mut [T]) {
    let view = ArrayView::from_shape(IxDyn(shape), src)
        .expect("block shape")
        .permuted_axes(IxDyn(perm));
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let mut target = ArrayViewMut::from_shape(IxDyn(&out_shape), dst).expect("block shape");
    target.assign(&view);
}

impl<T: LinalgFloat> ContractCompute<T> {
    /// Pulls one operand box into `buf` (grown as needed), in (first, second) axis order.
    #[allow(clippy::too_many_arguments)]
    fn load(
        eval: &mut dyn Eval<T>,
        ndim: usize,
        first: &[usize],
        second: &[usize],
        starts: &[usize; MAX_NDIM],
        lens: &[usize; MAX_NDIM],
        buf: &mut Vec<T>,
        perm_buf: &mut Vec<T>,
        tile_elems: usize,
        tile: &mut Scratch<T>,
    ) {
        let region = Region::new(&starts[..ndim], &lens[..ndim]);
        let size = region.size();
        if buf.len() < size {
            buf.resize(size, T::default());
        }
        pull(eval, &region, &mut buf[..size], tile_elems, tile);
        if needs_permute(first, second) {
            if perm_buf.len() < size {
                perm_buf.resize(size, T::default());
            }
            let perm: Vec<usize> = first.iter().chain(second).copied().collect();
            permute_into(&buf[..size], &lens[..ndim], &perm, &mut perm_buf[..size]);
            buf[..size].copy_from_slice(&perm_buf[..size]);
        }
    }
}

impl<T: LinalgFloat> BlockCompute<T> for ContractCompute<T> {
    fn compute_block(&mut self, _block: &[usize], region: &Region, out: &mut [T]) {
        let na = self.axes.a_free.len();
        let (mut a_start, mut a_len) = ([0usize; MAX_NDIM], [0usize; MAX_NDIM]);
        let (mut b_start, mut b_len) = ([0usize; MAX_NDIM], [0usize; MAX_NDIM]);
        let mut m = 1;
        for (i, &ax) in self.axes.a_free.iter().enumerate() {
            a_start[ax] = region.start[i];
            a_len[ax] = region.shape[i];
            m *= region.shape[i];
        }
        let mut n = 1;
        for (j, &ax) in self.axes.b_free.iter().enumerate() {
            b_start[ax] = region.start[na + j];
            b_len[ax] = region.shape[na + j];
            n *= region.shape[na + j];
        }
        // odometer over the contracted blocks: (block index, start) per pair
        let pairs = self.k_chunks.len();
        let mut index = vec![0usize; pairs];
        let mut start = vec![0usize; pairs];
        let mut first = true;
        loop {
            let mut k = 1;
            for p in 0..pairs {
                let len = self.k_chunks[p][index[p]];
                a_start[self.axes.a_con[p]] = start[p];
                a_len[self.axes.a_con[p]] = len;
                b_start[self.axes.b_con[p]] = start[p];
                b_len[self.axes.b_con[p]] = len;
                k *= len;
            }
            if k > 0 && m > 0 && n > 0 {
                Self::load(
                    self.a.as_mut(),
                    self.a_ndim,
                    &self.axes.a_free,
                    &self.axes.a_con,
                    &a_start,
                    &a_len,
                    &mut self.a_buf,
                    &mut self.perm_buf,
                    self.tile_elems,
                    &mut self.tile,
                );
                Self::load(
                    self.b.as_mut(),
                    self.b_ndim,
                    &self.axes.b_con,
                    &self.axes.b_free,
                    &b_start,
                    &b_len,
                    &mut self.b_buf,
                    &mut self.perm_buf,
                    self.tile_elems,
                    &mut self.tile,
                );
                let a_t = is_swap(&self.axes.a_free, &self.axes.a_con);
                let b_t = is_swap(&self.axes.b_con, &self.axes.b_free);
                gemm_t(
                    out,
                    (&self.a_buf, a_t),
                    (&self.b_buf, b_t),
                    m,
                    k,
                    n,
                    !first,
                    task_par(),
                );
                first = false;
            }
            // advance, last pair fastest
            let mut p = pairs;
            loop {
                if p == 0 {
                    if first {
                        out.fill(T::default());
                    }
                    return;
                }
                p -= 1;
                start[p] += self.k_chunks[p][index[p]];
                index[p] += 1;
                if index[p] < self.k_chunks[p].len() {
                    break;
                }
                index[p] = 0;
                start[p] = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::refine;

    #[test]
    fn refine_cuts_at_both_boundaries() {
        assert_eq!(refine(&[3, 3, 1], &[2, 5]), vec![2, 1, 3, 1]);
        assert_eq!(refine(&[0], &[0]), vec![0]);
        assert_eq!(refine(&[4], &[4]), vec![4]);
    }
}
