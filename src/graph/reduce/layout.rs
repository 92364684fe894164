//! Tile layouts: how a tile of a reduction's input lines up with the states it folds
//! into, and [`accumulate_box`], the fold of one tile along that layout.

use super::Reducer;
use crate::dtype::Element;
use crate::graph::region::{MAX_NDIM, Region};

/// The layout of a tile against its target: the offset of its first state, and its
/// axes merged into (extent, state stride) dims, outermost first (extent-1 axes dropped).
fn box_layout(
    tile: &Region,
    target: &Region,
    reduced: &[bool],
) -> (usize, [(usize, usize); MAX_NDIM], usize) {
    let ndim = tile.ndim();
    // acc strides (0 on reduced axes) and the offset of the tile's first element
    let mut acc_stride = [0usize; MAX_NDIM];
    let mut stride = 1;
    for axis in (0..ndim).rev() {
        if !reduced[axis] {
            acc_stride[axis] = stride;
            stride *= target.shape[axis];
        }
    }
    let mut base = 0;
    for axis in 0..ndim {
        if !reduced[axis] {
            base += (tile.start[axis] - target.start[axis]) * acc_stride[axis];
        }
    }
    // merged dims, outermost first: (extent, acc stride); extent-1 axes dropped
    let mut dims: [(usize, usize); MAX_NDIM] = [(0, 0); MAX_NDIM];
    let mut n = 0;
    for axis in (0..ndim).rev() {
        let extent = tile.shape[axis];
        if extent == 1 {
            continue;
        }
        let s = acc_stride[axis];
        if n > 0 {
            let (inner_extent, inner_stride) = dims[n - 1];
            if s == inner_stride * inner_extent {
                dims[n - 1] = (inner_extent * extent, inner_stride);
                continue;
            }
        }
        dims[n] = (extent, s);
        n += 1;
    }
    dims[..n].reverse();
    (base, dims, n)
}

/// When a tile is whole rows of the reduced innermost axes over consecutive states, its
/// (first state, rows, row length); the fused row-sum path needs this shape.
pub(super) fn rows_layout(
    tile: &Region,
    target: &Region,
    reduced: &[bool],
) -> Option<(usize, usize, usize)> {
    let (base, dims, n) = box_layout(tile, target, reduced);
    match &dims[..n] {
        [(row, 0)] => Some((base, 1, *row)),
        [(rows, 1), (row, 0)] => Some((base, *rows, *row)),
        _ => None,
    }
}

/// Folds the values `data` of input box `tile` into `accs`, the states of the output box
/// `target` (in keep-dims coordinates: reduced axes have start 0 and extent 1).
pub fn accumulate_box<T: Element, R: Reducer<T>>(
    reducer: &R,
    data: &[T],
    tile: &Region,
    target: &Region,
    reduced: &[bool],
    accs: &mut [R::Acc],
) {
    let (base, dims, n) = box_layout(tile, target, reduced);
    let dims = &dims[..n];
    if dims.is_empty() {
        reducer.fold_slice(&mut accs[base], &data[..1]);
        return;
    }
    // the innermost one or two dims are handled by one kernel call
    let (inner_e, inner_s) = dims[n - 1];
    let (kernel_dims, block_len): (usize, usize) = if inner_s == 0 && n >= 2 && dims[n - 2].1 == 1 {
        (2, inner_e * dims[n - 2].0)
    } else {
        (1, inner_e)
    };
    let outer = &dims[..n - kernel_dims];
    let mut index = [0usize; MAX_NDIM];
    let mut acc_off = base;
    let mut data_off = 0;
    loop {
        let block = &data[data_off..data_off + block_len];
        if kernel_dims == 2 {
            let rows = dims[n - 2].0;
            reducer.fold_rows(&mut accs[acc_off..acc_off + rows], block, inner_e);
        } else if inner_s == 0 {
            reducer.fold_slice(&mut accs[acc_off], block);
        } else if inner_s == 1 {
            reducer.fold_elementwise(&mut accs[acc_off..acc_off + inner_e], block);
        } else {
            for (i, x) in block.chunks_exact(1).enumerate() {
                reducer.fold_slice(&mut accs[acc_off + i * inner_s], x);
            }
        }
        data_off += block_len;
        // odometer over the outer dims
        let mut d = outer.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            index[d] += 1;
            acc_off += outer[d].1;
            if index[d] < outer[d].0 {
                break;
            }
            acc_off -= outer[d].1 * outer[d].0;
            index[d] = 0;
        }
    }
}
