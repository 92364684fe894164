//! `map_overlap`: a function applied to each chunk extended by a halo of `depth`
//! elements per axis taken from its neighbours, then trimmed back to the chunk (Dask's
//! `map_overlap`, for stencils). At the array's edges the halo follows `boundary`.

use super::blockwise::{BlockInfo, check_block_shape};
use crate::array::{Array, ArrayError};
use crate::dtype::Element;
use crate::graph::block::{BlockCompute, BlockEval};
use crate::graph::eval::EvalContext;
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, node_debug, node_meta,
};
use crate::graph::region::Region;
use ndarray::{ArrayD, ArrayViewD, IxDyn, Slice};
use std::sync::Arc;

/// What the halo holds beyond the array's edges.
///
/// ```
/// use spillway::array::user::overlap::Boundary;
/// // a one-element halo, seen through the first element of each extended block
/// let x = spillway::arange(1i64, 5, 1, 2);
/// let first = |b: Boundary<i64>| {
///     x.map_overlap(&[1], b, |ext| ext.mapv(|_| ext[0])).compute_vec().unwrap()[0]
/// };
/// assert_eq!(first(Boundary::Reflect), 1);
/// assert_eq!(first(Boundary::Periodic), 4);
/// assert_eq!(first(Boundary::Constant(-9)), -9);
/// assert_eq!(first(Boundary::None), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Boundary<T> {
    /// No halo at the edges: edge chunks are extended on their inner sides only.
    None,
    /// Mirror image including the edge element (`[a, b, c]` → `b a | a b c | c b`),
    /// Dask's `reflect`.
    Reflect,
    /// The edge element repeated.
    Nearest,
    /// Values from the other end of the axis.
    Periodic,
    /// A constant.
    Constant(T),
}

/// For each extended position on one axis: the source index in the array, or `None`
/// for a constant.
fn axis_sources<T>(
    start: usize,
    len: usize,
    depth: usize,
    n: usize,
    boundary: &Boundary<T>,
) -> Vec<Option<usize>> {
    let lo = start as isize - depth as isize;
    let hi = (start + len + depth) as isize;
    let n_i = n as isize;
    if n == 0 {
        return Vec::new();
    }
    (lo..hi)
        .filter_map(|i| {
            if (0..n_i).contains(&i) {
                return Some(Some(i as usize));
            }
            match boundary {
                Boundary::None => None,
                Boundary::Constant(_) => Some(None),
                Boundary::Nearest => Some(Some(if i < 0 { 0 } else { n - 1 })),
                Boundary::Periodic => Some(Some(i.rem_euclid(n_i) as usize)),
                Boundary::Reflect => Some(Some(if i < 0 {
                    (-i - 1) as usize
                } else {
                    (2 * n_i - i - 1) as usize
                })),
            }
        })
        .collect()
}

/// The function `map_overlap` applies to each extended block.
type StencilFn<T> = dyn Fn(ArrayViewD<'_, T>) -> ArrayD<T> + Send + Sync;

struct OverlapExpr<T: Element> {
    meta: NodeMeta,
    input: ExprRef<T>,
    depth: Vec<usize>,
    boundary: Boundary<T>,
    f: Arc<StencilFn<T>>,
}

node_debug!([T: Element] OverlapExpr<T>, ", depth {:?}", depth);

impl<T: Element> Node for OverlapExpr<T> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![self.input.clone().as_node()]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Layout
    }
    fn scratch_bytes(&self, _tile_elems: usize) -> u64 {
        let extended: usize = self
            .meta
            .chunks
            .chunksize()
            .iter()
            .zip(&self.depth)
            .map(|(c, d)| c + 2 * d)
            .product();
        let block: usize = self.meta.chunks.chunksize().iter().product();
        // the extended block, the function's result and one temporary of the same size
        // (a stencil's `&a * 2.0` before `+ ..`), and the held block. The input values
        // pulled for a block at the array's edge (at most an extended block) are freed
        // before the function runs, so they fit in the result's and temporary's room.
        (3 * extended + block) as u64 * std::mem::size_of::<T>() as u64
    }
}

impl<T: Element> Expr<T> for OverlapExpr<T> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T>> {
        Box::new(BlockEval::new(
            &self.meta.chunks,
            OverlapCompute {
                input: ctx.build(&self.input),
                shape: self.meta.shape.clone(),
                depth: self.depth.clone(),
                boundary: self.boundary,
                f: self.f.clone(),
                extended: Vec::new(),
            },
        ))
    }
}

struct OverlapCompute<T: Element> {
    input: Box<dyn Eval<T>>,
    shape: Vec<usize>,
    depth: Vec<usize>,
    boundary: Boundary<T>,
    f: Arc<StencilFn<T>>,
    /// The extended block, reused from block to block.
    extended: Vec<T>,
}

impl<T: Element> BlockCompute<T> for OverlapCompute<T> {
    fn compute_block(&mut self, block: &[usize], region: &Region, out: &mut [T]) {
        let ndim = region.ndim();
        let sources: Vec<Vec<Option<usize>>> = (0..ndim)
            .map(|a| {
                axis_sources(
                    region.start[a],
                    region.shape[a],
                    self.depth[a],
                    self.shape[a],
                    &self.boundary,
                )
            })
            .collect();
        // the input box the halo reads from (inside the array)
        let mut pulled = *region;
        for (a, s) in sources.iter().enumerate() {
            let lo = s.iter().flatten().min().copied().unwrap_or(0);
            let hi = s.iter().flatten().max().map_or(0, |m| m + 1);
            pulled.start[a] = lo;
            pulled.shape[a] = hi - lo;
        }
        let ext_shape: Vec<usize> = sources.iter().map(Vec::len).collect();
        let ext_len: usize = ext_shape.iter().product();
        self.extended.clear();
        self.extended.resize(ext_len, T::default());
        // a block away from the edges extends into its neighbours only: the extended
        // block is the pulled box itself, evaluated in place
        let in_place = sources.iter().enumerate().all(|(a, s)| {
            s.iter()
                .enumerate()
                .all(|(j, &i)| i == Some(pulled.start[a] + j))
        });
        if in_place {
            self.input.eval(&pulled, &mut self.extended);
        } else {
            // the pulled values live only while the halo is gathered from them, so the
            // function runs with the extended block alone
            let mut values = vec![T::default(); pulled.size()];
            self.input.eval(&pulled, &mut values);
            let fill = match self.boundary {
                Boundary::Constant(c) => c,
                _ => T::default(),
            };
            gather(&values, &pulled, &sources, fill, &mut self.extended);
        }
        let extended = ArrayViewD::from_shape(IxDyn(&ext_shape), &self.extended[..])
            .expect("the extended block has its shape's length");
        let result = (self.f)(extended);
        let info = BlockInfo {
            block_id: block.to_vec(),
            input_start: region.start.as_slice().to_vec(),
            output_start: region.start.as_slice().to_vec(),
            output_shape: ext_shape.clone(),
        };
        check_block_shape("map_overlap", &info, result.shape());
        // trim the halo actually added on each side
        let mut trimmed = result.view();
        trimmed.slice_each_axis_inplace(|d| {
            let a = d.axis.index();
            let added_lo = match self.boundary {
                Boundary::None => self.depth[a].min(region.start[a]),
                _ => self.depth[a],
            };
            Slice::from(added_lo..added_lo + region.shape[a])
        });
        for (o, v) in out.iter_mut().zip(trimmed.iter()) {
            *o = *v;
        }
    }
}

/// Fills `out` (the extended block, row-major) from `values` (the pulled box `pulled`,
/// row-major): position `j` on axis `a` takes source index `sources[a][j]`, or `fill`
/// where that is `None`.
fn gather<T: Element>(
    values: &[T],
    pulled: &Region,
    sources: &[Vec<Option<usize>>],
    fill: T,
    out: &mut [T],
) {
    let ndim = sources.len();
    // per axis, the offset into `values` of each extended position
    let mut stride = 1usize;
    let mut offsets: Vec<Vec<Option<usize>>> = vec![Vec::new(); ndim];
    for a in (0..ndim).rev() {
        offsets[a] = sources[a]
            .iter()
            .map(|s| s.map(|i| (i - pulled.start[a]) * stride))
            .collect();
        stride *= pulled.shape[a];
    }
    if ndim == 0 {
        if let (Some(o), Some(v)) = (out.first_mut(), values.first()) {
            *o = *v;
        }
        return;
    }
    let last = &offsets[ndim - 1];
    let mut index = vec![0usize; ndim - 1];
    for row in out.chunks_mut(last.len().max(1)) {
        // the offset of this row's outer positions, or none when one of them is a constant
        let base = index
            .iter()
            .enumerate()
            .try_fold(0usize, |sum, (a, &j)| offsets[a][j].map(|o| sum + o));
        for (o, off) in row.iter_mut().zip(last) {
            *o = match (base, off) {
                (Some(b), Some(off)) => values[b + off],
                _ => fill,
            };
        }
        for a in (0..ndim - 1).rev() {
            index[a] += 1;
            if index[a] < offsets[a].len() {
                break;
            }
            index[a] = 0;
        }
    }
}

impl<T: Element> Array<T> {
    /// Applies `f` to every chunk extended by `depth[axis]` elements on both sides of each
    /// axis (taken from neighbouring chunks, or from `boundary` at the array's edges) and
    /// trims the result back to the chunk, as Dask's `map_overlap`: stencils such as
    /// moving averages and finite differences see across chunk edges. `f` must return a
    /// block of the shape it was given. Each depth must be at most every chunk on its axis
    /// but the last (which may be shorter) and at most the axis's extent (rechunk to
    /// larger chunks otherwise).
    ///
    /// ```
    /// use spillway::array::user::overlap::Boundary;
    /// // a 3-point moving sum across chunks of 2
    /// let x = spillway::arange(0i64, 6, 1, 2);
    /// let y = x.map_overlap(&[1], Boundary::Constant(0), |b| {
    ///     let mut out = b.to_owned();
    ///     for i in 1..b.len() - 1 {
    ///         out[i] = b[i - 1] + b[i] + b[i + 1];
    ///     }
    ///     out
    /// });
    /// assert_eq!(y.compute_vec().unwrap(), vec![1, 3, 6, 9, 12, 9]);
    /// ```
    pub fn map_overlap(
        &self,
        depth: &[usize],
        boundary: Boundary<T>,
        f: impl Fn(ArrayViewD<'_, T>) -> ArrayD<T> + Send + Sync + 'static,
    ) -> Array<T> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        if depth.len() != self.ndim() {
            return Array::invalid(ArrayError::InvalidArgument {
                op: "map_overlap",
                message: format!(
                    "depth {depth:?} gives {} axes but the array has {}; give one depth per axis",
                    depth.len(),
                    self.ndim()
                ),
            });
        }
        for (axis, (&d, lengths)) in depth.iter().zip(self.chunks().as_vecs()).enumerate() {
            // the last chunk may be shorter (an uneven split); the halo still comes from
            // its neighbour, so only the axis extent bounds it
            let inner = &lengths[..lengths.len().saturating_sub(1)];
            let smallest = inner
                .iter()
                .copied()
                .min()
                .unwrap_or(self.shape()[axis])
                .min(self.shape()[axis]);
            if d > smallest && self.shape()[axis] > 0 {
                return Array::invalid(ArrayError::InvalidArgument {
                    op: "map_overlap",
                    message: format!(
                        "depth {d} on axis {axis} is larger than a chunk there ({smallest} elements); rechunk so every chunk on axis {axis} but the last has at least {d} elements, or use a smaller depth"
                    ),
                });
            }
        }
        let meta = NodeMeta::new(
            "map_overlap",
            self.shape().to_vec(),
            self.chunks().clone(),
            T::DTYPE,
        );
        Array::from_expr(Arc::new(OverlapExpr {
            meta,
            input: self.expr.clone(),
            depth: depth.to_vec(),
            boundary,
            f: Arc::new(f),
        }))
    }
}
