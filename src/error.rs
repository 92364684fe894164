//! The crate's error type: one enum per layer, composed here with `#[from]`.

use crate::array::ArrayError;
use crate::array::linalg::LinalgError;
use crate::delayed::DelayedError;
use crate::exec::distributed::DistributedError;
use crate::memory::MemoryError;
use crate::exec::error::PlanError;
use crate::exec::client::RuntimeError;
use crate::store::StoreError;
use crate::util::size::SizeError;
use crate::util::wire::WireError;

/// Everything that can go wrong in spillway.
///
/// Lazy operations never panic on bad input: an invalid operation yields an array that
/// carries its error, and `compute()` (or `check()`) returns it.
///
/// ```
/// use spillway::{arange, Error};
/// let a = arange(0i64, 10, 1, 4);
/// let b = arange(0i64, 3, 1, 4);
/// let err = (&a + &b).compute().unwrap_err();
/// assert!(matches!(err, Error::Array(_)));
/// assert!(err.to_string().contains("(10,)"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// An invalid array operation: shapes, axes, chunks, arguments.
    #[error(transparent)]
    Array(#[from] ArrayError),
    /// An invalid linear-algebra operation: shapes, singular matrices, chunkings.
    #[error(transparent)]
    Linalg(#[from] LinalgError),
    /// A plan that cannot run under the memory budget.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A memory reservation that could not be granted while running.
    #[error(transparent)]
    Memory(#[from] MemoryError),
    /// An invalid runtime configuration.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// A delayed computation refused before it ran.
    #[error(transparent)]
    Delayed(#[from] DelayedError),
    /// A chunk store could not be read or written.
    #[error(transparent)]
    Store(StoreError),
    /// A stage spread over processes could not run that way, or received bytes that do
    /// not decode.
    #[error(transparent)]
    Distributed(#[from] DistributedError),
    /// A computation spread over MPI ranks failed (feature `mpi`).
    #[cfg(feature = "mpi")]
    #[error(transparent)]
    Mpi(#[from] crate::mpi::MpiError),
    /// An unparsable byte size.
    #[error(transparent)]
    Size(#[from] SizeError),
    /// A task panicked while running; the message carries the panic payload.
    #[error("task {task} of {op} panicked: {message}")]
    TaskPanicked {
        /// The op whose task panicked.
        op: String,
        /// The task's index within its stage.
        task: usize,
        /// The panic payload, when it was a string.
        message: String,
    },
    /// A file could not be written (or read); `message` is the operating system's reason.
    ///
    /// ```
    /// let err = spillway::Error::Io { path: "/no/such/dir/t.json".into(), message: "No such file or directory".into() };
    /// assert_eq!(err.to_string(), "cannot write /no/such/dir/t.json: No such file or directory");
    /// ```
    #[error("cannot write {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What the operating system said.
        message: String,
    },
    /// A drawing was to be saved under a file name whose extension names no format
    /// spillway writes (`.dot` and `.svg` are known).
    #[error("cannot save a drawing as {path}: the extension must be .dot or .svg")]
    UnknownFormat {
        /// The file.
        path: String,
    },
}

/// A store's error; a store that could not reserve memory reports the budget's own error,
/// so a computation refused memory fails the same way whichever layer asked.
impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Memory(m) => Error::Memory(m),
            other => Error::Store(other),
        }
    }
}

/// Bytes from another process that do not decode: a distributed stage's error.
impl From<WireError> for Error {
    fn from(e: WireError) -> Self {
        Error::Distributed(e.into())
    }
}

/// `Result` with spillway's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
