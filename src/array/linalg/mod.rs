//! Linear algebra out of core, under Dask's names (`da.tensordot`, `da.linalg.qr`, ...).
//!
//! - Contractions ([`tensordot`], [`matmul`], [`dot`], [`outer`], [`vdot`], [`einsum`])
//!   are lazy nodes whose output blocks sum block products computed with faer; a worker
//!   holds one output block and one block of each operand, so operands larger than memory
//!   stream through (see [`contract`]).
//! - [`qr`] and [`svd`] of tall-and-skinny arrays use TSQR (see [`tsqr`]), and
//!   [`svd_compressed`] a randomised range finder over them.
//! - [`solve`], [`solve_triangular`], [`lstsq`], [`cholesky`] and [`inv`] run faer on
//!   matrices that fit in memory (lstsq streams a tall `a` through TSQR); a singular
//!   matrix is an error, not NaNs. [`norm`] is built from reductions.
//!
//! Everything is lazy: the results are arrays that `compute()` evaluates.
//!
//! ```
//! use spillway::array::linalg::{matmul, solve};
//! let a = spillway::random::random([300, 300], 100);
//! let b = spillway::random::random([300, 2], 100);
//! let x = solve(&a, &b);
//! let residual = (&matmul(&a, &x) - &b).abs().max().compute_scalar().unwrap();
//! assert!(residual < 1e-8);
//! ```

pub mod contract;
pub mod einsum;
pub(crate) mod error;
pub mod norm;
pub mod products;
pub mod solve;
mod staged;
pub mod svd_compressed;
pub mod tsqr;

pub use crate::kernels::dense::LinalgFloat;
pub use einsum::einsum;
pub use error::LinalgError;
pub use norm::{NormOrd, norm};
pub use products::{TensorAxes, dot, matmul, outer, tensordot, vdot};
pub use solve::{cholesky, inv, lstsq, solve, solve_triangular};
pub use svd_compressed::svd_compressed;
pub use tsqr::{qr, svd};
