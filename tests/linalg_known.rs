//! Known answers for linear algebra: exact small products, ill-conditioned systems
//! (Hilbert matrices) with stated tolerances, and TSQR's accuracy on tall arrays.

use ndarray::{Array1, Array2, ArrayD, Ix2, array};
use spillway::array::linalg::{
    NormOrd, cholesky, einsum, inv, lstsq, norm, qr, solve, solve_triangular, svd, svd_compressed,
};
use spillway::{Client, dot, from_ndarray, matmul, outer, random, tensordot, vdot};

fn two(a: ArrayD<f64>) -> Array2<f64> {
    a.into_dimensionality::<Ix2>().unwrap()
}

fn hilbert(n: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, n), |(i, j)| 1.0 / (i + j + 1) as f64)
}

fn max_abs(a: &Array2<f64>) -> f64 {
    a.iter().fold(0.0f64, |m, &x| m.max(x.abs()))
}

fn fro(a: &Array2<f64>) -> f64 {
    a.iter().map(|x| x * x).sum::<f64>().sqrt()
}

#[test]
fn small_products_are_exact() {
    let a = from_ndarray(array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [1, 2]);
    let b = from_ndarray(array![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [2, 1]);
    let want = array![[4.0, 5.0], [10.0, 11.0]];
    assert_eq!(two(matmul(&a, &b).compute().unwrap()), want);
    assert_eq!(two(dot(&a, &b).compute().unwrap()), want);
    assert_eq!(two(tensordot(&a, &b, 1).compute().unwrap()), want);
    assert_eq!(two(einsum("ij,jk->ik", &[&a, &b]).compute().unwrap()), want);
    assert_eq!(two(einsum("ij,jk", &[&a, &b]).compute().unwrap()), want);
    assert_eq!(
        two(einsum("ij,jk->ki", &[&a, &b]).compute().unwrap()),
        want.t().to_owned()
    );
    let v = from_ndarray(array![1.0, -1.0, 2.0], 2);
    assert_eq!(matmul(&a, &v).compute_vec().unwrap(), vec![5.0, 11.0]);
    assert_eq!(matmul(&v, &b).compute_vec().unwrap(), vec![3.0, 1.0]);
    assert_eq!(vdot(&v, &v).compute_scalar().unwrap(), 6.0);
    assert_eq!(
        two(outer(&v, &v).compute().unwrap()),
        array![[1.0, -1.0, 2.0], [-1.0, 1.0, -2.0], [2.0, -2.0, 4.0]]
    );
    assert_eq!(einsum("ij->", &[&a]).compute_scalar().unwrap(), 21.0);
    assert_eq!(
        einsum("ij->j", &[&a]).compute_vec().unwrap(),
        vec![5.0, 7.0, 9.0]
    );
}

#[test]
fn empty_contraction_gives_zeros() {
    let a = spillway::zeros::<f64>([3, 0], 2);
    let b = spillway::zeros::<f64>([0, 2], 2);
    assert_eq!(
        two(matmul(&a, &b).compute().unwrap()),
        Array2::<f64>::zeros((3, 2))
    );
}

/// Hilbert matrices have cond(H_n) ≈ e^(3.5 n): 1.5e10 at n = 8. LU with partial
/// pivoting gives a backward-stable solution, so the residual stays near eps · ||H|| ||x||
/// while the forward error grows like cond · eps; the tolerances below say so.
#[test]
fn hilbert_solve_is_backward_stable() {
    let n = 8;
    let h = hilbert(n);
    let x_true = Array1::from_shape_fn(n, |i| (i + 1) as f64);
    let b = h.dot(&x_true);
    let x = solve(&from_ndarray(h.clone(), 3), &from_ndarray(b.clone(), 3))
        .compute()
        .unwrap()
        .into_dimensionality::<ndarray::Ix1>()
        .unwrap();
    let residual = (&h.dot(&x) - &b).iter().fold(0.0f64, |m, r| m.max(r.abs()));
    assert!(residual < 1e-12, "residual {residual}");
    let forward = (&x - &x_true).iter().fold(0.0f64, |m, r| m.max(r.abs()));
    // cond ≈ 1.5e10: a forward error of 1e-4 relative to ||x|| = 8 is the expected scale
    assert!(forward < 1e-3, "forward error {forward}");
}

#[test]
fn hilbert_inverse_and_cholesky() {
    let n = 6; // cond ≈ 1.5e7
    let h = hilbert(n);
    let hinv = two(inv(&from_ndarray(h.clone(), 2)).compute().unwrap());
    let eye = Array2::<f64>::eye(n);
    let err = max_abs(&(&h.dot(&hinv) - &eye));
    assert!(err < 1e-8, "H H⁻¹ - I = {err}");
    let l = two(cholesky(&from_ndarray(h.clone(), 2), true)
        .compute()
        .unwrap());
    let err = max_abs(&(&l.dot(&l.t()) - &h));
    assert!(err < 1e-14, "L Lᵀ - H = {err}");
    let u = two(cholesky(&from_ndarray(h.clone(), 4), false)
        .compute()
        .unwrap());
    assert_eq!(u, l.t().to_owned());
}

#[test]
fn triangular_solve_matches_substitution() {
    let u = array![[2.0, 1.0, -1.0], [0.0, 3.0, 2.0], [0.0, 0.0, 4.0]];
    let x_true = array![1.0, -2.0, 0.5];
    let b = u.dot(&x_true);
    let x = solve_triangular(&from_ndarray(u, 2), &from_ndarray(b, 2), false)
        .compute()
        .unwrap();
    for (got, want) in x.iter().zip(x_true.iter()) {
        let diff: f64 = got - want;
        assert!(diff.abs() < 1e-14);
    }
}

/// TSQR on a tall array of condition number about 1e10 (scaled columns mixed by a
/// random orthogonal matrix, so the ill-conditioning is not a mere column scaling): with
/// the refinement pass Q is orthonormal to 1e-12 and QR reproduces A to 1e-12 relative.
/// (Without it, Q = A R⁻¹ loses about eps · cond: 1e-6 here.)
#[test]
fn tsqr_is_accurate_on_an_ill_conditioned_tall_array() {
    let (m, n) = (2000, 12);
    let base = random::default_rng(3)
        .random([m, n], [m, n])
        .compute()
        .unwrap();
    let mut a = two(base);
    for j in 0..n {
        let scale = 10f64.powf(-10.0 * j as f64 / (n - 1) as f64);
        a.column_mut(j).mapv_inplace(|x| x * scale);
    }
    let mixer = two(qr(&random::default_rng(4).random([n, n], n))
        .0
        .compute()
        .unwrap());
    let a = a.dot(&mixer);
    let x = from_ndarray(a.clone(), [137, n]);
    let (q, r) = qr(&x);
    let (qv, rv) = spillway::compute((&q, &r)).unwrap();
    let (qv, rv) = (two(qv), two(rv));
    let recon = fro(&(&qv.dot(&rv) - &a)) / fro(&a);
    assert!(recon < 1e-12, "||QR - A|| / ||A|| = {recon}");
    let ortho = max_abs(&(&qv.t().dot(&qv) - &Array2::<f64>::eye(n)));
    assert!(ortho < 1e-12, "||QᵀQ - I|| = {ortho}");
    for i in 0..n {
        for j in 0..i {
            assert_eq!(rv[[i, j]], 0.0, "R is upper triangular");
        }
    }
}

#[test]
fn svd_reconstructs_and_matches_singular_values() {
    let (m, n) = (300, 5);
    let a = two(random::default_rng(9).random([m, n], 50).compute().unwrap());
    let x = from_ndarray(a.clone(), [64, n]);
    let (u, s, vt) = svd(&x);
    let (u, s, vt) = spillway::compute((&u, &s, &vt)).unwrap();
    let (u, vt) = (two(u), two(vt));
    let recon = u
        .dot(&Array2::from_diag(
            &s.clone().into_dimensionality::<ndarray::Ix1>().unwrap(),
        ))
        .dot(&vt);
    assert!(fro(&(&recon - &a)) / fro(&a) < 1e-12);
    let ortho = max_abs(&(&u.t().dot(&u) - &Array2::<f64>::eye(n)));
    assert!(ortho < 1e-12);
    // the 2-norm is the largest singular value
    let two_norm = norm(&x, NormOrd::Two).compute_scalar().unwrap();
    assert!((two_norm - s[[0]]).abs() < 1e-10 * s[[0]]);
}

#[test]
fn svd_compressed_recovers_a_low_rank_matrix() {
    let (m, n, k) = (400, 30, 3);
    let left = two(random::default_rng(1)
        .random([m, k], 100)
        .compute()
        .unwrap());
    let right = two(random::default_rng(2)
        .random([k, n], 100)
        .compute()
        .unwrap());
    let a = left.dot(&right);
    let x = from_ndarray(a.clone(), [100, n]);
    let (u, s, vt) = svd_compressed(&x, k, 2, 7);
    let (u, s, vt) = spillway::compute((&u, &s, &vt)).unwrap();
    let s1 = s.clone().into_dimensionality::<ndarray::Ix1>().unwrap();
    let recon = two(u).dot(&Array2::from_diag(&s1)).dot(&two(vt));
    let err = fro(&(&recon - &a)) / fro(&a);
    assert!(err < 1e-10, "rank-{k} reconstruction error {err}");
}

#[test]
fn lstsq_matches_normal_equations() {
    let (m, n) = (500, 4);
    let a = two(random::default_rng(4)
        .random([m, n], 100)
        .compute()
        .unwrap());
    let b = random::default_rng(5).random([m], 100).compute().unwrap();
    let b = b.into_dimensionality::<ndarray::Ix1>().unwrap();
    let (x, res) = lstsq(
        &from_ndarray(a.clone(), [70, n]),
        &from_ndarray(b.clone(), 70),
    );
    let (x, res) = spillway::compute((&x, &res)).unwrap();
    let x = x.into_dimensionality::<ndarray::Ix1>().unwrap();
    // the residual is orthogonal to the columns of a
    let r = &b - &a.dot(&x);
    let at_r = a.t().dot(&r);
    assert!(at_r.iter().all(|v| v.abs() < 1e-10), "Aᵀr = {at_r}");
    let rss: f64 = r.iter().map(|v| v * v).sum();
    assert!((res.iter().next().unwrap() - rss).abs() < 1e-9 * rss.max(1.0));
}

#[test]
fn norms_match_their_definitions() {
    let m = array![[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]];
    let x = from_ndarray(m.clone(), 1);
    let fro_want = (91.0f64).sqrt();
    assert!((norm(&x, NormOrd::Default).compute_scalar().unwrap() - fro_want).abs() < 1e-14);
    assert!((norm(&x, NormOrd::Fro).compute_scalar().unwrap() - fro_want).abs() < 1e-14);
    assert_eq!(norm(&x, NormOrd::One).compute_scalar().unwrap(), 9.0);
    assert_eq!(norm(&x, NormOrd::Inf).compute_scalar().unwrap(), 15.0);
    assert_eq!(norm(&x, NormOrd::NegInf).compute_scalar().unwrap(), 6.0);
    let v = from_ndarray(array![-3.0, 1.0, 2.0], 2);
    assert_eq!(norm(&v, NormOrd::Inf).compute_scalar().unwrap(), 3.0);
    assert_eq!(norm(&v, NormOrd::NegInf).compute_scalar().unwrap(), 1.0);
}

/// A product of operands that do not fit in the budget streams through it.
#[test]
fn matmul_streams_operands_larger_than_the_budget() {
    let client = Client::builder()
        .n_workers(1)
        .threads_per_worker(2)
        .memory_limit("8MB")
        .set_as_current(false)
        .build()
        .unwrap();
    let n = 1200; // each operand is 11.5 MB
    let a = random::default_rng(1).random([n, n], 200);
    let b = random::default_rng(2).random([n, n], 200);
    let got = matmul(&a, &b).sum().compute_on(&client).unwrap();
    let big = Client::builder()
        .n_workers(1)
        .memory_limit("1GB")
        .set_as_current(false)
        .build()
        .unwrap();
    let av = two(a.compute_on(&big).unwrap());
    let bv = two(b.compute_on(&big).unwrap());
    let want = av.dot(&bv).sum();
    let got = got.iter().next().copied().unwrap();
    assert!(((got - want) / want).abs() < 1e-12, "{got} vs {want}");
    client.close();
    big.close();
}
