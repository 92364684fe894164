//! Errors of linear algebra: shapes that do not contract, matrices that cannot be
//! factorised, chunkings an algorithm cannot stream.

/// An invalid linear-algebra operation, named with the shapes involved and the fix.
///
/// ```
/// use spillway::array::linalg::LinalgError;
/// let e = LinalgError::Singular { op: "solve", shape: "(3, 3)".into(), pivot: 0.0, largest: 4.0 };
/// assert!(e.to_string().contains("singular"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LinalgError {
    /// Contracted axes whose extents differ.
    #[error(
        "{op}: cannot contract axis {left_axis} of shape {left} (extent {left_extent}) with axis {right_axis} of shape {right} (extent {right_extent}); contracted extents must be equal"
    )]
    ContractionMismatch {
        /// The op.
        op: &'static str,
        /// Left operand shape, as a Python tuple.
        left: String,
        /// Right operand shape, as a Python tuple.
        right: String,
        /// The left axis.
        left_axis: usize,
        /// The right axis.
        right_axis: usize,
        /// Its extent on the left.
        left_extent: usize,
        /// Its extent on the right.
        right_extent: usize,
    },
    /// An operand of the wrong number of dimensions.
    #[error("{op}: expected {expected}, got an array of shape {shape}")]
    BadRank {
        /// The op.
        op: &'static str,
        /// What it accepts.
        expected: &'static str,
        /// The shape given, as a Python tuple.
        shape: String,
    },
    /// A matrix that must be square and is not.
    #[error("{op}: expected a square matrix, got shape {shape}")]
    NotSquare {
        /// The op.
        op: &'static str,
        /// The shape given.
        shape: String,
    },
    /// A singular (or numerically singular) matrix where a solve needs an invertible one.
    #[error(
        "{op}: the matrix of shape {shape} is singular: its smallest LU pivot is {pivot:e} against a largest of {largest:e}; use lstsq for a least-squares solution"
    )]
    Singular {
        /// The op.
        op: &'static str,
        /// Its shape.
        shape: String,
        /// Smallest pivot magnitude.
        pivot: f64,
        /// Largest pivot magnitude.
        largest: f64,
    },
    /// A matrix that is not symmetric positive definite where Cholesky needs one.
    #[error("{op}: the matrix of shape {shape} is not positive definite")]
    NotPositiveDefinite {
        /// The op.
        op: &'static str,
        /// Its shape.
        shape: String,
    },
    /// Input TSQR cannot stream: columns spread over several chunks, or wider than tall.
    #[error(
        "{op}: TSQR needs a tall-and-skinny array chunked along rows only, with each row block at least as tall as the array is wide; got shape {shape} with chunks {chunks}; rechunk with x.rechunk(({rows}, -1))"
    )]
    NotTallSkinny {
        /// The op.
        op: &'static str,
        /// The shape given.
        shape: String,
        /// Its chunks.
        chunks: String,
        /// A row-chunk length that would work.
        rows: usize,
    },
    /// An einsum subscript string spillway does not support or cannot parse.
    #[error("einsum: {subscripts:?}: {reason}")]
    Einsum {
        /// The subscripts.
        subscripts: String,
        /// What is wrong and what is supported.
        reason: String,
    },
    /// A numerical routine that did not converge.
    #[error("{op}: the iteration did not converge on a matrix of shape {shape}")]
    NoConvergence {
        /// The op.
        op: &'static str,
        /// Its shape.
        shape: String,
    },
    /// An argument outside what an op accepts.
    #[error("{op}: {message}")]
    InvalidArgument {
        /// The op.
        op: &'static str,
        /// What was wrong and what would be accepted.
        message: String,
    },
}
