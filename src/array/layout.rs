//! Axis reordering: `transpose`, `t()` (NumPy's `.T`) and `transpose_axes`.

use super::{Array, ArrayError, normalize_axis};
use crate::dtype::Element;
use crate::graph::eval::EvalContext;
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, Scratch, node_debug, node_meta,
};
use crate::graph::region::{MAX_NDIM, Region, copy_between_boxes};
use ndarray::{ArrayView, ArrayViewMut, IxDyn};
use std::sync::Arc;

/// Output axis `i` is input axis `perm[i]`.
struct TransposeExpr<T: Element> {
    meta: NodeMeta,
    input: ExprRef<T>,
    perm: Vec<usize>,
}

node_debug!([T: Element] TransposeExpr<T>, ", {:?}", perm);

impl<T: Element> Node for TransposeExpr<T> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![self.input.clone().as_node()]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Layout
    }
    fn scratch_bytes(&self, tile_elems: usize) -> u64 {
        // the transposed input of a band, and the band
        (2 * band_elems(tile_elems) * std::mem::size_of::<T>()) as u64
    }
    fn axis_permutation(&self) -> Option<Vec<usize>> {
        Some(self.perm.clone())
    }
}

impl<T: Element> Expr<T> for TransposeExpr<T> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T>> {
        Box::new(TransposeEval {
            input: ctx.build(&self.input),
            perm: self.perm.clone(),
            offsets: (0..self.meta.shape.len())
                .map(|axis| self.meta.chunks.offsets(axis))
                .collect(),
            band_elems: band_elems(ctx.tile_elems()),
            scratch: Scratch::default(),
            band: Vec::new(),
            band_region: None,
        })
    }
}

/// Elements of a band: [`BAND_TILES`] tiles.
fn band_elems(tile_elems: usize) -> usize {
    tile_elems.saturating_mul(BAND_TILES)
}

/// How many tiles of output a transpose computes at once when asked for thin tiles.
///
/// Consumers ask for tiles that are runs of whole rows (`1 x 4000` of a `4000 x 4000`
/// block); the transposed input of such a row is a column, one element per input row,
/// each on its own cache line and often its own page. Computing a band of 64 such rows
/// at once reads 64-element runs of each input row instead, and the following requests
/// are served from the band.
const BAND_TILES: usize = 64;

struct TransposeEval<T> {
    input: Box<dyn Eval<T>>,
    perm: Vec<usize>,
    /// Chunk boundaries along each output axis (a band stays inside one chunk, the part
    /// of the array one task covers).
    offsets: Vec<Vec<usize>>,
    band_elems: usize,
    scratch: Scratch<T>,
    band: Vec<T>,
    band_region: Option<Region>,
}

impl<T: Element> TransposeEval<T> {
    /// The band to compute for a request of `region`: `region` grown along axis 0 (up to
    /// the end of its chunk) to about `band_elems` elements, or `None` when it is already
    /// that large.
    ///
    /// On the other axes the band spans the whole chunk when a band of the region's rows
    /// that wide fits: tiles shorter than a row (a row of a chunk wider than a tile)
    /// then share one band instead of each computing their own.
    fn band_for(&self, region: &Region) -> Option<Region> {
        let ndim = region.ndim();
        if ndim == 0 || region.shape[0] == 0 {
            return None;
        }
        let mut band = *region;
        for axis in 1..ndim {
            let (lo, hi) = self.chunk_around(axis, region.start[axis]);
            if region.start[axis] + region.shape[axis] <= hi {
                band.start[axis] = lo;
                band.shape[axis] = hi - lo;
            }
        }
        if band.size() > self.band_elems {
            band = *region; // the chunk is too wide: the region's own columns
        }
        let per_row = band.size() / region.shape[0];
        let rows = (self.band_elems / per_row.max(1)).max(region.shape[0]);
        let start = region.start[0];
        let (_, chunk_end) = self.chunk_around(0, start);
        band.shape[0] = rows.min(chunk_end - start).max(region.shape[0]);
        (band != *region).then_some(band)
    }

    /// The bounds `(start, end)` of the chunk along `axis` that holds index `at`.
    fn chunk_around(&self, axis: usize, at: usize) -> (usize, usize) {
        let offsets = &self.offsets[axis];
        let end_at = offsets.partition_point(|&o| o <= at);
        let lo = end_at.checked_sub(1).map_or(0, |i| offsets[i]);
        let hi = offsets.get(end_at).copied().unwrap_or(at + 1);
        (lo, hi)
    }

    /// Evaluates `region` of the output into `out` from the input, transposing.
    fn transpose_into(&mut self, region: &Region, out: &mut [T]) {
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
        if ndim == 2 {
            // perm is [1, 0]: the input box is shape[0] x shape[1], the output the reverse
            transpose_2d(buf, shape[0], shape[1], out);
            return;
        }
        let view = ArrayView::from_shape(IxDyn(&shape[..ndim]), buf)
            .expect("tile shape")
            .permuted_axes(IxDyn(&self.perm));
        let mut target =
            ArrayViewMut::from_shape(IxDyn(region.shape.as_slice()), out).expect("tile shape");
        target.assign(&view);
    }
}

/// Writes the transpose of the row-major `rows x cols` matrix `src` into `dst`
/// (`cols x rows`), in square blocks so both sides are read and written a cache line at
/// a time.
fn transpose_2d<T: Copy>(src: &[T], rows: usize, cols: usize, dst: &mut [T]) {
    const BLOCK: usize = 32;
    for r0 in (0..rows).step_by(BLOCK) {
        let r1 = (r0 + BLOCK).min(rows);
        for c0 in (0..cols).step_by(BLOCK) {
            let c1 = (c0 + BLOCK).min(cols);
            for r in r0..r1 {
                let row = &src[r * cols..(r + 1) * cols];
                for c in c0..c1 {
                    dst[c * rows + r] = row[c];
                }
            }
        }
    }
}

impl<T: Element> Eval<T> for TransposeEval<T> {
    fn eval(&mut self, region: &Region, out: &mut [T]) {
        if let Some(band) = self.band_region
            && band.intersect(region) == Some(*region)
        {
            copy_between_boxes(&self.band[..band.size()], &band, out, region, region);
            return;
        }
        match self.band_for(region) {
            Some(band) => {
                let mut values = std::mem::take(&mut self.band);
                if values.len() < band.size() {
                    values.resize(band.size(), T::default());
                }
                self.transpose_into(&band, &mut values[..band.size()]);
                self.band = values;
                self.band_region = Some(band);
                copy_between_boxes(&self.band[..band.size()], &band, out, region, region);
            }
            None => self.transpose_into(region, out),
        }
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
