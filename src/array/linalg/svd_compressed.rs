//! `svd_compressed`: a randomised low-rank SVD (Halko, Martinsson and Tropp's range
//! finder with power iterations), out of core.

use super::LinalgError;
use super::products::contract;
use super::staged::tsqr_r;
use super::staged::{SmallFn, small};
use super::tsqr::{small_product, small_svd};
use crate::array::Array;
use crate::array::chunks::python_tuple;
use crate::dtype::Element;
use crate::graph::node::ExprRef;
use crate::kernels::dense::LinalgFloat;
use crate::kernels::dense::svd as dense_svd;
use ndarray::{ArrayD, Slice};
use std::sync::Arc;

/// Extra columns sampled beyond `k` (the range finder's oversampling).
pub const OVERSAMPLING: usize = 10;

/// The first `keep` columns (rows, when `along_rows`) of a small array, as a small node.
fn leading<T: LinalgFloat>(x: ExprRef<T>, keep: usize, along_rows: bool) -> ExprRef<T> {
    let mut shape = x.meta().shape.clone();
    let axis = if along_rows { 0 } else { shape.len() - 1 };
    shape[axis] = keep;
    let f: SmallFn<T> = Arc::new(move |v: &[ArrayD<T>]| {
        let part = v[0].slice_axis(ndarray::Axis(axis), Slice::from(0..keep));
        Ok(part.as_standard_layout().into_owned())
    });
    small("svd_compressed", vec![x], shape, f)
}

/// `V S⁺` from the SVD `R = U S Vᵀ` of a small square R, with singular values below
/// `n · eps · s_max` treated as zero: `Y V S⁺` is then orthonormal on the range of `Y`
/// (`Q U` for `Y = Q R`) and zero elsewhere, even when `Y` is rank-deficient.
fn pinv_factor<T: LinalgFloat>(r: ExprRef<T>) -> ExprRef<T> {
    let n = r.meta().shape[0];
    let f: SmallFn<T> = Arc::new(move |v: &[ArrayD<T>]| {
        let values = v[0].as_slice().expect("standard layout");
        let (_, s, vt) = dense_svd(values, n, n).ok_or_else(|| LinalgError::NoConvergence {
            op: "svd_compressed",
            shape: python_tuple([n, n]),
        })?;
        let s_max = s.first().map_or(0.0, |&x| Element::to_f64(x));
        let cut = s_max * n as f64 * Element::to_f64(T::eps());
        let mut out = vec![T::default(); n * n];
        for i in 0..n {
            for (j, &sj) in s.iter().enumerate() {
                if Element::to_f64(sj) > cut {
                    out[i * n + j] = vt[j * n + i] / sj;
                }
            }
        }
        Ok(ArrayD::from_shape_vec(ndarray::IxDyn(&[n, n]), out).expect("n x n"))
    });
    small("svd_compressed", vec![r], vec![n, n], f)
}

/// An orthonormal basis of the range of a tall sample `y` (columns in one chunk), robust
/// to rank deficiency: two passes of `y ← y V S⁺` from TSQR R's.
fn orth<T: LinalgFloat>(y: &Array<T>) -> Array<T> {
    let m1 = pinv_factor(tsqr_r(y.expr.clone()));
    let q1 = contract(
        "svd_compressed",
        y,
        &Array::from_expr(m1.clone()),
        &[1],
        &[0],
    );
    let m2 = pinv_factor(tsqr_r(q1.expr.clone()));
    let m = small_product("svd_compressed", m1, m2);
    contract("svd_compressed", y, &Array::from_expr(m), &[1], &[0])
}

/// A materialised copy of a small matrix (so that readers do not recompute it).
fn persist<T: LinalgFloat>(x: &Array<T>) -> Array<T> {
    let shape = x.shape().to_vec();
    let f: SmallFn<T> = Arc::new(|v: &[ArrayD<T>]| Ok(v[0].clone()));
    Array::from_expr(small("persist", vec![x.expr.clone()], shape, f))
}

/// The rank-`k` truncated SVD of a 2-d array by randomised projection, as
/// `da.linalg.svd_compressed(a, k, n_power_iter, seed)`: `(u (m x k), s (k), vt (k x n))`.
///
/// `a` is sampled with a `n x (k + 10)` Gaussian matrix drawn from `seed`; each power
/// iteration multiplies by `a aᵀ` once more (sharper for slowly decaying spectra). The
/// tall `m x (k + 10)` samples go through TSQR, so `a`'s rows must sit in row blocks with
/// its columns in one chunk. `aᵀ q` and `qᵀ a` are `n x (k + 10)` and kept in memory.
///
/// ```
/// use spillway::array::linalg::svd_compressed;
/// // an exactly rank-2 matrix: the first 2 singular values carry everything
/// let u = spillway::random::random([500, 2], [100, 2]);
/// let v = spillway::random::random([2, 40], [2, 40]);
/// let a = u.matmul(&v);
/// let (_, s, _) = svd_compressed(&a, 2, 1, 42);
/// let s = s.compute().unwrap();
/// assert_eq!(s.len(), 2);
/// assert!(s[[0]] >= s[[1]] && s[[1]] > 1.0);
/// ```
pub fn svd_compressed<T: LinalgFloat>(
    a: &Array<T>,
    k: usize,
    n_power_iter: usize,
    seed: u64,
) -> (Array<T>, Array<T>, Array<T>) {
    let fail = |e: crate::error::Error| {
        (
            Array::invalid(e.clone()),
            Array::invalid(e.clone()),
            Array::invalid(e),
        )
    };
    if let Some(e) = a.error() {
        return fail(e);
    }
    if a.ndim() != 2 {
        return fail(
            LinalgError::BadRank {
                op: "svd_compressed",
                expected: "a 2-d array",
                shape: python_tuple(a.shape()),
            }
            .into(),
        );
    }
    let (m, n) = (a.shape()[0], a.shape()[1]);
    if k == 0 || k > m.min(n) {
        return fail(
            LinalgError::InvalidArgument {
                op: "svd_compressed",
                message: format!(
                    "rank k={k} is not in 1..={} for an array of shape {}",
                    m.min(n),
                    python_tuple(a.shape())
                ),
            }
            .into(),
        );
    }
    if a.numblocks()[1] > 1 {
        return fail(
            LinalgError::NotTallSkinny {
                op: "svd_compressed",
                shape: python_tuple(a.shape()),
                chunks: a.chunks().to_string(),
                rows: a.chunksize()[0],
            }
            .into(),
        );
    }
    let l = (k + OVERSAMPLING).min(m.min(n));
    let omega: Array<T> = crate::array::random::default_rng(seed)
        .normal(0.0, 1.0, [n, l], [n, l])
        .astype::<T>();
    let mut q = orth(&contract("svd_compressed", a, &omega, &[1], &[0]));
    for _ in 0..n_power_iter {
        // z = aᵀ q is n x l: small, kept in memory so that a q does not recompute it
        let z = persist(&contract("svd_compressed", a, &q, &[0], &[0]));
        q = orth(&contract("svd_compressed", a, &z, &[1], &[0]));
    }
    // b = qᵀ a (l x n), small
    let b = persist(&contract("svd_compressed", &q, a, &[0], &[0]));
    let (ub, s, vt) = small_svd(b.expr.clone(), "svd_compressed");
    let ub_k = leading(ub, k, false);
    let u = contract("svd_compressed", &q, &Array::from_expr(ub_k), &[1], &[0]);
    (
        u,
        Array::from_expr(leading(s, k, true)),
        Array::from_expr(leading(vt, k, true)),
    )
}
