//! # spillway
//!
//! Chunked arrays far larger than memory, with Dask Array's names and a strict memory
//! budget. You build a lazy array with a NumPy-like API; `compute()` streams its chunks
//! through worker threads, fusing chains of elementwise operations and the reductions
//! after them into one pass per chunk, in cache-sized tiles.
//!
//! The lesson's Monte-Carlo pi, line for line:
//!
//! ```
//! use spillway::random;
//!
//! let size_in_bytes = 10_000_000usize;
//! let nchunks = 20;
//! let rand_array_shape = (size_in_bytes / 8 / 2, 2);
//! let chunk_size = rand_array_shape.0 / nchunks;
//!
//! // 2D random array with positions (x, y)
//! let xy = random::uniform(0.0, 1.0, rand_array_shape, chunk_size);
//! assert_eq!(xy.to_string(), "spillway.Array<uniform, shape=(625000, 2), dtype=float64, chunksize=(31250, 2)>");
//!
//! // check if position (x, y) is in unit circle
//! let xy_inside_circle = xy.powi(2).sum_axis(1).lt(1.0);
//!
//! // pi is the fraction of points in circle x 4
//! let pi = 4.0 * xy_inside_circle.sum().astype::<f64>() / xy_inside_circle.size() as f64;
//!
//! // Do the computation
//! let result = pi.compute_scalar().unwrap();
//! assert!((result - std::f64::consts::PI).abs() < 0.01);
//! ```
//!
//! Random values depend only on the seed and each element's global index, so the same
//! seed gives the same bits whatever the chunking or the number of threads:
//!
//! ```
//! use spillway::random::default_rng;
//! let a = default_rng(1).random([15, 15], [10, 5]).compute().unwrap();
//! let b = default_rng(1).random([15, 15], 4).compute().unwrap();
//! assert_eq!(a, b);
//! ```

#![warn(missing_docs)]

pub mod array;
pub mod delayed;
pub mod dtype;
pub mod error;
pub mod exec;
pub mod graph;
pub mod kernels;
pub mod memory;
#[cfg(feature = "mpi")]
pub mod mpi;
pub mod observe;
pub mod store;
pub mod util;

pub use array::chunks::{ChunkSpec, Chunks};
pub use array::compute::{ComputeTogether, compute, compute_all, compute_all_with_report};
pub use array::creation::{IntoShape, arange, from_ndarray, full, linspace, ones, zeros};
pub use array::elementwise::Operand;
pub use array::indexing::{Ellipsis, IndexElem, NewAxis};
pub use array::linalg;
pub use array::linalg::{dot, einsum, matmul, outer, tensordot, vdot};
pub use array::random;
pub use array::shape::{concatenate, stack};
pub use array::ufunc::integer::{Integer, Remainder};
pub use array::ufunc::select::where_;
pub use array::visualize::{Visualization, VisualizeOptions, visualize};
pub use array::zarr::{FromZarr, from_zarr, from_zarr_in_group, from_zarr_with};
pub use array::{Array, ArrayError};
pub use delayed::{Delayed, DelayedError, delayed};
pub use dtype::{DType, Element, FloatElement, Numeric};
pub use error::{Error, Result};
pub use exec::client::{Client, ClientBuilder, ClientStatus, MemoryLimit, RuntimeError};
pub use exec::error::PlanError;
pub use exec::report::RunReport;
pub use memory::{MemoryBudget, MemoryConsumer, MemoryError, Reservation};
pub use observe::dashboard::{Dashboard, DashboardExt};
