//! Reordering along axes: `flip`, `roll`, `tile`, `repeat` and `broadcast_to`, each a
//! selection whose output indices read input indices in closed form.

use crate::array::broadcast::broadcast_shapes;
use crate::array::chunks::python_tuple;
use crate::array::indexing::axis_map::AxisMap;
use crate::array::indexing::select::{AxisSpec, select};
use crate::array::{Array, ArrayError, check_rank, normalize_axis};
use crate::dtype::Element;

impl<T: Element> Array<T> {
    /// Reverses the order along `axis`, as `np.flip(x, axis)` (`x[..., ::-1, ...]`);
    /// chunks are reversed too.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 5, 1, 2);
    /// assert_eq!(x.flip(0).compute().unwrap().iter().copied().collect::<Vec<_>>(), vec![4, 3, 2, 1, 0]);
    /// assert_eq!(x.flip(0).chunks().to_string(), "((1, 2, 2),)");
    /// ```
    pub fn flip(&self, axis: isize) -> Array<T> {
        self.per_axis("flip", axis, |n| {
            (
                AxisMap::Affine {
                    start: n as isize - 1,
                    step: -1,
                },
                n,
            )
        })
    }

    /// Rolls elements along `axis` by `shift` (an element at `i` moves to
    /// `(i + shift) mod n`), as `np.roll(x, shift, axis)`; chunks follow Dask (the two
    /// slices the roll is made of).
    ///
    /// ```
    /// let x = spillway::arange(0i64, 5, 1, 2);
    /// assert_eq!(x.roll(2, 0).compute().unwrap().iter().copied().collect::<Vec<_>>(), vec![3, 4, 0, 1, 2]);
    /// assert_eq!(x.roll(-1, 0).compute().unwrap().iter().copied().collect::<Vec<_>>(), vec![1, 2, 3, 4, 0]);
    /// ```
    pub fn roll(&self, shift: isize, axis: isize) -> Array<T> {
        self.per_axis("roll", axis, |n| {
            if n == 0 {
                return (AxisMap::Affine { start: 0, step: 1 }, 0);
            }
            let k = shift.rem_euclid(n as isize) as usize;
            (
                AxisMap::Roll {
                    shift: (n - k) % n,
                    n,
                },
                n,
            )
        })
    }

    /// Repeats each element `repeats` times along `axis`, as `np.repeat(x, repeats,
    /// axis)` with one count for all; each chunk becomes `repeats` times longer.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 3, 1, 2);
    /// assert_eq!(x.repeat(2, 0).compute().unwrap().iter().copied().collect::<Vec<_>>(), vec![0, 0, 1, 1, 2, 2]);
    /// assert_eq!(x.repeat(2, 0).chunks().to_string(), "((4, 2),)");
    /// ```
    pub fn repeat(&self, repeats: usize, axis: isize) -> Array<T> {
        if repeats == 0 {
            return self.per_axis("repeat", axis, |_| (AxisMap::Repeat(1), 0));
        }
        self.per_axis("repeat", axis, |n| (AxisMap::Repeat(repeats), n * repeats))
    }

    /// The array repeated `reps[i]` times along each axis, as `np.tile(x, reps)`: shorter
    /// `reps` are padded with 1s in front, longer ones add leading axes (one chunk per
    /// repetition there). Chunks are the input's, once per repetition.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 3, 1, 2);
    /// let t = x.tile(&[2, 2]);
    /// assert_eq!(t.shape(), &[2, 6]);
    /// assert_eq!(t.compute().unwrap().index_axis(ndarray::Axis(0), 1).iter().copied().collect::<Vec<_>>(), vec![0, 1, 2, 0, 1, 2]);
    /// ```
    pub fn tile(&self, reps: &[usize]) -> Array<T> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        let shape = self.shape().to_vec();
        let nd = shape.len().max(reps.len());
        let lead = nd - shape.len();
        let mut r = vec![1usize; nd - reps.len()];
        r.extend_from_slice(reps);
        let out_shape: Vec<usize> = (0..nd)
            .map(|i| r[i] * if i < lead { 1 } else { shape[i - lead] })
            .collect();
        if let Err(e) = check_rank(&out_shape) {
            return Array::invalid(e);
        }
        let axes = (0..nd)
            .map(|i| {
                if i < lead {
                    let chunks = if r[i] == 0 { vec![0] } else { vec![1; r[i]] };
                    AxisSpec::new_axis(r[i], chunks)
                } else {
                    let a = i - lead;
                    AxisSpec::mapped(a, AxisMap::Modulo(shape[a].max(1)), out_shape[i])
                }
            })
            .collect();
        select(self, "tile", vec![None; shape.len()], axes)
    }

    /// The array broadcast to `shape` by NumPy's rules, as `np.broadcast_to(x, shape)`.
    /// As in Dask, new leading axes and broadcast axes of length 1 get one chunk along
    /// their whole extent; the other axes keep their chunks.
    ///
    /// ```
    /// let x = spillway::arange(0i64, 3, 1, 2);
    /// let b = x.broadcast_to(&[2, 3]);
    /// assert_eq!(b.chunks().to_string(), "((2,), (2, 1))");
    /// assert_eq!(b.compute().unwrap().index_axis(ndarray::Axis(0), 1).iter().copied().collect::<Vec<_>>(), vec![0, 1, 2]);
    /// assert!(x.broadcast_to(&[4]).check().is_err());
    /// ```
    pub fn broadcast_to(&self, shape: &[usize]) -> Array<T> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        let own = self.shape().to_vec();
        let ok = shape.len() >= own.len()
            && broadcast_shapes(&own, shape).is_ok_and(|b| b.as_slice() == shape);
        if !ok {
            return Array::invalid(ArrayError::InvalidArgument {
                op: "broadcast_to",
                message: format!(
                    "cannot broadcast an array of shape {} to shape {}; extents must be equal, or 1 in the array",
                    python_tuple(&own),
                    python_tuple(shape)
                ),
            });
        }
        if let Err(e) = check_rank(shape) {
            return Array::invalid(e);
        }
        let lead = shape.len() - own.len();
        let axes = (0..shape.len())
            .map(|i| {
                if i < lead {
                    AxisSpec::new_axis(shape[i], vec![shape[i]])
                } else if own[i - lead] == shape[i] {
                    AxisSpec::whole(i - lead, shape[i])
                } else {
                    AxisSpec::mapped(i - lead, AxisMap::Affine { start: 0, step: 0 }, shape[i])
                }
            })
            .collect();
        select(self, "broadcast_to", vec![None; own.len()], axes)
    }

    /// A selection reading `axis` through the map `f(extent)` gives (with the output's
    /// extent), every other axis whole.
    fn per_axis(
        &self,
        label: &str,
        axis: isize,
        f: impl FnOnce(usize) -> (AxisMap, usize),
    ) -> Array<T> {
        if let Some(e) = self.error() {
            return Array::invalid(e);
        }
        let shape = self.shape().to_vec();
        let a = match normalize_axis(axis, shape.len()) {
            Ok(a) => a,
            Err(e) => return Array::invalid(e),
        };
        let (map, extent) = f(shape[a]);
        let axes = (0..shape.len())
            .map(|i| {
                if i == a {
                    AxisSpec::mapped(i, map.clone(), extent)
                } else {
                    AxisSpec::whole(i, shape[i])
                }
            })
            .collect();
        select(self, label, vec![None; shape.len()], axes)
    }
}
