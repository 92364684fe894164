//! The executor's errors: the plan-time refusal, and what running stages can fail with.

use super::client::RuntimeError;
use super::distributed::DistributedError;
use crate::memory::MemoryError;
use crate::store::StoreError;
use crate::util::size::format_bytes;
use crate::util::wire::WireError;
use std::fmt;
use std::sync::Arc;

/// A plan that cannot run under the memory budget, refused before any task runs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// One task (with everything the stage holds) needs more memory than the budget.
    #[error(
        "{op}: a task on a chunk of shape {chunk_shape:?} needs {} but the memory budget is {} ({} already held by earlier results); {suggestion}",
        format_bytes(*needed), format_bytes(*budget), format_bytes(*held)
    )]
    TaskTooLarge {
        /// The op whose tasks do not fit.
        op: String,
        /// The chunk shape of its largest task.
        chunk_shape: Vec<usize>,
        /// Bytes the stage needs for one task plus its output.
        needed: u64,
        /// Bytes held by results of earlier stages.
        held: u64,
        /// The budget's limit.
        budget: u64,
        /// A chunking or setting that would fit.
        suggestion: String,
    },
}

/// An error raised above the executor (an invalid array operation, a singular matrix, a
/// failed rank), carried through graph and exec without their naming its type.
///
/// It is cheap to clone (the error sits behind an `Arc`), shows the error it carries, and
/// hands out that error's own `source()`. The layer that made it takes it back with
/// [`OpError::downcast_ref`]; `spillway::Error` does so when it is built from an
/// [`ExecError`].
///
/// ```
/// use spillway::exec::error::{ExecError, OpError};
/// let op = OpError::new(spillway::ArrayError::DuplicateAxis { axis: 1 });
/// assert!(op.downcast_ref::<spillway::ArrayError>().is_some());
/// let err = spillway::Error::from(ExecError::Op(op));
/// assert!(matches!(err, spillway::Error::Array(_)));
/// ```
#[derive(Clone)]
pub struct OpError(Arc<dyn std::error::Error + Send + Sync>);

impl OpError {
    /// Wraps `error`.
    ///
    /// ```
    /// let op = spillway::exec::error::OpError::new(std::fmt::Error);
    /// assert_eq!(op.to_string(), "an error occurred when formatting an argument");
    /// ```
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        OpError(Arc::new(error))
    }

    /// The carried error as an `E`, when it is one.
    ///
    /// ```
    /// let op = spillway::exec::error::OpError::new(std::fmt::Error);
    /// assert!(op.downcast_ref::<std::fmt::Error>().is_some());
    /// assert!(op.downcast_ref::<std::io::Error>().is_none());
    /// ```
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.0.downcast_ref::<E>()
    }

    /// True when `self` and `other` carry the same error (one is a clone of the other).
    ///
    /// ```
    /// let op = spillway::exec::error::OpError::new(std::fmt::Error);
    /// assert!(op.same(&op.clone()));
    /// assert!(!op.same(&spillway::exec::error::OpError::new(std::fmt::Error)));
    /// ```
    pub fn same(&self, other: &OpError) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl std::error::Error for OpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// What can go wrong running stages: the executor's own refusals and failures, the
/// memory budget's and the stores' errors, and errors raised above it ([`OpError`]).
///
/// `spillway::Error` flattens it into its own variants (`Plan`, `Memory`, `Runtime`,
/// `Store`, `TaskPanicked`, `Io`, and whatever an [`OpError`] carries).
///
/// ```
/// use spillway::exec::error::ExecError;
/// let err = ExecError::TaskPanicked { op: "sum".into(), task: 3, message: "boom".into() };
/// assert_eq!(err.to_string(), "task 3 of sum panicked: boom");
/// assert!(matches!(spillway::Error::from(err), spillway::Error::TaskPanicked { task: 3, .. }));
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// A plan that cannot run under the memory budget.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A memory reservation that could not be granted while running.
    #[error(transparent)]
    Memory(#[from] MemoryError),
    /// An invalid runtime configuration, or a closed client.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// A chunk store could not be read or written.
    #[error(transparent)]
    Store(StoreError),
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
    /// A file could not be written (or read).
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the operating system said.
        source: Arc<std::io::Error>,
    },
    /// A stage spread over processes failed in the distributed hook (bytes that do not
    /// decode, a stage that cannot be spread).
    #[error(transparent)]
    Distributed(#[from] DistributedError),
    /// An error raised above the executor, carried through it.
    #[error(transparent)]
    Op(OpError),
}

/// Bytes from another process that do not decode fail the distributed stage.
impl From<WireError> for ExecError {
    fn from(e: WireError) -> Self {
        ExecError::Distributed(DistributedError::Corrupt(e))
    }
}

/// A store's error; a store that could not reserve memory reports the budget's own error,
/// so a computation refused memory fails the same way whichever layer asked.
impl From<StoreError> for ExecError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Memory(m) => ExecError::Memory(m),
            other => ExecError::Store(other),
        }
    }
}

/// `Result` with the executor's [`ExecError`], what stages and the runner return.
pub type Result<T, E = ExecError> = std::result::Result<T, E>;
