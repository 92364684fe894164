//! Adding, removing and moving axes: `squeeze`, `expand_dims`, `swapaxes`, `moveaxis`.

use crate::array::indexing::select::{AxisSpec, select};
use crate::array::{Array, ArrayError, check_rank, normalize_axis};
use crate::dtype::Element;

impl<T: Element> Array<T> {
    /// Removes axes of length 1, as `np.squeeze(x, axis)`: `None` removes every one,
    /// `Some(a)` only axis `a`, which must have length 1.
    ///
    /// ```
    /// let x = spillway::zeros::<f64>([1, 3, 1], 2);
    /// assert_eq!(x.squeeze(None).shape(), &[3]);
    /// assert_eq!(x.squeeze(Some(-1)).shape(), &[1, 3]);
    /// assert!(x.squeeze(Some(1)).check().is_err()); // axis 1 has length 3
    /// ```
    pub fn squeeze(&self, axis: Option<isize>) -> Array<T> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        let shape = self.shape().to_vec();
        let drop: Vec<bool> = match axis {
            None => shape.iter().map(|&e| e == 1).collect(),
            Some(a) => {
                let a = match normalize_axis(a, shape.len()) {
                    Ok(a) => a,
                    Err(e) => return Array::invalid(e),
                };
                if shape[a] != 1 {
                    return Array::invalid(ArrayError::InvalidArgument {
                        op: "squeeze",
                        message: format!(
                            "cannot select an axis to squeeze out which has size not equal to one: axis {a} has size {}",
                            shape[a]
                        ),
                    });
                }
                (0..shape.len()).map(|i| i == a).collect()
            }
        };
        let fixed = drop.iter().map(|&d| d.then_some(0)).collect();
        let axes = (0..shape.len())
            .filter(|&a| !drop[a])
            .map(|a| AxisSpec::whole(a, shape[a]))
            .collect();
        select(self, "squeeze", fixed, axes)
    }

    /// Inserts an axis of length 1 (one chunk of 1) at position `axis` of the result, as
    /// `np.expand_dims(x, axis)`; `axis` may be `-ndim - 1 ..= ndim`.
    ///
    /// ```
    /// let x = spillway::zeros::<f64>([3, 4], 2);
    /// assert_eq!(x.expand_dims(0).shape(), &[1, 3, 4]);
    /// assert_eq!(x.expand_dims(-1).shape(), &[3, 4, 1]);
    /// assert!(x.expand_dims(3).check().is_err());
    /// ```
    pub fn expand_dims(&self, axis: isize) -> Array<T> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        let shape = self.shape().to_vec();
        let at = match normalize_axis(axis, shape.len() + 1) {
            Ok(a) => a,
            Err(e) => return Array::invalid(e),
        };
        let mut out_shape = shape.clone();
        out_shape.insert(at, 1);
        if let Err(e) = check_rank(&out_shape) {
            return Array::invalid(e);
        }
        let mut axes: Vec<AxisSpec> = (0..shape.len())
            .map(|a| AxisSpec::whole(a, shape[a]))
            .collect();
        axes.insert(at, AxisSpec::new_axis(1, vec![1]));
        select(self, "expand_dims", vec![None; shape.len()], axes)
    }

    /// Exchanges two axes, as `np.swapaxes(x, a, b)`.
    ///
    /// ```
    /// let x = spillway::zeros::<f64>([2, 3, 4], 2);
    /// assert_eq!(x.swapaxes(0, -1).shape(), &[4, 3, 2]);
    /// ```
    pub fn swapaxes(&self, a: isize, b: isize) -> Array<T> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        let nd = self.ndim();
        let (a, b) = match (normalize_axis(a, nd), normalize_axis(b, nd)) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return Array::invalid(e),
        };
        let mut perm: Vec<isize> = (0..nd as isize).collect();
        perm.swap(a, b);
        self.transpose_axes(&perm)
    }

    /// Moves axis `source` to position `destination`, the others keeping their order, as
    /// `np.moveaxis(x, source, destination)`.
    ///
    /// ```
    /// let x = spillway::zeros::<f64>([2, 3, 4], 2);
    /// assert_eq!(x.moveaxis(0, -1).shape(), &[3, 4, 2]);
    /// assert_eq!(x.moveaxis(-1, 0).shape(), &[4, 2, 3]);
    /// ```
    pub fn moveaxis(&self, source: isize, destination: isize) -> Array<T> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        let nd = self.ndim();
        let (s, d) = match (normalize_axis(source, nd), normalize_axis(destination, nd)) {
            (Ok(s), Ok(d)) => (s, d),
            (Err(e), _) | (_, Err(e)) => return Array::invalid(e),
        };
        let mut perm: Vec<isize> = (0..nd as isize).filter(|&a| a != s as isize).collect();
        perm.insert(d, s as isize);
        self.transpose_axes(&perm)
    }
}
