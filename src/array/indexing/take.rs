//! `take` and `compress`: an index list or a boolean mask along one axis.

use super::elem::IndexElem;
use crate::array::{Array, ArrayError, normalize_axis};
use crate::dtype::Element;

impl<T: Element> Array<T> {
    /// The elements at `indices` along `axis`, as `np.take(x, indices, axis)`
    /// (negative indices count from the end; order and repeats are kept).
    ///
    /// ```
    /// let x = spillway::arange(0i64, 12, 1, 5).reshape(&[3, 4]);
    /// let y = x.take(&[3, 0, -1], 1).compute().unwrap();
    /// assert_eq!(y.index_axis(ndarray::Axis(0), 1).iter().copied().collect::<Vec<_>>(), vec![7, 4, 7]);
    /// assert!(x.take(&[4], 1).check().is_err()); // out of range for an axis of 4
    /// ```
    pub fn take(&self, indices: &[isize], axis: isize) -> Array<T> {
        self.along_axis(IndexElem::List(indices.to_vec()), axis)
    }

    /// The slices along `axis` where `condition` is true, as `np.compress(condition, x,
    /// axis)`: a condition shorter than the axis keeps none of the indices past its end,
    /// a longer one is an error.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 6, 1, 4);
    /// let y = x.compress(&[true, false, true], 0).compute().unwrap();
    /// assert_eq!(y.iter().copied().collect::<Vec<_>>(), vec![0, 2]);
    /// assert!(x.compress(&[true; 7], 0).check().is_err());
    /// ```
    ///
    /// For a mask held in a lazy `Array<bool>`, see [`Array::index_mask`].
    pub fn compress(&self, condition: &[bool], axis: isize) -> Array<T> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        let a = match normalize_axis(axis, self.ndim()) {
            Ok(a) => a,
            Err(e) => return Array::invalid(e),
        };
        let extent = self.shape()[a];
        if condition.len() > extent {
            return Array::invalid(ArrayError::MaskLength {
                len: condition.len(),
                axis: a,
                extent,
            });
        }
        let mut mask = condition.to_vec();
        mask.resize(extent, false);
        self.along_axis(IndexElem::Mask(mask), axis)
    }

    /// `x[mask]` along `axis` for a boolean mask held in a lazy one-axis array: the mask is
    /// computed now, when the graph is built (on the current client), because the number
    /// of kept elements fixes the result's shape. Dask instead leaves that axis's chunks
    /// unknown (`nan`) until computed; spillway always knows its shapes. The mask must be
    /// as long as the axis.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 12, 1, 5).reshape(&[3, 4]);
    /// let mask = spillway::arange(0i64, 4, 1, 2).lt(2); // [true, true, false, false]
    /// let y = x.index_mask(&mask, 1);
    /// assert_eq!(y.shape(), &[3, 2]);
    /// assert_eq!(y.compute().unwrap()[[2, 1]], 9);
    /// assert!(x.index_mask(&mask, 0).check().is_err()); // 4 values for an axis of 3
    /// ```
    pub fn index_mask(&self, mask: &Array<bool>, axis: isize) -> Array<T> {
        if let Some(e) = self.error().or_else(|| mask.error()) {
            return Array::invalid(e);
        }
        if mask.ndim() != 1 {
            return Array::invalid(ArrayError::InvalidArgument {
                op: "index_mask",
                message: format!(
                    "the mask has {} dimensions; give a one-axis boolean array",
                    mask.ndim()
                ),
            });
        }
        match mask.compute() {
            Ok(values) => self.along_axis(IndexElem::Mask(values.iter().copied().collect()), axis),
            Err(e) => Array::invalid(e),
        }
    }

    /// Indexes `axis` with `elem`, every other axis whole.
    fn along_axis(&self, elem: IndexElem, axis: isize) -> Array<T> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        let a = match normalize_axis(axis, self.ndim()) {
            Ok(a) => a,
            Err(e) => return Array::invalid(e),
        };
        let mut index = vec![IndexElem::from(..); a];
        index.push(elem);
        self.index(index)
    }
}
