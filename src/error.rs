//! The crate's error type: each layer returns its own error, composed here at the top.
//!
//! The lower layers' errors are flattened into one variant per kind of failure, so a
//! caller matches `Error::Memory(_)` whether the budget refused a store or a stage, and
//! errors raised above the graph (invalid ops, linear algebra) come back out of the
//! executor's [`OpError`] as the variant they were made as.

use crate::array::error::ArrayError;
use crate::array::linalg::error::LinalgError;
use crate::delayed::error::DelayedError;
use crate::exec::client::RuntimeError;
use crate::exec::distributed::DistributedError;
use crate::exec::error::{ExecError, OpError, PlanError};
use crate::memory::MemoryError;
use crate::store::StoreError;
use crate::util::size::SizeError;
use crate::util::wire::WireError;
use std::sync::Arc;

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
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
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
    Mpi(crate::mpi::MpiError),
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
    /// A file could not be written (or read); `source` is the operating system's reason.
    ///
    /// ```
    /// use std::io::{Error as IoError, ErrorKind};
    /// let err = spillway::Error::io("/no/such/dir/t.json", IoError::new(ErrorKind::NotFound, "No such file or directory"));
    /// assert_eq!(err.to_string(), "cannot write /no/such/dir/t.json: No such file or directory");
    /// assert!(std::error::Error::source(&err).is_some());
    /// ```
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the operating system said.
        source: Arc<std::io::Error>,
    },
    /// A drawing was to be saved under a file name whose extension names no format
    /// spillway writes (`.dot` and `.svg` are known).
    #[error("cannot save a drawing as {path}: the extension must be .dot or .svg")]
    UnknownFormat {
        /// The file.
        path: String,
    },
    /// An error made outside spillway's layers (by a user's own stage, say) and carried
    /// through the executor as it was.
    #[error(transparent)]
    Other(OpError),
}

impl Error {
    /// [`Error::Io`] for `path`, keeping the operating system's error as the source.
    ///
    /// ```
    /// let e = std::fs::read("/no/such/file").unwrap_err();
    /// let err = spillway::Error::io("/no/such/file", e);
    /// assert!(err.to_string().starts_with("cannot write /no/such/file: "));
    /// ```
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source: Arc::new(source),
        }
    }
}

/// Errors compare by variant and fields; two [`Error::Io`] are equal when they name the
/// same path and their operating-system errors have the same kind and text, and two
/// [`Error::Other`] when they carry the same error (one was cloned from the other).
///
/// ```
/// use spillway::{ArrayError, Error};
/// let e = Error::Array(ArrayError::DuplicateAxis { axis: 0 });
/// assert_eq!(e.clone(), e);
/// assert_ne!(e, Error::Array(ArrayError::DuplicateAxis { axis: 1 }));
/// ```
impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Error::Array(a), Error::Array(b)) => a == b,
            (Error::Linalg(a), Error::Linalg(b)) => a == b,
            (Error::Plan(a), Error::Plan(b)) => a == b,
            (Error::Memory(a), Error::Memory(b)) => a == b,
            (Error::Runtime(a), Error::Runtime(b)) => a == b,
            (Error::Delayed(a), Error::Delayed(b)) => a == b,
            (Error::Store(a), Error::Store(b)) => a == b,
            #[cfg(feature = "mpi")]
            (Error::Mpi(a), Error::Mpi(b)) => a == b,
            (Error::Size(a), Error::Size(b)) => a == b,
            (
                Error::TaskPanicked { op, task, message },
                Error::TaskPanicked {
                    op: op_b,
                    task: task_b,
                    message: message_b,
                },
            ) => op == op_b && task == task_b && message == message_b,
            (
                Error::Io { path, source },
                Error::Io {
                    path: path_b,
                    source: source_b,
                },
            ) => {
                path == path_b
                    && source.kind() == source_b.kind()
                    && source.to_string() == source_b.to_string()
            }
            (Error::UnknownFormat { path }, Error::UnknownFormat { path: path_b }) => {
                path == path_b
            }
            (Error::Other(a), Error::Other(b)) => a.same(b),
            _ => false,
        }
    }
}

/// The executor's error, flattened: each kind of failure becomes the variant it has
/// always been, and an error raised above the executor comes back as itself.
impl From<ExecError> for Error {
    fn from(e: ExecError) -> Self {
        match e {
            ExecError::Plan(p) => Error::Plan(p),
            ExecError::Memory(m) => Error::Memory(m),
            ExecError::Runtime(r) => Error::Runtime(r),
            ExecError::Store(s) => Error::from(s),
            ExecError::TaskPanicked { op, task, message } => {
                Error::TaskPanicked { op, task, message }
            }
            ExecError::Io { path, source } => Error::Io { path, source },
            ExecError::Distributed(d) => Error::Distributed(d),
            ExecError::Op(op) => Error::from(op),
        }
    }
}

/// An error carried through the lower layers, taken back as the error it was made as.
impl From<OpError> for Error {
    fn from(op: OpError) -> Self {
        if let Some(e) = op.downcast_ref::<Error>() {
            return e.clone();
        }
        if let Some(e) = op.downcast_ref::<ArrayError>() {
            return Error::Array(e.clone());
        }
        if let Some(e) = op.downcast_ref::<LinalgError>() {
            return Error::Linalg(e.clone());
        }
        if let Some(e) = op.downcast_ref::<DelayedError>() {
            return Error::Delayed(e.clone());
        }
        #[cfg(feature = "mpi")]
        if let Some(e) = op.downcast_ref::<crate::mpi::MpiError>() {
            return Error::from(e.clone());
        }
        if let Some(e) = op.downcast_ref::<ExecError>() {
            return Error::from(e.clone());
        }
        Error::Other(op)
    }
}

/// An error of the API layer, carried through the executor (a singular matrix found
/// while a stage runs, an invalid operand met by the planner).
impl From<Error> for ExecError {
    fn from(e: Error) -> Self {
        match e {
            Error::Plan(p) => ExecError::Plan(p),
            Error::Memory(m) => ExecError::Memory(m),
            Error::Runtime(r) => ExecError::Runtime(r),
            Error::Store(s) => ExecError::Store(s),
            Error::TaskPanicked { op, task, message } => {
                ExecError::TaskPanicked { op, task, message }
            }
            Error::Io { path, source } => ExecError::Io { path, source },
            Error::Distributed(d) => ExecError::Distributed(d),
            Error::Other(op) => ExecError::Op(op),
            other => ExecError::Op(OpError::new(other)),
        }
    }
}

/// An MPI error; a rank's client that could not be built reports the builder's error.
#[cfg(feature = "mpi")]
impl From<crate::mpi::MpiError> for Error {
    fn from(e: crate::mpi::MpiError) -> Self {
        match e {
            crate::mpi::MpiError::Client(r) => Error::Runtime(r),
            other => Error::Mpi(other),
        }
    }
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
