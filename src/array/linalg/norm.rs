//! `norm` of vectors and matrices, built from streaming reductions.

use super::LinalgError;
use super::tsqr::{check_tall_skinny, qr_exprs, small_svd};
use crate::array::Array;
use crate::array::chunks::python_tuple;
use crate::kernels::dense::LinalgFloat;

/// Which norm [`norm`] computes, as NumPy's `ord`.
///
/// | ord | vector | matrix |
/// | --- | --- | --- |
/// | `Default` | 2-norm | Frobenius |
/// | `Fro` | — | Frobenius |
/// | `One` | sum of `abs` | max column sum of `abs` |
/// | `Two` | 2-norm | largest singular value (tall-and-skinny, via TSQR) |
/// | `Inf` | max `abs` | max row sum of `abs` |
/// | `NegInf` | min `abs` | min row sum of `abs` |
///
/// ```
/// use spillway::array::linalg::NormOrd;
/// assert_ne!(NormOrd::One, NormOrd::Inf);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormOrd {
    /// The 2-norm of a vector, the Frobenius norm of a matrix.
    Default,
    /// Frobenius (matrices only).
    Fro,
    /// `ord=1`.
    One,
    /// `ord=2`.
    Two,
    /// `ord=inf`.
    Inf,
    /// `ord=-inf`.
    NegInf,
}

/// The norm of a 1-d or 2-d array, as `da.linalg.norm(x, ord)` (a 0-d array).
///
/// ```
/// use ndarray::array;
/// use spillway::array::linalg::{norm, NormOrd};
/// let v = spillway::from_ndarray(array![3.0, -4.0], 1);
/// assert_eq!(norm(&v, NormOrd::Default).compute_scalar().unwrap(), 5.0);
/// assert_eq!(norm(&v, NormOrd::One).compute_scalar().unwrap(), 7.0);
/// let m = spillway::from_ndarray(array![[1.0, -2.0], [3.0, 4.0]], 1);
/// assert_eq!(norm(&m, NormOrd::Inf).compute_scalar().unwrap(), 7.0);
/// assert_eq!(norm(&m, NormOrd::One).compute_scalar().unwrap(), 6.0);
/// ```
pub fn norm<T: LinalgFloat>(x: &Array<T>, ord: NormOrd) -> Array<T> {
    if let Some(e) = x.error() {
        return Array::invalid(e);
    }
    let bad = |expected: &'static str| {
        Array::invalid(LinalgError::BadRank {
            op: "norm",
            expected,
            shape: python_tuple(x.shape()),
        })
    };
    let frobenius = || x.powi(2).sum().sqrt();
    match (x.ndim(), ord) {
        (1, NormOrd::Default | NormOrd::Two) => frobenius(),
        (1, NormOrd::One) => x.abs().sum(),
        (1, NormOrd::Inf) => x.abs().max(),
        (1, NormOrd::NegInf) => x.abs().min(),
        (1, NormOrd::Fro) => bad("a 2-d matrix for the Frobenius norm"),
        (2, NormOrd::Default | NormOrd::Fro) => frobenius(),
        (2, NormOrd::One) => x.abs().sum_axis(0).max(),
        (2, NormOrd::Inf) => x.abs().sum_axis(1).max(),
        (2, NormOrd::NegInf) => x.abs().sum_axis(1).min(),
        (2, NormOrd::Two) => {
            if let Err(e) = check_tall_skinny("norm", x) {
                return Array::invalid(e);
            }
            let (_, r) = qr_exprs(&x.expr);
            let (_, s, _) = small_svd(r, "norm");
            Array::from_expr(s).max()
        }
        _ => bad("a 1-d or 2-d array"),
    }
}
