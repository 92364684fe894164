//! What the executor runs: stages of tasks, each with projected memory.
//!
//! The executor knows nothing of what a task computes. A [`Stage`] says how many tasks it
//! has, how much memory one worker needs while it runs tasks and how much the stage holds
//! for its whole life; it hands out [`StageWorker`]s, one per worker thread, which run
//! tasks by index. A stage's tasks are independent unless it gives a [`TaskSchedule`]:
//! then each task declares its own memory and the tasks it waits for (delayed tasks).

use super::error::Result;
use crate::memory::MemoryBudget;
use std::sync::Arc;

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
    /// For a stage whose tasks wait for one another or declare their own memory: each
    /// task's label, memory and inputs. The executor then starts ready tasks (inputs done)
    /// in order, each holding a reservation of [`worker_bytes`](Self::worker_bytes) plus
    /// its own bytes while it runs, and calls [`worker`](Self::worker) once per task.
    /// `None` (the default): independent tasks handed out in index order, each worker
    /// holding `worker_bytes` for the stage's life.
    fn schedule(&self) -> Option<&TaskSchedule> {
        None
    }
    /// How the results of this stage's tasks move between processes, for stages that
    /// can run spread over processes (see [`distributed`](super::distributed)); `None`
    /// (the default) runs the stage whole on every process.
    fn exchange(&self) -> Option<&dyn Exchange> {
        None
    }
}

/// Moves what a stage's tasks produced between processes (used by a registered
/// [`Distributed`](super::distributed::Distributed) hook, such as the `mpi` feature's):
/// each process runs a range of the tasks, exports what they produced, and imports every
/// process's export, in process order, before [`Stage::finish`].
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

/// The tasks of a stage that wait for one another and each declare the memory they hold
/// while they run (as delayed tasks do): what [`Stage::schedule`] gives the executor.
///
/// Tasks are pushed inputs first, so a task's inputs always have smaller indices and the
/// tasks can never wait for one another in a circle.
///
/// ```
/// use spillway::exec::stage::TaskSchedule;
/// let mut schedule = TaskSchedule::default();
/// let load = schedule.push("load", 1 << 20, &[]);
/// let total = schedule.push("total", 0, &[load, load]);
/// assert_eq!(schedule.len(), 2);
/// assert_eq!(schedule.inputs(total), &[load]);
/// assert_eq!(&**schedule.label(load), "load");
/// assert_eq!(schedule.bytes(load), 1 << 20);
/// assert_eq!(schedule.max_bytes(), 1 << 20);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskSchedule {
    tasks: Vec<ScheduledTask>,
}

/// One task of a [`TaskSchedule`].
#[derive(Debug, Clone, PartialEq)]
struct ScheduledTask {
    label: Arc<str>,
    bytes: u64,
    inputs: Vec<usize>,
}

impl TaskSchedule {
    /// Adds a task labelled `label` (its task records carry it) that holds `bytes` while
    /// it runs and starts only after the tasks `inputs` succeeded; returns its index.
    /// Repeated inputs count once.
    ///
    /// # Panics
    ///
    /// When an input is not a task pushed before.
    ///
    /// ```
    /// let mut schedule = spillway::exec::stage::TaskSchedule::default();
    /// assert_eq!(schedule.push("a", 0, &[]), 0);
    /// assert_eq!(schedule.push("b", 0, &[0]), 1);
    /// ```
    pub fn push(&mut self, label: impl Into<Arc<str>>, bytes: u64, inputs: &[usize]) -> usize {
        let index = self.tasks.len();
        let mut own = Vec::with_capacity(inputs.len());
        for &input in inputs {
            assert!(
                input < index,
                "task {index} reads task {input}, which is not pushed before it"
            );
            if !own.contains(&input) {
                own.push(input);
            }
        }
        self.tasks.push(ScheduledTask {
            label: label.into(),
            bytes,
            inputs: own,
        });
        index
    }

    /// Number of tasks.
    ///
    /// ```
    /// assert_eq!(spillway::exec::stage::TaskSchedule::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True when it has no task.
    ///
    /// ```
    /// assert!(spillway::exec::stage::TaskSchedule::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Task `index`'s label.
    ///
    /// ```
    /// let mut schedule = spillway::exec::stage::TaskSchedule::default();
    /// schedule.push("calculate_pi", 0, &[]);
    /// assert_eq!(&**schedule.label(0), "calculate_pi");
    /// ```
    pub fn label(&self, index: usize) -> &Arc<str> {
        &self.tasks[index].label
    }

    /// The bytes task `index` holds while it runs.
    ///
    /// ```
    /// let mut schedule = spillway::exec::stage::TaskSchedule::default();
    /// schedule.push("a", 4096, &[]);
    /// assert_eq!(schedule.bytes(0), 4096);
    /// ```
    pub fn bytes(&self, index: usize) -> u64 {
        self.tasks[index].bytes
    }

    /// The tasks task `index` waits for.
    ///
    /// ```
    /// let mut schedule = spillway::exec::stage::TaskSchedule::default();
    /// let a = schedule.push("a", 0, &[]);
    /// let b = schedule.push("b", 0, &[a]);
    /// assert_eq!(schedule.inputs(b), &[a]);
    /// assert!(schedule.inputs(a).is_empty());
    /// ```
    pub fn inputs(&self, index: usize) -> &[usize] {
        &self.tasks[index].inputs
    }

    /// The most bytes one task holds (0 without tasks).
    ///
    /// ```
    /// let mut schedule = spillway::exec::stage::TaskSchedule::default();
    /// schedule.push("small", 10, &[]);
    /// schedule.push("large", 30, &[]);
    /// assert_eq!(schedule.max_bytes(), 30);
    /// ```
    pub fn max_bytes(&self) -> u64 {
        self.tasks.iter().map(|t| t.bytes).max().unwrap_or(0)
    }
}
