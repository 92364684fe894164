//! Properties of linear algebra against ndarray references, over random shapes (empty
//! and size-1 axes included) and chunkings (chunks of 1, uneven, operands chunked
//! differently along the contracted axes).
//!
//! Tolerances: products of values in [-10, 10] with at most 9 terms agree with ndarray to
//! 1e-12 relative to the sum of absolute products; QR and solves are checked through
//! their defining identities to 1e-10.

mod common;

use common::{axis_chunks, chunking};
use ndarray::{Array2, ArrayD, Ix2, IxDyn};
use proptest::prelude::*;
use spillway::array::linalg::{qr, solve};
use spillway::{einsum, from_ndarray, matmul, tensordot};

fn values(len: usize) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(-10.0f64..10.0, len)
}

/// (m, k, n), A's values and chunks, B's values and chunks.
type MatmulCase = (
    (usize, usize, usize),
    Vec<f64>,
    Vec<Vec<usize>>,
    Vec<f64>,
    Vec<Vec<usize>>,
);

fn matmul_case() -> impl Strategy<Value = MatmulCase> {
    (0usize..8, 0usize..9, 0usize..8).prop_flat_map(|(m, k, n)| {
        (
            Just((m, k, n)),
            values(m * k),
            chunking(&[m, k]),
            values(k * n),
            chunking(&[k, n]),
        )
    })
}

fn close(got: &ArrayD<f64>, want: &ArrayD<f64>, scale: &ArrayD<f64>) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.shape(), want.shape());
    for ((g, w), s) in got.iter().zip(want.iter()).zip(scale.iter()) {
        prop_assert!((g - w).abs() <= 1e-12 * s.max(1.0), "{} vs {}", g, w);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn matmul_matches_ndarray(((m, k, n), av, ac, bv, bc) in matmul_case()) {
        let a = Array2::from_shape_vec((m, k), av).unwrap();
        let b = Array2::from_shape_vec((k, n), bv).unwrap();
        let want = a.dot(&b).into_dyn();
        let scale = a.mapv(f64::abs).dot(&b.mapv(f64::abs)).into_dyn();
        let got = matmul(&from_ndarray(a.clone(), ac.clone()), &from_ndarray(b.clone(), bc.clone()))
            .compute()
            .unwrap();
        close(&got, &want, &scale)?;
        // the same product from stored transposes, read in place by the kernel
        let at = from_ndarray(a.t().as_standard_layout().into_owned(), vec![ac[1].clone(), ac[0].clone()]);
        let bt = from_ndarray(b.t().as_standard_layout().into_owned(), vec![bc[1].clone(), bc[0].clone()]);
        let from_at = tensordot(&at, &from_ndarray(b.clone(), bc.clone()), ([0], [0])).compute().unwrap();
        close(&from_at, &want, &scale)?;
        let from_bt = tensordot(&from_ndarray(a.clone(), ac.clone()), &bt, ([1], [1])).compute().unwrap();
        close(&from_bt, &want, &scale)?;
        let both = tensordot(&at, &bt, ([0], [1])).compute().unwrap();
        close(&both, &want, &scale)?;
        // the same product through einsum with a transposed output
        let got_t = einsum("ij,jk->ki", &[&from_ndarray(a, ac), &from_ndarray(b, bc)])
            .compute()
            .unwrap();
        close(&got_t, &want.t().to_owned(), &scale.t().to_owned())?;
    }

    /// tensordot of a 3-d and a 2-d array over a random pair of axes.
    #[test]
    fn tensordot_matches_a_direct_sum(
        (shape, a_axis, b_free_first, av, ac, bv, bc) in (1usize..4, 0usize..4, 1usize..4, 0usize..3, any::<bool>())
            .prop_flat_map(|(d0, d1, d2, a_axis, b_free_first)| {
                let shape = [d0, d1, d2];
                let k = shape[a_axis];
                let b_shape = if b_free_first { [3, k] } else { [k, 3] };
                (
                    Just(shape),
                    Just(a_axis),
                    Just(b_free_first),
                    values(d0 * d1 * d2),
                    chunking(&shape),
                    values(3 * k),
                    chunking(&b_shape),
                )
            })
    ) {
        let a = ArrayD::from_shape_vec(IxDyn(&shape), av).unwrap();
        let k = shape[a_axis];
        let b_shape = if b_free_first { [3, k] } else { [k, 3] };
        let b = Array2::from_shape_vec(b_shape, bv).unwrap();
        let b_axis = if b_free_first { 1 } else { 0 };
        let got = tensordot(
            &from_ndarray(a.clone(), ac),
            &from_ndarray(b.clone(), bc),
            ([a_axis as isize], [b_axis as isize]),
        )
        .compute()
        .unwrap();
        // reference: out[free a..., j] = sum_t a[.. t ..] * b[t, j] (or b[j, t])
        let free: Vec<usize> = (0..3).filter(|&x| x != a_axis).collect();
        let mut out_shape: Vec<usize> = free.iter().map(|&x| shape[x]).collect();
        out_shape.push(3);
        let mut want = ArrayD::<f64>::zeros(IxDyn(&out_shape));
        let mut scale = ArrayD::<f64>::zeros(IxDyn(&out_shape));
        for idx in ndarray::indices(IxDyn(&out_shape)) {
            let (mut s, mut sa) = (0.0, 0.0);
            for t in 0..k {
                let mut ai = [0usize; 3];
                ai[free[0]] = idx[0];
                ai[free[1]] = idx[1];
                ai[a_axis] = t;
                let bval = if b_free_first { b[[idx[2], t]] } else { b[[t, idx[2]]] };
                s += a[IxDyn(&ai)] * bval;
                sa += (a[IxDyn(&ai)] * bval).abs();
            }
            want[&idx] = s;
            scale[&idx] = sa;
        }
        close(&got, &want, &scale)?;
    }

    /// Q R = A and QᵀQ = I for tall arrays under any row chunking.
    #[test]
    fn tsqr_factors_any_row_chunking(
        (m, n, av, rows) in (1usize..6).prop_flat_map(|n| (n..40usize).prop_map(move |m| (m, n)))
            .prop_flat_map(|(m, n)| (Just(m), Just(n), values(m * n), axis_chunks(m)))
    ) {
        let a = Array2::from_shape_vec((m, n), av).unwrap();
        let (q, r) = qr(&from_ndarray(a.clone(), vec![rows, vec![n]]));
        let (q, r) = spillway::compute((&q, &r)).unwrap();
        let q = q.into_dimensionality::<Ix2>().unwrap();
        let r = r.into_dimensionality::<Ix2>().unwrap();
        let recon = q.dot(&r);
        let norm_a = a.iter().map(|x| x * x).sum::<f64>().sqrt().max(1.0);
        for (x, y) in recon.iter().zip(a.iter()) {
            prop_assert!((x - y).abs() <= 1e-10 * norm_a);
        }
        // random matrices this small can be near rank-deficient: check orthonormality only
        // when R is well conditioned
        let diag: Vec<f64> = (0..n).map(|i| r[[i, i]].abs()).collect();
        let (lo, hi) = diag.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &d| (l.min(d), h.max(d)));
        if lo > 1e-3 * hi {
            let qtq = q.t().dot(&q);
            for i in 0..n {
                for j in 0..n {
                    let want = if i == j { 1.0 } else { 0.0 };
                    prop_assert!((qtq[[i, j]] - want).abs() < 1e-10, "QᵀQ[{}, {}] = {}", i, j, qtq[[i, j]]);
                }
            }
        }
    }

    /// solve on diagonally dominant systems: a x = b to 1e-10.
    #[test]
    fn solve_satisfies_the_system(
        (n, av, bv, ac) in (1usize..9).prop_flat_map(|n| (Just(n), values(n * n), values(n), chunking(&[n, n])))
    ) {
        let mut a = Array2::from_shape_vec((n, n), av).unwrap();
        for i in 0..n {
            a[[i, i]] += 100.0;
        }
        let b = ndarray::Array1::from_vec(bv);
        let x = solve(&from_ndarray(a.clone(), ac), &from_ndarray(b.clone(), 3))
            .compute()
            .unwrap()
            .into_dimensionality::<ndarray::Ix1>()
            .unwrap();
        let r = &a.dot(&x) - &b;
        prop_assert!(r.iter().all(|v| v.abs() < 1e-10), "residual {}", r);
    }
}
