//! `qr` and `svd` of tall-and-skinny arrays by TSQR, out of core.
//!
//! R comes from a tree of local QRs (one per row block, then of stacked pairs of R's);
//! Q is `A R⁻¹`, computed block by block when it is read. `A R⁻¹` alone loses
//! orthogonality in proportion to cond(A), so the R is refined once, as in CholeskyQR2:
//! `R1 = tsqr(A)`, `Q1 = A R1⁻¹`, `R2 = tsqr(Q1)`, `R = R2 R1` and `Q = Q1 R2⁻¹` (both
//! solves applied per row block when Q is read). That is three streaming passes over A
//! (two for the R's, one when Q is read), none of which holds more than a row block per
//! worker. Measured orthogonality and limits are in docs/linalg.md.

use super::LinalgError;
use super::contract::pull;
use super::staged::{SmallFn, small, tsqr_r};
use crate::array::Array;
use crate::array::chunks::python_tuple;
use crate::dtype::Element;
use crate::graph::block::{BlockCompute, BlockEval};
use crate::graph::eval::EvalContext;
use crate::graph::node::{
    Eval, Expr, ExprRef, Node, NodeKind, NodeMeta, NodeRef, Scratch, node_debug, node_meta,
};
use crate::graph::region::Region;
use crate::kernels::dense::{LinalgFloat, gemm, right_solve_upper, svd as dense_svd, task_par};
use ndarray::{ArrayD, IxDyn};
use std::sync::Arc;

/// `x r⁻¹` for `x` chunked along rows and an upper-triangular `n x n` `r`.
struct RightSolveExpr<T: Element> {
    meta: NodeMeta,
    x: ExprRef<T>,
    r: ExprRef<T>,
}

node_debug!([T: Element] RightSolveExpr<T>);

impl<T: LinalgFloat> Node for RightSolveExpr<T> {
    node_meta!();
    fn inputs(&self) -> Vec<NodeRef> {
        vec![self.x.clone().as_node(), self.r.clone().as_node()]
    }
    fn kind(&self) -> NodeKind {
        NodeKind::Elementwise
    }
    fn scratch_bytes(&self, tile_elems: usize) -> u64 {
        let block: usize = self.meta.chunks.chunksize().iter().product();
        let n = self.meta.shape[1];
        ((block + n * n + tile_elems) * std::mem::size_of::<T>()) as u64
    }
    fn computes_whole_blocks(&self) -> bool {
        true // each output block is one kernel call over whole operand panels
    }
}

impl<T: LinalgFloat> Expr<T> for RightSolveExpr<T> {
    fn evaluator(&self, ctx: &EvalContext) -> Box<dyn Eval<T>> {
        Box::new(BlockEval::new(
            &self.meta.chunks,
            RightSolve {
                x: ctx.build(&self.x),
                r: ctx.build(&self.r),
                n: self.meta.shape[1],
                r_values: None,
                tile_elems: ctx.tile_elems(),
                tile: Scratch::default(),
            },
        ))
    }
}

struct RightSolve<T: Element> {
    x: Box<dyn Eval<T>>,
    r: Box<dyn Eval<T>>,
    n: usize,
    r_values: Option<Vec<T>>,
    tile_elems: usize,
    tile: Scratch<T>,
}

impl<T: LinalgFloat> BlockCompute<T> for RightSolve<T> {
    fn compute_block(&mut self, _block: &[usize], region: &Region, out: &mut [T]) {
        let n = self.n;
        if self.r_values.is_none() {
            let mut r = vec![T::default(); n * n];
            pull(
                self.r.as_mut(),
                &Region::full(&[n, n]),
                &mut r,
                self.tile_elems,
                &mut self.tile,
            );
            self.r_values = Some(r);
        }
        pull(
            self.x.as_mut(),
            region,
            out,
            self.tile_elems,
            &mut self.tile,
        );
        let r = self.r_values.as_ref().expect("loaded above");
        right_solve_upper(out, region.shape[0], r, n, task_par());
    }
}

fn right_solve<T: LinalgFloat>(x: &ExprRef<T>, r: ExprRef<T>) -> ExprRef<T> {
    let m = x.meta();
    Arc::new(RightSolveExpr {
        meta: NodeMeta::new("qr_q", m.shape.clone(), m.chunks.clone(), T::DTYPE),
        x: x.clone(),
        r,
    })
}

/// Checks that `x` is 2-d, at least as tall as wide, with its columns in one chunk.
pub(crate) fn check_tall_skinny<T: LinalgFloat>(
    op: &'static str,
    x: &Array<T>,
) -> crate::error::Result<()> {
    if let Some(e) = x.error() {
        return Err(e);
    }
    if x.ndim() != 2 {
        return Err(LinalgError::BadRank {
            op,
            expected: "a 2-d tall-and-skinny array",
            shape: python_tuple(x.shape()),
        }
        .into());
    }
    let (m, n) = (x.shape()[0], x.shape()[1]);
    if x.numblocks()[1] > 1 || m < n {
        let rows = x.chunksize()[0].max(n).max(1);
        return Err(LinalgError::NotTallSkinny {
            op,
            shape: python_tuple(x.shape()),
            chunks: x.chunks().to_string(),
            rows,
        }
        .into());
    }
    Ok(())
}

/// `a · b` of two small one-chunk matrices, as a staged small node.
pub(crate) fn small_product<T: LinalgFloat>(
    label: &str,
    a: ExprRef<T>,
    b: ExprRef<T>,
) -> ExprRef<T> {
    let (m, k) = (a.meta().shape[0], a.meta().shape[1]);
    let n = b.meta().shape[1];
    let f: SmallFn<T> = Arc::new(move |v: &[ArrayD<T>]| {
        let mut out = vec![T::default(); m * n];
        gemm(
            &mut out,
            v[0].as_slice().expect("standard layout"),
            v[1].as_slice().expect("standard layout"),
            m,
            k,
            n,
            false,
            task_par(),
        );
        Ok(ArrayD::from_shape_vec(IxDyn(&[m, n]), out).expect("m x n"))
    });
    small(label, vec![a, b], vec![m, n], f)
}

/// The QR factorisation of a tall-and-skinny array, as `da.linalg.qr`: `(q, r)` with `q`
/// chunked as `x` and orthonormal columns, `r` upper triangular `n x n` in one chunk.
///
/// `x` must be at least as tall as wide, with all its columns in one chunk (else the
/// error says how to rechunk). Both results are lazy; computing them together
/// (`spillway::compute((&q, &r))`) makes three passes over `x`.
///
/// ```
/// use spillway::array::linalg::qr;
/// let x = spillway::random::random([1000, 5], [100, 5]);
/// let (q, r) = qr(&x);
/// let (qv, rv) = spillway::compute((&q, &r)).unwrap();
/// let a = x.compute().unwrap();
/// let qr_product = qv.into_dimensionality::<ndarray::Ix2>().unwrap()
///     .dot(&rv.into_dimensionality::<ndarray::Ix2>().unwrap());
/// let err = (&qr_product - &a.into_dimensionality::<ndarray::Ix2>().unwrap()).mapv(f64::abs);
/// assert!(err.iter().all(|&e| e < 1e-12));
/// assert!(qr(&spillway::random::random([10, 10], [5, 5])).0.check().is_err());
/// ```
pub fn qr<T: LinalgFloat>(x: &Array<T>) -> (Array<T>, Array<T>) {
    if let Err(e) = check_tall_skinny("qr", x) {
        return (Array::invalid(e.clone()), Array::invalid(e));
    }
    let (q, r) = qr_exprs(&x.expr);
    (Array::from_expr(q), Array::from_expr(r))
}

/// The lazy Q and R of a checked tall-and-skinny expression.
pub(crate) fn qr_exprs<T: LinalgFloat>(x: &ExprRef<T>) -> (ExprRef<T>, ExprRef<T>) {
    let r1 = tsqr_r(x.clone());
    let q1 = right_solve(x, r1.clone());
    let r2 = tsqr_r(q1.clone());
    let r = small_product("qr_r", r2.clone(), r1);
    // Q = (A R1⁻¹) R2⁻¹, two solves per row block: A R⁻¹ in one solve would carry an
    // error of eps · cond(A) however accurate R is
    let q = right_solve(&q1, r2);
    (q, r)
}

/// The thin SVD of a tall-and-skinny array, as `da.linalg.svd`: `(u, s, vt)` with
/// `x = u · diag(s) · vt`, `u` chunked along rows as `x`, `s` non-increasing.
///
/// Computed from the TSQR of `x` and an in-memory SVD of its `n x n` R.
///
/// ```
/// use spillway::array::linalg::svd;
/// let x = spillway::random::random([400, 4], [50, 4]);
/// let (u, s, vt) = svd(&x);
/// assert_eq!((u.shape(), s.shape(), vt.shape()), (&[400, 4][..], &[4][..], &[4, 4][..]));
/// let s = s.compute().unwrap();
/// assert!(s[[0]] >= s[[1]] && s[[3]] > 0.0);
/// ```
pub fn svd<T: LinalgFloat>(x: &Array<T>) -> (Array<T>, Array<T>, Array<T>) {
    if let Err(e) = check_tall_skinny("svd", x) {
        return (
            Array::invalid(e.clone()),
            Array::invalid(e.clone()),
            Array::invalid(e),
        );
    }
    let (q, r) = qr_exprs(&x.expr);
    let (ur, s, vt) = small_svd(r, "svd");
    let u = super::products::contract(
        "svd_u",
        &Array::from_expr(q),
        &Array::from_expr(ur),
        &[1],
        &[0],
    );
    (u, Array::from_expr(s), Array::from_expr(vt))
}

/// The SVD `(u, s, vt)` of a small `m x n` expression as three staged small nodes.
pub(crate) fn small_svd<T: LinalgFloat>(
    a: ExprRef<T>,
    op: &'static str,
) -> (ExprRef<T>, ExprRef<T>, ExprRef<T>) {
    let (m, n) = (a.meta().shape[0], a.meta().shape[1]);
    let p = m.min(n);
    let part = move |which: usize| -> SmallFn<T> {
        Arc::new(move |v: &[ArrayD<T>]| {
            let values = v[0].as_slice().expect("standard layout");
            // faer's SVD converges on every finite matrix in practice; a failure leaves NaNs
            let (u, s, vt) = dense_svd(values, m, n).ok_or_else(|| LinalgError::NoConvergence {
                op,
                shape: python_tuple([m, n]),
            })?;
            Ok(match which {
                0 => ArrayD::from_shape_vec(IxDyn(&[m, p]), u),
                1 => ArrayD::from_shape_vec(IxDyn(&[p]), s),
                _ => ArrayD::from_shape_vec(IxDyn(&[p, n]), vt),
            }
            .expect("svd factor shapes"))
        })
    };
    (
        small("svd_u", vec![a.clone()], vec![m, p], part(0)),
        small("svd_s", vec![a.clone()], vec![p], part(1)),
        small("svd_vt", vec![a], vec![p, n], part(2)),
    )
}
