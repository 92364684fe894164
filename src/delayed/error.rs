//! What can go wrong with delayed tasks before they run.

use crate::util::size::format_bytes;

/// A delayed computation refused before any of its tasks ran.
///
/// ```
/// use spillway::delayed::{DelayedError, delayed};
/// let client = spillway::Client::builder().n_workers(1).threads_per_worker(1).memory_limit("1MB").build().unwrap();
/// let big = delayed(|| 1).name("big").memory("2MB");
/// let err = big.compute_on(&client).unwrap_err();
/// assert!(matches!(err, spillway::Error::Delayed(DelayedError::TaskTooLarge { .. })));
/// assert!(err.to_string().contains("big"));
/// client.close();
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DelayedError {
    /// A task declares more memory than the client's whole budget: it could never run.
    #[error(
        "delayed task {task:?} declares {} (plus {} per task) but the memory budget is {}; \
         raise the memory limit (Client::builder().memory_limit(..)) or split the task",
        format_bytes(*memory), format_bytes(super::TASK_OVERHEAD_BYTES), format_bytes(*budget)
    )]
    TaskTooLarge {
        /// The task's name.
        task: String,
        /// The memory it declares.
        memory: u64,
        /// The budget's limit.
        budget: u64,
    },
    /// A delayed ndarray's shape is not the shape `from_delayed` was told.
    #[error(
        "delayed task {task:?} returned an array of shape {actual:?}, but from_delayed was given shape {expected:?}"
    )]
    ShapeMismatch {
        /// The task's name.
        task: String,
        /// The shape given to `from_delayed`.
        expected: Vec<usize>,
        /// The shape the task returned.
        actual: Vec<usize>,
    },
}
