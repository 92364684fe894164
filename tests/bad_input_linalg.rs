//! Bad input to linear algebra: typed errors that name the shapes and the fix, never a
//! panic and never NaNs.

use ndarray::array;
use spillway::array::linalg::{
    LinalgError, cholesky, einsum, inv, lstsq, qr, solve, solve_triangular, svd, svd_compressed,
};
use spillway::{Error, dot, from_ndarray, matmul, outer, random, tensordot, vdot, zeros};

fn linalg_error(e: Error) -> LinalgError {
    match e {
        Error::Linalg(l) => l,
        other => panic!("expected a linear-algebra error, got {other:?}"),
    }
}

#[test]
fn contraction_axes_of_different_sizes_name_both_shapes() {
    let a = zeros::<f64>([3, 4], 2);
    let b = zeros::<f64>([5, 2], 2);
    for (op, x) in [
        ("matmul", matmul(&a, &b)),
        ("dot", dot(&a, &b)),
        ("tensordot", tensordot(&a, &b, 1)),
        ("einsum", einsum("ij,jk->ik", &[&a, &b])),
    ] {
        let e = linalg_error(x.compute().unwrap_err());
        let text = e.to_string();
        assert!(
            matches!(e, LinalgError::ContractionMismatch { .. }),
            "{op}: {e:?}"
        );
        assert!(
            text.contains("(3, 4)") && text.contains("(5, 2)"),
            "{op}: {text}"
        );
        assert!(
            text.contains("extent 4") && text.contains("extent 5"),
            "{op}: {text}"
        );
    }
}

#[test]
fn bad_axes_and_ranks_are_errors() {
    let a = zeros::<f64>([3, 4], 2);
    let v = zeros::<f64>([3], 2);
    let t = zeros::<f64>([2, 2, 2], 2);
    assert!(tensordot(&a, &a, ([5], [0])).check().is_err());
    assert!(tensordot(&a, &a, ([0, 0], [0, 1])).check().is_err());
    assert!(tensordot(&a, &a, (vec![0], vec![0, 1])).check().is_err());
    assert!(tensordot(&a, &a, 3).check().is_err());
    let e = linalg_error(matmul(&t, &t).compute().unwrap_err());
    assert!(e.to_string().contains("(2, 2, 2)"), "{e}");
    assert!(outer(&a, &v).check().is_err());
    assert!(vdot(&a, &v).check().is_err());
    assert!(dot(&zeros::<f64>([], 1), &v).check().is_err());
}

#[test]
fn unsupported_einsum_forms_say_why() {
    let a = zeros::<f64>([3, 3], 2);
    let b = zeros::<f64>([2, 3, 3], 2);
    for (subscripts, operands, needle) in [
        ("ii->i", vec![&a], "repeats"),
        ("bij,bjk->bik", vec![&b, &b], "batch"),
        ("ij,jk->iz", vec![&a, &a], "in no operand"),
        ("ij", vec![&a, &a], "operand"),
        ("i...->i", vec![&a], "ellipses"),
        ("ijk->i", vec![&a], "names 3 axes"),
    ] {
        let e = linalg_error(einsum(subscripts, &operands).compute().unwrap_err());
        assert!(matches!(e, LinalgError::Einsum { .. }));
        assert!(e.to_string().contains(needle), "{subscripts}: {e}");
    }
}

#[test]
fn singular_matrices_are_errors_not_nans() {
    let singular = from_ndarray(array![[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]], 2);
    let b = from_ndarray(array![1.0, 2.0, 3.0], 2);
    let e = linalg_error(solve(&singular, &b).compute().unwrap_err());
    assert!(matches!(e, LinalgError::Singular { .. }), "{e:?}");
    assert!(
        e.to_string().contains("(3, 3)") && e.to_string().contains("lstsq"),
        "{e}"
    );
    let e = linalg_error(inv(&singular).compute().unwrap_err());
    assert!(matches!(e, LinalgError::Singular { .. }));
    let zero_diag = from_ndarray(array![[1.0, 0.0], [1.0, 0.0]], 2);
    let e = linalg_error(
        solve_triangular(&zero_diag, &from_ndarray(array![1.0, 1.0], 2), true)
            .compute()
            .unwrap_err(),
    );
    assert!(matches!(e, LinalgError::Singular { .. }));
    let indefinite = from_ndarray(array![[1.0, 2.0], [2.0, 1.0]], 2);
    let e = linalg_error(cholesky(&indefinite, true).compute().unwrap_err());
    assert!(matches!(e, LinalgError::NotPositiveDefinite { .. }));
    // a rank-deficient least-squares problem
    let deficient = from_ndarray(array![[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]], [2, 2]);
    let (x, _) = lstsq(&deficient, &from_ndarray(array![1.0, 2.0, 3.0], 2));
    let e = linalg_error(x.compute().unwrap_err());
    assert!(matches!(e, LinalgError::Singular { .. }), "{e:?}");
}

#[test]
fn non_square_and_mismatched_systems_name_shapes() {
    let a = zeros::<f64>([3, 4], 2);
    let e = linalg_error(solve(&a, &zeros::<f64>([3], 1)).compute().unwrap_err());
    assert!(matches!(e, LinalgError::NotSquare { .. }) && e.to_string().contains("(3, 4)"));
    let sq = zeros::<f64>([3, 3], 2);
    let e = linalg_error(solve(&sq, &zeros::<f64>([4], 1)).compute().unwrap_err());
    assert!(
        e.to_string().contains("(4,)") && e.to_string().contains("(3, 3)"),
        "{e}"
    );
    assert!(inv(&a).check().is_err());
    assert!(cholesky(&zeros::<f64>([3], 1), true).check().is_err());
}

#[test]
fn tsqr_refuses_input_that_is_not_tall_and_skinny_and_says_how_to_rechunk() {
    // columns over two chunks
    let x = random::random([100, 10], [20, 5]);
    let e = linalg_error(qr(&x).0.compute().unwrap_err());
    let text = e.to_string();
    assert!(matches!(e, LinalgError::NotTallSkinny { .. }));
    assert!(
        text.contains("(100, 10)") && text.contains("rechunk((20, -1))"),
        "{text}"
    );
    // wider than tall
    let wide = random::random([5, 10], [5, 10]);
    let e = linalg_error(svd(&wide).1.compute().unwrap_err());
    assert!(matches!(e, LinalgError::NotTallSkinny { .. }));
    assert!(qr(&zeros::<f64>([4], 2)).1.check().is_err());
    let (u, _, _) = svd_compressed(&random::random([50, 10], [10, 10]), 11, 0, 1);
    assert!(u.check().is_err());
    let (u, _, _) = svd_compressed(&random::random([50, 10], [10, 5]), 2, 0, 1);
    assert!(u.check().is_err());
}
