//! What the executor runs: stages of independent tasks, each with projected memory.
//!
//! The executor knows nothing of what a task computes. A [`Stage`] says how many tasks it
//! has, how much memory one worker needs while it runs tasks and how much the stage holds
//! for its whole life; it hands out [`StageWorker`]s, one per worker thread, which run
//! tasks by index.

use super::error::Result;
use crate::exec::budget::MemoryBudget;

/// A set of independent tasks the executor runs in index order on worker threads.
pub trait Stage: Send + Sync {
    /// The op the stage computes, for reports and errors (`"sum"`, `"mean+std"`, `"add"`).
    fn label(&self) -> String;
    /// Number of tasks.
    fn num_tasks(&self) -> usize;
    /// The shape of one task's block, for error messages.
    fn task_shape(&self) -> Vec<usize>;
    /// Projected bytes one worker holds while running tasks (tile buffers, partials).
    fn worker_bytes(&self) -> u64;
    /// Projected bytes the stage holds from start to finish (its output and, for
    /// reductions, the partials waiting in merge trees) when `workers` run at once.
    fn stage_bytes(&self, workers: usize) -> u64;
    /// Bytes of data the stage's tasks go through together (for progress displays);
    /// 0 when unknown.
    fn work_bytes(&self) -> u64 {
        0
    }
    /// A chunking that would make the stage fit in `budget` bytes, if one exists.
    fn suggest_fit(&self, budget: u64) -> Option<String>;
    /// Called once before any task runs: reserves `stage_bytes(workers)` from `budget`.
    fn prepare(&self, budget: &MemoryBudget, workers: usize) -> Result<()>;
    /// A worker for one thread.
    fn worker(&self) -> Box<dyn StageWorker + '_>;
    /// A hint that task `index` will run soon, so the data it reads can start loading
    /// (read-ahead, see `graph::prefetch`); the default ignores it. The executor gives it
    /// for the task a worker will most likely take next, as each task starts.
    fn prefetch(&self, _index: usize) {}
    /// Called once after every task succeeded.
    fn finish(&self) -> Result<()>;
    /// How the results of this stage's tasks move between processes, for stages that
    /// can run spread over MPI ranks; `None` (the default) runs the stage whole on
    /// every rank.
    #[cfg(feature = "mpi")]
    fn exchange(&self) -> Option<&dyn Exchange> {
        None
    }
}

/// Moves what a stage's tasks produced between processes (feature `mpi`): each rank runs
/// a range of the tasks, exports what they produced, and imports every rank's export,
/// in rank order, before [`Stage::finish`].
#[cfg(feature = "mpi")]
pub trait Exchange {
    /// Replaces [`Stage::prepare`] when tasks run spread over ranks: reserves what the
    /// stage holds here, including what other ranks' exports add.
    fn prepare(&self, budget: &MemoryBudget, workers: usize) -> Result<()>;
    /// What tasks `tasks`, run in this process, produced, as bytes (taken out of the
    /// stage, which then holds nothing of them).
    fn export(&self, tasks: std::ops::Range<usize>) -> Vec<u8>;
    /// Adds the export of `tasks` made by some process running the same program.
    fn import(&self, tasks: std::ops::Range<usize>, bytes: &[u8]) -> Result<()>;
}

/// Runs a stage's tasks on one thread.
pub trait StageWorker {
    /// Runs task `index`.
    fn run(&mut self, index: usize) -> Result<()>;
}
