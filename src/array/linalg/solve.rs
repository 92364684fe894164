//! Solvers on matrices that fit in memory: `solve`, `solve_triangular`, `cholesky`,
//! `inv`; and `lstsq`, which streams a tall `a` through TSQR.
//!
//! Each is a lazy node computed once, in its own stage, with faer; its inputs are pulled
//! whole into memory, which the planner checks against the budget before anything runs.
//! A singular or indefinite matrix fails the computation with a typed error.

use super::LinalgError;
use super::products::contract;
use super::staged::{SmallFn, small};
use super::tsqr::{check_tall_skinny, qr_exprs};
use crate::array::Array;
use crate::array::chunks::python_tuple;
use crate::error::Result;
use crate::graph::node::ExprRef;
use crate::kernels::dense::{LinalgFloat, Lu, cholesky_lower, solve_triangular as tri_solve};
use ndarray::{ArrayD, IxDyn};
use std::sync::Arc;

fn slice<T: LinalgFloat>(a: &ArrayD<T>) -> &[T] {
    a.as_slice().expect("pulled values are standard layout")
}

fn square<T: LinalgFloat>(op: &'static str, a: &Array<T>) -> Result<usize> {
    if let Some(e) = a.error() {
        return Err(e);
    }
    if a.ndim() != 2 {
        return Err(LinalgError::BadRank {
            op,
            expected: "a 2-d square matrix",
            shape: python_tuple(a.shape()),
        }
        .into());
    }
    if a.shape()[0] != a.shape()[1] {
        return Err(LinalgError::NotSquare {
            op,
            shape: python_tuple(a.shape()),
        }
        .into());
    }
    Ok(a.shape()[0])
}

/// Checks `b` against an `n x n` system: 1-d of length `n` or 2-d with `n` rows; returns
/// its number of columns.
fn rhs<T: LinalgFloat>(op: &'static str, a: &Array<T>, b: &Array<T>, n: usize) -> Result<usize> {
    if let Some(e) = b.error() {
        return Err(e);
    }
    if !(1..=2).contains(&b.ndim()) || b.shape()[0] != n {
        return Err(LinalgError::InvalidArgument {
            op,
            message: format!(
                "the right-hand side has shape {} but a has shape {}; give b of shape ({n},) or ({n}, k)",
                python_tuple(b.shape()),
                python_tuple(a.shape())
            ),
        }
        .into());
    }
    Ok(if b.ndim() == 2 { b.shape()[1] } else { 1 })
}

/// An LU factorisation, or the singular-matrix error when a pivot is negligible against
/// the largest (relative size below `n · eps`).
fn lu_checked<T: LinalgFloat>(op: &'static str, a: &[T], n: usize) -> Result<Lu<T>> {
    let lu = Lu::new(a, n);
    let (lo, hi) = lu.pivot_range();
    let eps = T::eps().to_f64();
    if n > 0 && (lo.is_nan() || lo <= hi * eps * n as f64 || hi == 0.0) {
        return Err(LinalgError::Singular {
            op,
            shape: python_tuple([n, n]),
            pivot: lo,
            largest: hi,
        }
        .into());
    }
    Ok(lu)
}

fn make<T: LinalgFloat>(
    label: &str,
    inputs: Vec<ExprRef<T>>,
    shape: Vec<usize>,
    f: SmallFn<T>,
) -> Array<T> {
    Array::from_expr(small(label, inputs, shape, f))
}

/// Solves `a x = b` for a square `a`, as `da.linalg.solve`, by LU with partial pivoting.
/// A singular `a` (a pivot below `n · eps` of the largest) fails `compute()` with
/// [`LinalgError::Singular`].
///
/// ```
/// use ndarray::array;
/// use spillway::{array::linalg::solve, from_ndarray};
/// let a = from_ndarray(array![[3.0f64, 1.0], [1.0, 2.0]], 1);
/// let b = from_ndarray(array![9.0, 8.0], 1);
/// let x = solve(&a, &b).compute().unwrap();
/// assert!((x[[0]] - 2.0).abs() < 1e-12 && (x[[1]] - 3.0).abs() < 1e-12);
/// let singular = from_ndarray(array![[1.0, 2.0], [2.0, 4.0]], 1);
/// assert!(solve(&singular, &b).compute().is_err());
/// ```
pub fn solve<T: LinalgFloat>(a: &Array<T>, b: &Array<T>) -> Array<T> {
    let checked = square("solve", a).and_then(|n| Ok((n, rhs("solve", a, b, n)?)));
    let (n, k) = match checked {
        Ok(v) => v,
        Err(e) => return Array::invalid(e),
    };
    let shape = b.shape().to_vec();
    let out_shape = shape.clone();
    let f: SmallFn<T> = Arc::new(move |v: &[ArrayD<T>]| {
        let lu = lu_checked("solve", slice(&v[0]), n)?;
        let x = lu.solve(slice(&v[1]), k);
        Ok(ArrayD::from_shape_vec(IxDyn(&out_shape), x).expect("x has b's shape"))
    });
    make("solve", vec![a.expr.clone(), b.expr.clone()], shape, f)
}

/// Solves `a x = b` for a triangular `a` (its `lower` or upper triangle is read), as
/// `da.linalg.solve_triangular`. A zero on the diagonal fails `compute()` with
/// [`LinalgError::Singular`].
///
/// ```
/// use ndarray::array;
/// use spillway::{array::linalg::solve_triangular, from_ndarray};
/// let l = from_ndarray(array![[2.0, 0.0], [1.0, 1.0]], 1);
/// let b = from_ndarray(array![4.0, 5.0], 1);
/// assert_eq!(solve_triangular(&l, &b, true).compute_vec().unwrap(), vec![2.0, 3.0]);
/// ```
pub fn solve_triangular<T: LinalgFloat>(a: &Array<T>, b: &Array<T>, lower: bool) -> Array<T> {
    let checked =
        square("solve_triangular", a).and_then(|n| Ok((n, rhs("solve_triangular", a, b, n)?)));
    let (n, k) = match checked {
        Ok(v) => v,
        Err(e) => return Array::invalid(e),
    };
    let shape = b.shape().to_vec();
    let out_shape = shape.clone();
    let f: SmallFn<T> = Arc::new(move |v: &[ArrayD<T>]| {
        let t = slice(&v[0]);
        let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
        for i in 0..n {
            let d = t[i * n + i].to_f64().abs();
            lo = lo.min(d);
            hi = hi.max(d);
        }
        if n > 0 && (lo == 0.0 || lo.is_nan()) {
            return Err(LinalgError::Singular {
                op: "solve_triangular",
                shape: python_tuple([n, n]),
                pivot: lo,
                largest: hi,
            }
            .into());
        }
        let mut x = slice(&v[1]).to_vec();
        tri_solve(t, &mut x, n, k, lower);
        Ok(ArrayD::from_shape_vec(IxDyn(&out_shape), x).expect("x has b's shape"))
    });
    make(
        "solve_triangular",
        vec![a.expr.clone(), b.expr.clone()],
        shape,
        f,
    )
}

/// The Cholesky factor of a symmetric positive-definite matrix, as `da.linalg.cholesky`:
/// upper `u` with `a = uᵀu`, or lower `l` with `a = l lᵀ` when `lower`. A matrix that is
/// not positive definite fails `compute()` with [`LinalgError::NotPositiveDefinite`].
///
/// ```
/// use ndarray::array;
/// use spillway::{array::linalg::cholesky, from_ndarray};
/// let a = from_ndarray(array![[4.0, 2.0], [2.0, 5.0]], 1);
/// let l = cholesky(&a, true).compute().unwrap();
/// assert_eq!(l, array![[2.0, 0.0], [1.0, 2.0]].into_dyn());
/// assert!(cholesky(&from_ndarray(array![[1.0, 2.0], [2.0, 1.0]], 1), true).compute().is_err());
/// ```
pub fn cholesky<T: LinalgFloat>(a: &Array<T>, lower: bool) -> Array<T> {
    let n = match square("cholesky", a) {
        Ok(n) => n,
        Err(e) => return Array::invalid(e),
    };
    let f: SmallFn<T> = Arc::new(move |v: &[ArrayD<T>]| {
        let l =
            cholesky_lower(slice(&v[0]), n).ok_or_else(|| LinalgError::NotPositiveDefinite {
                op: "cholesky",
                shape: python_tuple([n, n]),
            })?;
        let l = ArrayD::from_shape_vec(IxDyn(&[n, n]), l).expect("n x n");
        Ok(if lower {
            l
        } else {
            l.t().as_standard_layout().into_owned()
        })
    });
    make("cholesky", vec![a.expr.clone()], vec![n, n], f)
}

/// The inverse of a square matrix, as `da.linalg.inv`, by LU. A singular matrix fails
/// `compute()` with [`LinalgError::Singular`].
///
/// ```
/// use ndarray::array;
/// use spillway::{array::linalg::inv, from_ndarray};
/// let a = from_ndarray(array![[2.0, 0.0], [0.0, 4.0]], 1);
/// assert_eq!(inv(&a).compute().unwrap(), array![[0.5, 0.0], [0.0, 0.25]].into_dyn());
/// ```
pub fn inv<T: LinalgFloat>(a: &Array<T>) -> Array<T> {
    let n = match square("inv", a) {
        Ok(n) => n,
        Err(e) => return Array::invalid(e),
    };
    let f: SmallFn<T> = Arc::new(move |v: &[ArrayD<T>]| {
        let lu = lu_checked("inv", slice(&v[0]), n)?;
        Ok(ArrayD::from_shape_vec(IxDyn(&[n, n]), lu.inverse()).expect("n x n"))
    });
    make("inv", vec![a.expr.clone()], vec![n, n], f)
}

/// The least-squares solution of `a x = b` for a tall-and-skinny `a` (chunked along rows
/// only), as `da.linalg.lstsq` without its rank and singular values: `(x, residuals)`
/// with `residuals` the sum of squared residuals per column of `b` (a 0-d array for a
/// 1-d `b`). Out of core through TSQR: `x = R⁻¹ (Qᵀ b)`. A rank-deficient `a` fails
/// `compute()` with [`LinalgError::Singular`].
///
/// ```
/// use ndarray::array;
/// use spillway::{array::linalg::lstsq, from_ndarray};
/// let a = from_ndarray(array![[1.0f64, 0.0], [1.0, 1.0], [1.0, 2.0]], [2, 2]);
/// let b = from_ndarray(array![1.0, 2.0, 4.0], 2);
/// let (x, res) = lstsq(&a, &b);
/// let x = x.compute().unwrap();
/// assert!((x[[0]] - 5.0 / 6.0).abs() < 1e-12 && (x[[1]] - 1.5).abs() < 1e-12);
/// assert!((res.compute_scalar().unwrap() - 1.0 / 6.0).abs() < 1e-12);
/// ```
pub fn lstsq<T: LinalgFloat>(a: &Array<T>, b: &Array<T>) -> (Array<T>, Array<T>) {
    let fail = |e: crate::error::Error| (Array::invalid(e.clone()), Array::invalid(e));
    if let Err(e) = check_tall_skinny("lstsq", a) {
        return fail(e);
    }
    let (m, n) = (a.shape()[0], a.shape()[1]);
    let k = match rhs("lstsq", a, b, m) {
        Ok(k) => k,
        Err(e) => return fail(e),
    };
    let (q, r) = qr_exprs(&a.expr);
    let qtb = contract("lstsq_qtb", &Array::from_expr(q), b, &[0], &[0]);
    let mut shape = vec![n];
    if b.ndim() == 2 {
        shape.push(k);
    }
    let out_shape = shape.clone();
    let f: SmallFn<T> = Arc::new(move |v: &[ArrayD<T>]| {
        let r = slice(&v[0]);
        let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
        for i in 0..n {
            let d = r[i * n + i].to_f64().abs();
            lo = lo.min(d);
            hi = hi.max(d);
        }
        if n > 0 && (lo.is_nan() || lo <= hi * T::eps().to_f64() * m.max(n) as f64) {
            return Err(LinalgError::Singular {
                op: "lstsq",
                shape: python_tuple([m, n]),
                pivot: lo,
                largest: hi,
            }
            .into());
        }
        let mut x = slice(&v[1]).to_vec();
        tri_solve(r, &mut x, n, k, false);
        Ok(ArrayD::from_shape_vec(IxDyn(&out_shape), x).expect("x shape"))
    });
    let x = make("lstsq", vec![r, qtb.expr.clone()], shape, f);
    let resid = &matmul_or_dot(a, &x) - b;
    let residuals = resid.powi(2).sum_axis(0);
    (x, residuals)
}

fn matmul_or_dot<T: LinalgFloat>(a: &Array<T>, x: &Array<T>) -> Array<T> {
    super::products::matmul(a, x)
}
