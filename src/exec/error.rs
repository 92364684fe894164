//! The executor's plan-time refusal.

use crate::util::size::format_bytes;

/// A plan that cannot run under the memory budget, refused before any task runs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
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
