//! NumPy broadcasting of shapes, Dask's unification of chunks, and region mapping.

use super::ArrayError;
use super::chunks::{Chunks, python_tuple};
use crate::graph::region::{MAX_NDIM, Region};

/// The broadcast shape of two shapes (NumPy's rules: align on the right; extents must be
/// equal or 1).
///
/// ```
/// use spillway::array::broadcast::broadcast_shapes;
/// assert_eq!(broadcast_shapes(&[15, 1], &[3]).unwrap(), vec![15, 3]);
/// assert!(broadcast_shapes(&[2, 3], &[4]).is_err());
/// ```
pub fn broadcast_shapes(left: &[usize], right: &[usize]) -> Result<Vec<usize>, ArrayError> {
    let ndim = left.len().max(right.len());
    let mut out = Vec::with_capacity(ndim);
    for axis in 0..ndim {
        let l = extent_at(left, ndim, axis);
        let r = extent_at(right, ndim, axis);
        out.push(match (l, r) {
            (a, b) if a == b => a,
            (1, b) => b,
            (a, 1) => a,
            (a, b) => {
                return Err(ArrayError::Broadcast {
                    left: python_tuple(left),
                    right: python_tuple(right),
                    axis,
                    left_extent: a,
                    right_extent: b,
                });
            }
        });
    }
    Ok(out)
}

/// Extent of `shape` at output axis `axis` of an `ndim`-dimensional broadcast (1 for
/// missing leading axes).
fn extent_at(shape: &[usize], ndim: usize, axis: usize) -> usize {
    let missing = ndim - shape.len();
    if axis < missing {
        1
    } else {
        shape[axis - missing]
    }
}

/// Output chunks of a broadcast op: on each axis the common refinement of the operands'
/// chunk boundaries (Dask's `unify_chunks`); an operand broadcast along an axis does not
/// constrain it.
///
/// ```
/// use spillway::array::broadcast::unify_chunks;
/// use spillway::Chunks;
/// let x = spillway::zeros::<f64>([15, 15], [10, 5]);
/// let t = x.t();
/// let c = unify_chunks(&[(x.shape(), x.chunks()), (t.shape(), t.chunks())], &[15, 15]);
/// assert_eq!(c.to_string(), "((5, 5, 5), (5, 5, 5))");
/// ```
pub fn unify_chunks(operands: &[(&[usize], &Chunks)], out_shape: &[usize]) -> Chunks {
    let ndim = out_shape.len();
    let mut out = Vec::with_capacity(ndim);
    for (axis, &extent) in out_shape.iter().enumerate() {
        let mut cuts: Vec<usize> = vec![0, extent];
        let mut constrained = false;
        for (shape, chunks) in operands {
            let missing = ndim - shape.len();
            if axis < missing || shape[axis - missing] != extent {
                continue;
            }
            constrained = true;
            cuts.extend(chunks.offsets(axis - missing));
        }
        cuts.sort_unstable();
        cuts.dedup();
        if !constrained || extent == 0 {
            out.push(vec![extent]);
            continue;
        }
        out.push(cuts.windows(2).map(|w| w[1] - w[0]).collect());
    }
    Chunks(out)
}

/// The region of an operand of `in_shape` that feeds `out_region` of the broadcast output.
pub fn operand_region(out_region: &Region, in_shape: &[usize]) -> Region {
    let ndim = out_region.ndim();
    let missing = ndim - in_shape.len();
    let mut start = [0usize; MAX_NDIM];
    let mut shape = [0usize; MAX_NDIM];
    for (k, &extent) in in_shape.iter().enumerate() {
        let axis = k + missing;
        if extent == 1 {
            start[k] = 0;
            shape[k] = 1;
        } else {
            start[k] = out_region.start[axis];
            shape[k] = out_region.shape[axis];
        }
    }
    Region::new(&start[..in_shape.len()], &shape[..in_shape.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_broadcast_like_numpy() {
        assert_eq!(broadcast_shapes(&[], &[3]).unwrap(), vec![3]);
        assert_eq!(
            broadcast_shapes(&[4, 1, 3], &[5, 1]).unwrap(),
            vec![4, 5, 3]
        );
        assert_eq!(broadcast_shapes(&[0], &[1]).unwrap(), vec![0]);
        let err = broadcast_shapes(&[10], &[3]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "operands could not be broadcast together with shapes (10,) and (3,): axis 0 has extents 10 and 3; extents must be equal or 1"
        );
    }

    #[test]
    fn chunks_unify_to_the_common_refinement() {
        let a = Chunks(vec![vec![10, 5]]);
        let b = Chunks(vec![vec![5, 5, 5]]);
        let c = unify_chunks(&[(&[15], &a), (&[15], &b)], &[15]);
        assert_eq!(c.0, vec![vec![5, 5, 5]]);
        let row = Chunks(vec![vec![1], vec![2, 2]]);
        let col = Chunks(vec![vec![3, 1], vec![1]]);
        let c = unify_chunks(&[(&[1, 4], &row), (&[4, 1], &col)], &[4, 4]);
        assert_eq!(c.0, vec![vec![3, 1], vec![2, 2]]);
    }

    #[test]
    fn operand_regions_collapse_broadcast_axes() {
        let out = Region::new(&[2, 3], &[4, 5]);
        let r = operand_region(&out, &[1, 9]);
        assert_eq!(
            (r.start.as_slice(), r.shape.as_slice()),
            (&[0, 3][..], &[1, 5][..])
        );
        let r = operand_region(&out, &[9]);
        assert_eq!(
            (r.start.as_slice(), r.shape.as_slice()),
            (&[3][..], &[5][..])
        );
    }
}
