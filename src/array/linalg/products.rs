//! Tensor contractions under NumPy's names: `tensordot`, `matmul`, `dot`, `outer`, `vdot`.
//!
//! All of them are one lazy node (see [`contract`](super::contract)) that computes each
//! output block as a sum of block products, holding one output block and one block of
//! each operand per worker, so operands far larger than memory stream through.

use super::LinalgError;
use super::contract::{Axes, ContractExpr};
use crate::array::chunks::python_tuple;
use crate::array::{Array, ArrayError, normalize_axis};
use crate::kernels::dense::LinalgFloat;
use std::sync::Arc;

/// The `axes` argument of [`tensordot`]: a count `N` (the last `N` axes of `a` with the
/// first `N` of `b`) or explicit lists of paired axes (negative axes count from the end).
///
/// ```
/// use spillway::array::linalg::TensorAxes;
/// let _n: TensorAxes = 1.into();
/// let _pairs: TensorAxes = ([1, 0], [0, 1]).into();
/// let _lists: TensorAxes = (vec![-1], vec![0]).into();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum TensorAxes {
    /// The last `N` axes of `a` contract with the first `N` of `b`, in order.
    Count(usize),
    /// `a`'s axes `.0[i]` contract with `b`'s axes `.1[i]`.
    Pairs(Vec<isize>, Vec<isize>),
}

impl From<usize> for TensorAxes {
    fn from(n: usize) -> Self {
        TensorAxes::Count(n)
    }
}

impl From<(Vec<isize>, Vec<isize>)> for TensorAxes {
    fn from((a, b): (Vec<isize>, Vec<isize>)) -> Self {
        TensorAxes::Pairs(a, b)
    }
}

impl<const N: usize> From<([isize; N], [isize; N])> for TensorAxes {
    fn from((a, b): ([isize; N], [isize; N])) -> Self {
        TensorAxes::Pairs(a.to_vec(), b.to_vec())
    }
}

/// Resolves paired axes against the operands' shapes.
fn resolve<T: LinalgFloat>(
    op: &'static str,
    a: &Array<T>,
    b: &Array<T>,
    a_axes: &[isize],
    b_axes: &[isize],
) -> crate::error::Result<Axes> {
    if a_axes.len() != b_axes.len() {
        return Err(LinalgError::InvalidArgument {
            op,
            message: format!(
                "axes {a_axes:?} of the first operand and {b_axes:?} of the second must pair one to one; give lists of equal length"
            ),
        }
        .into());
    }
    let norm = |axes: &[isize], ndim: usize| -> Result<Vec<usize>, ArrayError> {
        let mut out = Vec::new();
        for &ax in axes {
            let n = normalize_axis(ax, ndim)?;
            if out.contains(&n) {
                return Err(ArrayError::DuplicateAxis { axis: n });
            }
            out.push(n);
        }
        Ok(out)
    };
    let a_con = norm(a_axes, a.ndim())?;
    let b_con = norm(b_axes, b.ndim())?;
    for (&i, &j) in a_con.iter().zip(&b_con) {
        if a.shape()[i] != b.shape()[j] {
            return Err(LinalgError::ContractionMismatch {
                op,
                left: python_tuple(a.shape()),
                right: python_tuple(b.shape()),
                left_axis: i,
                right_axis: j,
                left_extent: a.shape()[i],
                right_extent: b.shape()[j],
            }
            .into());
        }
    }
    let a_free = (0..a.ndim()).filter(|i| !a_con.contains(i)).collect();
    let b_free = (0..b.ndim()).filter(|j| !b_con.contains(j)).collect();
    Ok(Axes {
        a_free,
        a_con,
        b_con,
        b_free,
    })
}

/// Builds the contraction node, or an array carrying the first error.
pub(crate) fn contract<T: LinalgFloat>(
    op: &'static str,
    a: &Array<T>,
    b: &Array<T>,
    a_axes: &[isize],
    b_axes: &[isize],
) -> Array<T> {
    if let Some(e) = a.error().or_else(|| b.error()) {
        return Array::invalid(e);
    }
    match resolve(op, a, b, a_axes, b_axes) {
        Ok(axes) => {
            if axes.a_free.len() + axes.b_free.len() > crate::graph::region::MAX_NDIM {
                return Array::invalid(ArrayError::TooManyDims {
                    ndim: axes.a_free.len() + axes.b_free.len(),
                    max: crate::graph::region::MAX_NDIM,
                });
            }
            Array::from_expr(Arc::new(ContractExpr::new(
                op,
                a.expr.clone(),
                b.expr.clone(),
                axes,
            )))
        }
        Err(e) => Array::invalid(e),
    }
}

fn bad_rank<T: LinalgFloat>(op: &'static str, expected: &'static str, x: &Array<T>) -> Array<T> {
    Array::invalid(LinalgError::BadRank {
        op,
        expected,
        shape: python_tuple(x.shape()),
    })
}

/// Sums products over paired axes, as `np.tensordot(a, b, axes)`: the result's axes are
/// `a`'s free axes followed by `b`'s.
///
/// ```
/// use ndarray::array;
/// use spillway::{array::linalg::tensordot, from_ndarray};
/// let a = from_ndarray(array![[1.0, 2.0], [3.0, 4.0]], 1);
/// let b = from_ndarray(array![[5.0, 6.0], [7.0, 8.0]], [2, 1]);
/// let c = tensordot(&a, &b, 1).compute().unwrap();
/// assert_eq!(c, array![[19.0, 22.0], [43.0, 50.0]].into_dyn());
/// let full = tensordot(&a, &b, ([0, 1], [0, 1])).compute_scalar().unwrap();
/// assert_eq!(full, 5.0 + 12.0 + 21.0 + 32.0);
/// ```
pub fn tensordot<T: LinalgFloat>(
    a: &Array<T>,
    b: &Array<T>,
    axes: impl Into<TensorAxes>,
) -> Array<T> {
    match axes.into() {
        TensorAxes::Count(n) => {
            if n > a.ndim() || n > b.ndim() {
                return Array::invalid(LinalgError::InvalidArgument {
                    op: "tensordot",
                    message: format!(
                        "cannot contract {n} axes of shapes {} and {}; use at most {}",
                        python_tuple(a.shape()),
                        python_tuple(b.shape()),
                        a.ndim().min(b.ndim())
                    ),
                });
            }
            let a_axes: Vec<isize> = (a.ndim() - n..a.ndim()).map(|x| x as isize).collect();
            let b_axes: Vec<isize> = (0..n).map(|x| x as isize).collect();
            contract("tensordot", a, b, &a_axes, &b_axes)
        }
        TensorAxes::Pairs(x, y) => contract("tensordot", a, b, &x, &y),
    }
}

/// The matrix product, as `np.matmul` / `a @ b` for 1-d and 2-d operands (a 1-d operand
/// acts as a row vector on the left, a column vector on the right, and its axis is
/// dropped from the result).
///
/// ```
/// let a = spillway::ones::<f64>([4, 3], 2);
/// let b = spillway::ones::<f64>([3, 5], [1, 5]);
/// let c = spillway::array::linalg::matmul(&a, &b);
/// assert_eq!(c.shape(), &[4, 5]);
/// assert_eq!(c.sum().compute_scalar().unwrap(), 60.0);
/// ```
pub fn matmul<T: LinalgFloat>(a: &Array<T>, b: &Array<T>) -> Array<T> {
    const EXPECTED: &str = "1-d or 2-d operands (batched matmul of more dimensions is not supported; use tensordot or einsum)";
    if !(1..=2).contains(&a.ndim()) {
        return bad_rank("matmul", EXPECTED, a);
    }
    if !(1..=2).contains(&b.ndim()) {
        return bad_rank("matmul", EXPECTED, b);
    }
    let a_axis = a.ndim() as isize - 1;
    contract("matmul", a, b, &[a_axis], &[0])
}

/// The dot product, as `np.dot`: for 1-d and 2-d operands the inner or matrix product;
/// for more dimensions a sum over the last axis of `a` and the second-to-last of `b`.
///
/// ```
/// use ndarray::array;
/// let v = spillway::from_ndarray(array![1.0, 2.0, 3.0], 2);
/// assert_eq!(spillway::array::linalg::dot(&v, &v).compute_scalar().unwrap(), 14.0);
/// ```
pub fn dot<T: LinalgFloat>(a: &Array<T>, b: &Array<T>) -> Array<T> {
    const EXPECTED: &str = "operands of at least one dimension (scale by a scalar with *)";
    if a.ndim() == 0 {
        return bad_rank("dot", EXPECTED, a);
    }
    if b.ndim() == 0 {
        return bad_rank("dot", EXPECTED, b);
    }
    let b_axis = if b.ndim() >= 2 {
        b.ndim() as isize - 2
    } else {
        0
    };
    contract("dot", a, b, &[a.ndim() as isize - 1], &[b_axis])
}

/// The outer product of two vectors, as `np.outer` (1-d operands only: spillway has no
/// reshape to flatten others yet).
///
/// ```
/// use ndarray::array;
/// let a = spillway::from_ndarray(array![1.0, 2.0], 1);
/// let b = spillway::from_ndarray(array![3.0, 4.0, 5.0], 2);
/// let o = spillway::array::linalg::outer(&a, &b).compute().unwrap();
/// assert_eq!(o, array![[3.0, 4.0, 5.0], [6.0, 8.0, 10.0]].into_dyn());
/// ```
pub fn outer<T: LinalgFloat>(a: &Array<T>, b: &Array<T>) -> Array<T> {
    const EXPECTED: &str = "a 1-d vector";
    if a.ndim() != 1 {
        return bad_rank("outer", EXPECTED, a);
    }
    if b.ndim() != 1 {
        return bad_rank("outer", EXPECTED, b);
    }
    contract("outer", a, b, &[], &[])
}

/// The sum of elementwise products of two arrays of one shape, as `np.vdot` (a 0-d array).
///
/// ```
/// use ndarray::array;
/// let a = spillway::from_ndarray(array![[1.0, 2.0], [3.0, 4.0]], 1);
/// assert_eq!(spillway::array::linalg::vdot(&a, &a).compute_scalar().unwrap(), 30.0);
/// ```
pub fn vdot<T: LinalgFloat>(a: &Array<T>, b: &Array<T>) -> Array<T> {
    if a.shape() != b.shape() && a.error().is_none() && b.error().is_none() {
        return Array::invalid(LinalgError::InvalidArgument {
            op: "vdot",
            message: format!(
                "operands of shapes {} and {} differ; vdot needs two arrays of one shape",
                python_tuple(a.shape()),
                python_tuple(b.shape())
            ),
        });
    }
    let axes: Vec<isize> = (0..a.ndim() as isize).collect();
    contract("vdot", a, b, &axes, &axes)
}

impl<T: LinalgFloat> Array<T> {
    /// The matrix product `self @ other` (see [`matmul`]).
    ///
    /// ```
    /// let a = spillway::random::random([6, 4], 3);
    /// assert_eq!(a.matmul(&a.t()).shape(), &[6, 6]);
    /// ```
    pub fn matmul(&self, other: &Array<T>) -> Array<T> {
        matmul(self, other)
    }

    /// The dot product `self · other` (see [`dot`]).
    ///
    /// ```
    /// let a = spillway::ones::<f64>([3], 1);
    /// assert_eq!(a.dot(&a).compute_scalar().unwrap(), 3.0);
    /// ```
    pub fn dot(&self, other: &Array<T>) -> Array<T> {
        dot(self, other)
    }
}
