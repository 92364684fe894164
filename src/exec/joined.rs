//! Several independent stages run as one, their tasks interleaved.
//!
//! Stages that read the same stored blocks but not each other's results (the twelve
//! monthly means of a climatology, each over its own selection of one variable) run one
//! after another read every block they share once per stage. Joined, their tasks run
//! interleaved in proportion to each stage's progress (task `i` of a stage of `n` tasks
//! runs near the point `i / n` of the joined stage), so a block wanted by several stages
//! is wanted by tasks that run close together, and a shared block pool serves the later
//! ones from memory. Each worker keeps one worker of every part it has run, so the pools
//! hold as many blocks as the parts have members.
//!
//! A joined stage holds what its parts hold together: the sum of their stage bytes and of
//! their worker bytes. The planner joins stages only while that fits the budget with as
//! many workers as the parts would have had alone.

use super::error::Result;
use super::stage::{Stage, StageWorker};
use crate::memory::MemoryBudget;

/// Independent stages run as one (see the module docs).
///
/// ```
/// use spillway::exec::joined::JoinedStages;
/// use spillway::exec::stage::{Stage, StageWorker};
/// use spillway::MemoryBudget;
/// use std::sync::Mutex;
///
/// struct Log(&'static str, usize, Mutex<Vec<String>>);
/// impl Stage for Log {
///     fn label(&self) -> String { self.0.into() }
///     fn num_tasks(&self) -> usize { self.1 }
///     fn task_shape(&self) -> Vec<usize> { vec![1] }
///     fn worker_bytes(&self) -> u64 { 10 }
///     fn stage_bytes(&self, _workers: usize) -> u64 { 100 }
///     fn suggest_fit(&self, _budget: u64) -> Option<String> { None }
///     fn prepare(&self, _b: &MemoryBudget, _w: usize) -> spillway::exec::error::Result<()> { Ok(()) }
///     fn worker(&self) -> Box<dyn StageWorker + '_> { Box::new(LogWorker(self)) }
///     fn finish(&self) -> spillway::exec::error::Result<()> { Ok(()) }
/// }
/// struct LogWorker<'a>(&'a Log);
/// impl StageWorker for LogWorker<'_> {
///     fn run(&mut self, index: usize) -> spillway::exec::error::Result<()> {
///         self.0.2.lock().unwrap().push(format!("{}{index}", self.0.0));
///         Ok(())
///     }
/// }
///
/// let joined = JoinedStages::new(vec![
///     Box::new(Log("a", 2, Mutex::default())),
///     Box::new(Log("b", 4, Mutex::default())),
/// ]);
/// assert_eq!(joined.num_tasks(), 6);
/// assert_eq!(joined.worker_bytes(), 20);
/// assert_eq!(joined.stage_bytes(1), 200);
/// let mut worker = joined.worker();
/// for i in 0..6 {
///     worker.run(i).unwrap();
/// }
/// // task i of a stage of n runs near i / n of the whole: a0 b0 b1 a1 b2 b3
/// assert_eq!(joined.order(), &[(0, 0), (1, 0), (1, 1), (0, 1), (1, 2), (1, 3)]);
/// ```
pub struct JoinedStages {
    parts: Vec<Box<dyn Stage>>,
    /// Joined task index to (part, the part's own task index).
    order: Vec<(usize, usize)>,
}

impl JoinedStages {
    /// Joins `parts`, which must not read one another's results, have no task schedule
    /// and run in this process alone (no exchange between processes).
    pub fn new(parts: Vec<Box<dyn Stage>>) -> JoinedStages {
        let mut order: Vec<(usize, usize)> = parts
            .iter()
            .enumerate()
            .flat_map(|(p, part)| (0..part.num_tasks()).map(move |i| (p, i)))
            .collect();
        // task i of n at the point i / n (compared exactly); ties keep the parts' order
        let n = |p: usize| parts[p].num_tasks() as u128;
        order.sort_by(|&(pa, ia), &(pb, ib)| {
            (ia as u128 * n(pb))
                .cmp(&(ib as u128 * n(pa)))
                .then(pa.cmp(&pb))
        });
        JoinedStages { parts, order }
    }

    /// The joined tasks in run order, as (part, the part's task index).
    pub fn order(&self) -> &[(usize, usize)] {
        &self.order
    }
}

impl Stage for JoinedStages {
    fn label(&self) -> String {
        let first = self.parts.first().map_or(String::new(), |p| p.label());
        if self.parts.iter().all(|p| p.label() == first) {
            format!("{first} x{}", self.parts.len())
        } else {
            let labels: Vec<String> = self.parts.iter().map(|p| p.label()).collect();
            labels.join(", ")
        }
    }
    fn num_tasks(&self) -> usize {
        self.order.len()
    }
    fn task_shape(&self) -> Vec<usize> {
        self.parts
            .iter()
            .max_by_key(|p| p.worker_bytes())
            .map_or_else(Vec::new, |p| p.task_shape())
    }
    fn worker_bytes(&self) -> u64 {
        self.parts
            .iter()
            .fold(0u64, |sum, p| sum.saturating_add(p.worker_bytes()))
    }
    fn stage_bytes(&self, workers: usize) -> u64 {
        self.parts
            .iter()
            .fold(0u64, |sum, p| sum.saturating_add(p.stage_bytes(workers)))
    }
    fn work_bytes(&self) -> u64 {
        self.parts.iter().map(|p| p.work_bytes()).sum()
    }
    fn suggest_fit(&self, budget: u64) -> Option<String> {
        self.parts.iter().find_map(|p| p.suggest_fit(budget))
    }
    fn prepare(&self, budget: &MemoryBudget, workers: usize) -> Result<()> {
        for part in &self.parts {
            part.prepare(budget, workers)?;
        }
        Ok(())
    }
    fn worker(&self) -> Box<dyn StageWorker + '_> {
        Box::new(JoinedWorker {
            stage: self,
            workers: (0..self.parts.len()).map(|_| None).collect(),
        })
    }
    fn prefetch(&self, index: usize) {
        if let Some(&(p, i)) = self.order.get(index) {
            self.parts[p].prefetch(i);
        }
    }
    fn finish(&self) -> Result<()> {
        for part in &self.parts {
            part.finish()?;
        }
        Ok(())
    }
}

/// One thread's worker of a joined stage: a worker of each part, made when the part's
/// first task comes, kept to the end (its evaluators stay in their block pools).
struct JoinedWorker<'a> {
    stage: &'a JoinedStages,
    workers: Vec<Option<Box<dyn StageWorker + 'a>>>,
}

impl StageWorker for JoinedWorker<'_> {
    fn run(&mut self, index: usize) -> Result<()> {
        let (p, i) = self.stage.order[index];
        let stage = self.stage;
        self.workers[p]
            .get_or_insert_with(|| stage.parts[p].worker())
            .run(i)
    }
}
