//! `Array::index`: NumPy indexing with slices, integers, new axes, one fancy index or
//! boolean mask, and an ellipsis, resolved into a selection node.

use super::axis_map::AxisMap;
use super::elem::IndexElem;
use super::select::{AxisSpec, select};
use crate::array::{Array, ArrayError, check_rank};
use crate::dtype::Element;

/// A NumPy slice resolved against an axis of `n`: `(start, step, len)`
/// (Python's `slice.indices` followed by the length of the range).
pub(crate) fn resolve_slice(
    start: Option<isize>,
    stop: Option<isize>,
    step: isize,
    n: usize,
) -> (isize, isize, usize) {
    let n = n as isize;
    let norm = |v: isize| if v < 0 { v + n } else { v };
    if step > 0 {
        let s = start.map_or(0, |v| norm(v).clamp(0, n));
        let e = stop.map_or(n, |v| norm(v).clamp(0, n));
        let len = if e > s { (e - s + step - 1) / step } else { 0 };
        (s, step, len as usize)
    } else {
        let s = start.map_or(n - 1, |v| norm(v).clamp(-1, n - 1));
        let e = stop.map_or(-1, |v| norm(v).clamp(-1, n - 1));
        let len = if s > e { (s - e - step - 1) / -step } else { 0 };
        (s, step, len as usize)
    }
}

/// An integer index normalised against `extent`, or the error naming it.
pub(crate) fn resolve_index(index: isize, axis: usize, extent: usize) -> Result<usize, ArrayError> {
    let n = extent as isize;
    let i = if index < 0 { index + n } else { index };
    if i < 0 || i >= n {
        return Err(ArrayError::IndexOutOfRange {
            index,
            axis,
            extent,
        });
    }
    Ok(i as usize)
}

impl<T: Element> Array<T> {
    /// NumPy indexing, `x[...]`, written with [`s!`](crate::s): slices keep an axis,
    /// integers drop it, [`NewAxis`](crate::NewAxis) adds one, one index list or boolean
    /// mask picks along an axis and [`Ellipsis`](crate::Ellipsis) fills the axes not
    /// written. Lazy: only the selected elements are ever computed.
    ///
    /// The lesson's lines, `x[:100, 500:100:-2]` and `x[:, [10, 1, 5]]`:
    ///
    /// ```
    /// use spillway::s;
    /// let x = spillway::arange(0i64, 1_000_000, 1, 100_000).reshape(&[1000, 1000]);
    /// let y = x.index(s![..100, 500..100;-2]).compute().unwrap();
    /// assert_eq!(y.shape(), &[100, 200]);
    /// assert_eq!((y[[0, 0]], y[[0, 1]], y[[1, 199]]), (500, 498, 1102));
    /// let z = x.index(s![.., [10, 1, 5]]).compute().unwrap();
    /// assert_eq!(z.index_axis(ndarray::Axis(0), 2).iter().copied().collect::<Vec<_>>(), vec![2010, 2001, 2005]);
    /// assert!(x.index(s![1000, ..]).check().is_err()); // index out of range
    /// assert!(x.index(s![..;0]).check().is_err());     // zero step
    /// ```
    ///
    /// Output chunks keep the input's chunk boundaries within the selection (Dask's rule);
    /// an index list gets one chunk per run of indices in one input chunk, neighbouring
    /// runs merged up to the input's chunk size. As in NumPy, an index list and integers
    /// separated by a slice or new axis put the list's axis first. Only one index list or
    /// mask per index is supported.
    pub fn index(&self, index: impl AsRef<[IndexElem]>) -> Array<T> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        match self.resolve(index.as_ref()) {
            Ok(a) => a,
            Err(e) => Array::invalid(e),
        }
    }

    fn resolve(&self, index: &[IndexElem]) -> Result<Array<T>, ArrayError> {
        let ndim = self.ndim();
        let consumed = index
            .iter()
            .filter(|e| !matches!(e, IndexElem::NewAxis | IndexElem::Ellipsis))
            .count();
        let ellipses = index
            .iter()
            .filter(|e| matches!(e, IndexElem::Ellipsis))
            .count();
        if ellipses > 1 {
            return Err(ArrayError::InvalidArgument {
                op: "index",
                message: "an index can only have a single ellipsis ('...'); remove the others"
                    .into(),
            });
        }
        if consumed > ndim {
            return Err(ArrayError::TooManyIndices {
                given: consumed,
                ndim,
            });
        }
        let arrays = index
            .iter()
            .filter(|e| matches!(e, IndexElem::List(_) | IndexElem::Mask(_)))
            .count();
        if arrays > 1 {
            return Err(ArrayError::InvalidArgument {
                op: "index",
                message: format!(
                    "{arrays} index lists or masks given; spillway supports one per index, apply them one after another"
                ),
            });
        }
        // expand the ellipsis (or append it) into full slices
        let full = IndexElem::Slice {
            start: None,
            stop: None,
            step: 1,
        };
        let mut elems: Vec<&IndexElem> = Vec::with_capacity(ndim + index.len());
        let mut expanded = false;
        for e in index {
            if matches!(e, IndexElem::Ellipsis) {
                elems.extend(std::iter::repeat_n(&full, ndim - consumed));
                expanded = true;
            } else {
                elems.push(e);
            }
        }
        if !expanded {
            elems.extend(std::iter::repeat_n(&full, ndim - consumed));
        }
        let shape = self.shape().to_vec();
        let mut fixed = vec![None; ndim];
        let mut axes = Vec::new();
        let mut axis = 0;
        let mut list_out_axis = None;
        let mut advanced_positions = Vec::new();
        for (pos, e) in elems.iter().enumerate() {
            match e {
                IndexElem::Slice { start, stop, step } => {
                    if *step == 0 {
                        return Err(ArrayError::ZeroStep { axis });
                    }
                    let (s, k, len) = resolve_slice(*start, *stop, *step, shape[axis]);
                    axes.push(AxisSpec::mapped(
                        axis,
                        AxisMap::Affine { start: s, step: k },
                        len,
                    ));
                    axis += 1;
                }
                IndexElem::Index(i) => {
                    fixed[axis] = Some(resolve_index(*i, axis, shape[axis])?);
                    advanced_positions.push(pos);
                    axis += 1;
                }
                IndexElem::List(list) => {
                    let resolved = list
                        .iter()
                        .map(|&i| resolve_index(i, axis, shape[axis]))
                        .collect::<Result<Vec<usize>, _>>()?;
                    list_out_axis = Some(axes.len());
                    advanced_positions.push(pos);
                    axes.push(AxisSpec::mapped(
                        axis,
                        AxisMap::List(resolved.clone().into()),
                        resolved.len(),
                    ));
                    axis += 1;
                }
                IndexElem::Mask(mask) => {
                    if mask.len() != shape[axis] {
                        return Err(ArrayError::MaskLength {
                            len: mask.len(),
                            axis,
                            extent: shape[axis],
                        });
                    }
                    let kept: Vec<usize> = (0..mask.len()).filter(|&i| mask[i]).collect();
                    list_out_axis = Some(axes.len());
                    advanced_positions.push(pos);
                    axes.push(AxisSpec::mapped(
                        axis,
                        AxisMap::List(kept.clone().into()),
                        kept.len(),
                    ));
                    axis += 1;
                }
                IndexElem::NewAxis => axes.push(AxisSpec::new_axis(1, vec![1])),
                IndexElem::Ellipsis => unreachable!("ellipsis expanded above"),
            }
        }
        // NumPy: advanced indices (the list and integers with it) that are not next to
        // each other put the list's axis first
        if let Some(k) = list_out_axis {
            let adjacent = advanced_positions.windows(2).all(|w| w[1] == w[0] + 1);
            if !adjacent {
                let spec = axes.remove(k);
                axes.insert(0, spec);
            }
        }
        let out_shape: Vec<usize> = axes.iter().map(|s| s.extent).collect();
        check_rank(&out_shape)?;
        Ok(select(self, "getitem", fixed, axes))
    }
}

#[cfg(test)]
mod tests {
    use super::resolve_slice;

    #[test]
    fn slices_resolve_like_python() {
        // range(10)[2:8:3] -> 2, 5
        assert_eq!(resolve_slice(Some(2), Some(8), 3, 10), (2, 3, 2));
        // [::-1] -> 9..0
        assert_eq!(resolve_slice(None, None, -1, 10), (9, -1, 10));
        // [500:100:-2] of 1000 -> 200 elements from 500
        assert_eq!(
            resolve_slice(Some(500), Some(100), -2, 1000),
            (500, -2, 200)
        );
        // clamped bounds and empty results
        assert_eq!(resolve_slice(Some(-20), Some(20), 1, 10), (0, 1, 10));
        assert_eq!(resolve_slice(Some(5), Some(2), 1, 10).2, 0);
        assert_eq!(resolve_slice(Some(20), Some(-20), -3, 10), (9, -3, 4));
        assert_eq!(resolve_slice(None, None, -1, 0).2, 0);
    }
}
