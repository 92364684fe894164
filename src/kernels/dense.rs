//! Dense kernels on row-major slices, wrapping faer: matrix products, QR, SVD, LU,
//! Cholesky and triangular solves.
//!
//! Spillway keeps values row-major; faer views a row-major `m x n` slice as a matrix with
//! unit column stride, so no kernel here copies its operands to change layout.

use crate::dtype::{Element, FloatElement};
use faer::linalg::solvers::{DenseSolveCore, Solve};
use faer::{Accum, Mat, MatMut, MatRef, Par, Side};

/// The element types linear algebra runs on: `f32` and `f64`.
///
/// ```
/// fn takes<T: spillway::kernels::dense::LinalgFloat>() {}
/// takes::<f64>();
/// takes::<f32>();
/// ```
pub trait LinalgFloat:
    Element<Sum = Self, Float = Self> + FloatElement + faer::traits::RealField
{
    /// Machine epsilon.
    fn eps() -> Self {
        <Self as num_traits::Float>::epsilon()
    }
}

impl LinalgFloat for f64 {}
impl LinalgFloat for f32 {}

/// The parallelism of a kernel inside a task: the current rayon pool's threads (the
/// client's pool inside a task), so that idle workers' threads help a running product.
pub fn task_par() -> Par {
    Par::rayon(0)
}

/// Views a row-major `rows x cols` slice as a faer matrix.
pub fn view<T: LinalgFloat>(data: &[T], rows: usize, cols: usize) -> MatRef<'_, T> {
    MatRef::from_row_major_slice(data, rows, cols)
}

/// Views a mutable row-major `rows x cols` slice as a faer matrix.
pub fn view_mut<T: LinalgFloat>(data: &mut [T], rows: usize, cols: usize) -> MatMut<'_, T> {
    MatMut::from_row_major_slice_mut(data, rows, cols)
}

/// Copies a faer matrix into a new row-major vector.
pub fn to_row_major<T: LinalgFloat>(m: MatRef<'_, T>) -> Vec<T> {
    let mut out = Vec::with_capacity(m.nrows() * m.ncols());
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            out.push(m[(i, j)]);
        }
    }
    out
}

/// `c (m x n) = a (m x k) b (k x n)`, or `c += a b` when `accumulate`; all row-major.
///
/// ```
/// use spillway::kernels::dense::gemm;
/// let a = [1.0, 2.0, 3.0, 4.0]; // [[1, 2], [3, 4]]
/// let b = [5.0, 6.0, 7.0, 8.0];
/// let mut c = [1.0; 4];
/// gemm(&mut c, &a, &b, 2, 2, 2, false, faer::Par::Seq);
/// assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
/// gemm(&mut c, &a, &b, 2, 2, 2, true, faer::Par::Seq);
/// assert_eq!(c, [38.0, 44.0, 86.0, 100.0]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn gemm<T: LinalgFloat>(
    c: &mut [T],
    a: &[T],
    b: &[T],
    m: usize,
    k: usize,
    n: usize,
    accumulate: bool,
    par: Par,
) {
    gemm_t(c, (a, false), (b, false), m, k, n, accumulate, par);
}

/// As [`gemm`], with either operand stored transposed: `(a, true)` holds `aᵀ`, a
/// row-major `k x m` slice (and `(b, true)` a row-major `n x k` one), read in place.
///
/// ```
/// use spillway::kernels::dense::gemm_t;
/// let at = [1.0, 3.0, 2.0, 4.0]; // the transpose of [[1, 2], [3, 4]]
/// let b = [5.0, 6.0, 7.0, 8.0];
/// let mut c = [0.0; 4];
/// gemm_t(&mut c, (&at, true), (&b, false), 2, 2, 2, false, faer::Par::Seq);
/// assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn gemm_t<T: LinalgFloat>(
    c: &mut [T],
    (a, a_trans): (&[T], bool),
    (b, b_trans): (&[T], bool),
    m: usize,
    k: usize,
    n: usize,
    accumulate: bool,
    par: Par,
) {
    let accum = if accumulate {
        Accum::Add
    } else {
        Accum::Replace
    };
    if k == 0 {
        if !accumulate {
            c[..m * n].fill(T::default());
        }
        return;
    }
    let a = if a_trans {
        view(&a[..m * k], k, m).transpose()
    } else {
        view(&a[..m * k], m, k)
    };
    let b = if b_trans {
        view(&b[..k * n], n, k).transpose()
    } else {
        view(&b[..k * n], k, n)
    };
    faer::linalg::matmul::matmul(
        view_mut(&mut c[..m * n], m, n),
        accum,
        a,
        b,
        T::from_f64(1.0),
        par,
    );
}

/// The `n x n` upper-triangular R of the QR factorisation of a row-major `m x n` matrix
/// (rows below `min(m, n)` are zero), row-major.
///
/// ```
/// use spillway::kernels::dense::qr_r;
/// let r = qr_r(&[3.0f64, 4.0], 2, 1); // the column (3, 4) has norm 5
/// assert!((r[0].abs() - 5.0).abs() < 1e-12);
/// ```
pub fn qr_r<T: LinalgFloat>(a: &[T], m: usize, n: usize) -> Vec<T> {
    let mut r = vec![T::default(); n * n];
    if m == 0 || n == 0 {
        return r;
    }
    let qr = view(a, m, n).qr();
    let thin = qr.thin_R();
    for i in 0..thin.nrows() {
        for j in i..n {
            r[i * n + j] = thin[(i, j)];
        }
    }
    r
}

/// The R of two stacked upper-triangular `n x n` factors: the merge step of TSQR.
pub fn qr_r_stacked<T: LinalgFloat>(top: &[T], bottom: &[T], n: usize) -> Vec<T> {
    let mut stacked = Vec::with_capacity(2 * n * n);
    stacked.extend_from_slice(&top[..n * n]);
    stacked.extend_from_slice(&bottom[..n * n]);
    qr_r(&stacked, 2 * n, n)
}

/// `x := x r⁻¹` for a row-major `rows x n` block `x` and an upper-triangular `n x n` `r`.
///
/// ```
/// use spillway::kernels::dense::right_solve_upper;
/// let r = [2.0, 1.0, 0.0, 4.0];
/// let mut x = [2.0, 5.0]; // [1, 1] r
/// right_solve_upper(&mut x, 1, &r, 2, faer::Par::Seq);
/// assert_eq!(x, [1.0, 1.0]);
/// ```
pub fn right_solve_upper<T: LinalgFloat>(x: &mut [T], rows: usize, r: &[T], n: usize, par: Par) {
    if rows == 0 || n == 0 {
        return;
    }
    // x r⁻¹ = (r⁻ᵀ xᵀ)ᵀ; a row-major slice read column-major is its transpose
    let rt = MatRef::from_column_major_slice(&r[..n * n], n, n);
    let xt = MatMut::from_column_major_slice_mut(&mut x[..rows * n], n, rows);
    faer::linalg::triangular_solve::solve_lower_triangular_in_place(rt, xt, par);
}

/// Solves `t x = b` for a triangular `n x n` `t` (upper or lower) and `n x k` `b`, in
/// place in `b`.
pub fn solve_triangular<T: LinalgFloat>(t: &[T], b: &mut [T], n: usize, k: usize, lower: bool) {
    if n == 0 || k == 0 {
        return;
    }
    let t = view(t, n, n);
    let b = view_mut(b, n, k);
    if lower {
        faer::linalg::triangular_solve::solve_lower_triangular_in_place(t, b, Par::Seq);
    } else {
        faer::linalg::triangular_solve::solve_upper_triangular_in_place(t, b, Par::Seq);
    }
}

/// A thin SVD of a row-major `m x n` matrix: `(u (m x p), s (p), vt (p x n))` with
/// `p = min(m, n)`, singular values non-increasing; `None` if faer's iteration did not
/// converge.
pub fn svd<T: LinalgFloat>(a: &[T], m: usize, n: usize) -> Option<(Vec<T>, Vec<T>, Vec<T>)> {
    let p = m.min(n);
    if p == 0 {
        return Some((vec![T::default(); m * p], vec![], vec![T::default(); p * n]));
    }
    let svd = view(a, m, n).thin_svd().ok()?;
    let u = to_row_major(svd.U());
    let s: Vec<T> = (0..p).map(|i| svd.S()[i]).collect();
    let vt = to_row_major(svd.V().transpose());
    Some((u, s, vt))
}

/// LU with partial pivoting of a square row-major matrix, with the smallest and largest
/// pivot magnitudes (to recognise singular matrices).
pub struct Lu<T: LinalgFloat> {
    lu: faer::linalg::solvers::PartialPivLu<T>,
    n: usize,
}

impl<T: LinalgFloat> Lu<T> {
    /// Factorises the `n x n` row-major `a`.
    pub fn new(a: &[T], n: usize) -> Self {
        Lu {
            lu: view(a, n, n).partial_piv_lu(),
            n,
        }
    }

    /// `(min, max)` of the pivots' magnitudes (the diagonal of U).
    pub fn pivot_range(&self) -> (f64, f64) {
        let u = self.lu.U();
        let mut lo = f64::INFINITY;
        let mut hi = 0.0f64;
        for i in 0..self.n {
            let v = u[(i, i)].to_f64().abs();
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if self.n == 0 {
            lo = 0.0;
        }
        (lo, hi)
    }

    /// Solves `a x = b` for a row-major `n x k` `b`.
    pub fn solve(&self, b: &[T], k: usize) -> Vec<T> {
        let mut x = b.to_vec();
        if self.n > 0 && k > 0 {
            self.lu.solve_in_place(view_mut(&mut x, self.n, k));
        }
        x
    }

    /// The inverse of `a`, row-major.
    pub fn inverse(&self) -> Vec<T> {
        if self.n == 0 {
            return vec![];
        }
        to_row_major(self.lu.inverse().as_ref())
    }
}

/// The lower Cholesky factor of a symmetric positive-definite row-major `n x n` matrix
/// (reading its lower triangle); `None` when it is not positive definite.
pub fn cholesky_lower<T: LinalgFloat>(a: &[T], n: usize) -> Option<Vec<T>> {
    if n == 0 {
        return Some(vec![]);
    }
    let llt = view(a, n, n).llt(Side::Lower).ok()?;
    let l = llt.L();
    let mut out = vec![T::default(); n * n];
    for i in 0..n {
        for j in 0..=i {
            out[i * n + j] = l[(i, j)];
        }
    }
    Some(out)
}

/// Least squares `min ||a x - b||` for a row-major `m x n` `a` with `m >= n` and `m x k`
/// `b`, through Householder QR: `x`, row-major `n x k`.
pub fn lstsq_dense<T: LinalgFloat>(a: &[T], b: &[T], m: usize, n: usize, k: usize) -> Vec<T> {
    let mat: Mat<T> = view(a, m, n).to_owned();
    let qr = mat.qr();
    let rhs: Mat<T> = view(b, m, k).to_owned();
    let x = faer::linalg::solvers::SolveLstsq::solve_lstsq(&qr, rhs);
    to_row_major(x.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_solve_inverts_a_product() {
        let r: [f64; 9] = [3.0, 1.0, -2.0, 0.0, 2.0, 0.5, 0.0, 0.0, 4.0];
        let x0: [f64; 6] = [1.0, 2.0, 3.0, -1.0, 0.5, 2.0];
        let mut x = [0.0; 6];
        gemm(&mut x, &x0, &r, 2, 3, 3, false, Par::Seq);
        right_solve_upper(&mut x, 2, &r, 3, Par::Seq);
        for (a, b) in x.iter().zip(&x0) {
            assert!((a - b).abs() < 1e-14, "{a} vs {b}");
        }
    }

    #[test]
    fn stacked_r_has_the_gram_matrix_of_the_rows() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.5];
        let r_top = qr_r(&a[..4], 2, 2);
        let r_bottom = qr_r(&a[4..], 2, 2);
        let r = qr_r_stacked(&r_top, &r_bottom, 2);
        let r_all = qr_r(&a, 4, 2);
        // RᵀR = AᵀA whichever the signs
        let gram = |r: &[f64]| [r[0] * r[0], r[0] * r[1], r[1] * r[1] + r[3] * r[3]];
        for (x, y) in gram(&r).iter().zip(gram(&r_all).iter()) {
            assert!((x - y).abs() < 1e-10);
        }
    }

    #[test]
    fn lu_solves_and_reports_pivots() {
        let a: [f64; 4] = [4.0, 3.0, 6.0, 3.0];
        let lu = Lu::new(&a, 2);
        let x: Vec<f64> = lu.solve(&[10.0, 12.0], 1);
        assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 2.0).abs() < 1e-12);
        assert!(lu.pivot_range().0 > 0.0);
        let singular = Lu::new(&[1.0, 2.0, 2.0, 4.0], 2);
        assert!(singular.pivot_range().0 < 1e-12);
    }
}
