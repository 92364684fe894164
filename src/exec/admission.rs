//! Admission of a scheduled stage's tasks: which task starts when, in dependency order,
//! each under a reservation of its own memory.
//!
//! For a stage with a [`TaskSchedule`] (delayed tasks), the runner keeps a queue of ready
//! tasks (every input done), in index order at first and then in the order they become
//! ready. Ready tasks start from the front of the queue while fewer than the stage's
//! workers run and the budget grants the front task's memory, so a large task is not
//! starved by smaller ones behind it. Each started task is one job on the client's pool
//! that holds its reservation while it runs; when it ends, the job itself marks its
//! readers ready and admits what may start now. No job ever waits for another task, so
//! a computation started from inside a task (on the same pool) cannot deadlock on it.
//! Memory is waited for (up to 600 s) only when none of the stage's tasks runs: then
//! only other computations hold it. The first failure stops new starts; running tasks
//! finish, tasks not started stay as they are.

use super::executor::StageRun;
use super::stage::TaskSchedule;
use crate::memory::Reservation;
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How long the first task waits for memory that other computations hold.
const RESERVE_WAIT: Duration = Duration::from_secs(600);

/// Runs the tasks of `schedule` (the schedule of `run`'s stage), at most `workers` at
/// once, on the client's pool; returns when every admitted task ended. Failures are
/// kept in `run`.
pub(super) fn run(run: &StageRun<'_>, schedule: &TaskSchedule, workers: usize) {
    let n = schedule.len();
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut waiting_on = vec![0usize; n];
    for (index, waiting) in waiting_on.iter_mut().enumerate() {
        for &input in schedule.inputs(index) {
            *waiting += 1;
            readers[input].push(index);
        }
    }
    let ready = (0..n).filter(|&i| waiting_on[i] == 0).collect();
    let admission = Admission {
        run,
        schedule,
        readers,
        workers: workers.max(1),
        queue: Mutex::new(Queue {
            ready,
            waiting_on,
            running: 0,
        }),
    };
    run.client.pool().scope(|scope| {
        let mut queue = admission.lock();
        admission.admit(&mut queue, scope);
    });
}

/// The state of one scheduled stage's run.
struct Admission<'a, 'r> {
    run: &'a StageRun<'r>,
    schedule: &'a TaskSchedule,
    /// The tasks that read each task.
    readers: Vec<Vec<usize>>,
    /// The most tasks running at once.
    workers: usize,
    queue: Mutex<Queue>,
}

/// Which tasks may start.
struct Queue {
    /// Tasks whose inputs are all done, not started yet, in the order they start.
    ready: VecDeque<usize>,
    /// Per task, how many of its inputs have not succeeded yet.
    waiting_on: Vec<usize>,
    /// Tasks started and not yet ended.
    running: usize,
}

impl<'a> Admission<'a, '_> {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // nothing panics while the queue is locked; a poisoned lock still holds valid data
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts ready tasks from the front of the queue while threads and memory allow.
    fn admit(&'a self, queue: &mut Queue, scope: &rayon::Scope<'a>) {
        let run = self.run;
        while !run.is_cancelled() && queue.running < self.workers {
            let Some(&index) = queue.ready.front() else {
                break;
            };
            let bytes = run
                .stage
                .worker_bytes()
                .saturating_add(self.schedule.bytes(index));
            let mut held: Reservation = run
                .client
                .budget()
                .consumer(format!("{} task {}", run.label, self.schedule.label(index)))
                .register();
            if queue.running == 0 {
                // nothing of this stage runs: only other computations hold the memory
                if let Err(e) = held.grow_waiting(bytes, RESERVE_WAIT) {
                    run.fail(e.into());
                    break;
                }
            } else if held.try_grow(bytes).is_err() {
                // a running task of this stage admits it when it ends
                break;
            }
            queue.ready.pop_front();
            queue.running += 1;
            scope.spawn(move |scope| self.run_one(index, held, scope));
        }
    }

    /// Runs task `index` holding `held`, then marks its readers ready and admits more.
    fn run_one(&'a self, index: usize, held: Reservation, scope: &rayon::Scope<'a>) {
        let run = self.run;
        let running = super::executor::RunningOn::enter(run.client);
        let clock = run.clock();
        let mut worker = run.stage.worker();
        let ok = run.run_task(worker.as_mut(), index, Some(self.schedule.label(index)));
        drop(worker);
        drop(clock);
        drop(running);
        drop(held);
        let mut queue = self.lock();
        queue.running -= 1;
        if ok {
            for &reader in &self.readers[index] {
                queue.waiting_on[reader] -= 1;
                if queue.waiting_on[reader] == 0 {
                    queue.ready.push_back(reader);
                }
            }
        }
        self.admit(&mut queue, scope);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::client::Client;
    use crate::exec::error::{ExecError, Result};
    use crate::exec::executor::run_validated;
    use crate::exec::stage::{Stage, StageWorker};
    use crate::memory::MemoryBudget;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A scheduled stage whose tasks log their start and end, and check that their
    /// inputs ended before.
    struct Logged {
        schedule: TaskSchedule,
        log: Mutex<Vec<(usize, bool)>>,
        running: AtomicUsize,
        most: AtomicUsize,
        fail: Option<usize>,
    }

    impl Logged {
        fn new(schedule: TaskSchedule, fail: Option<usize>) -> Self {
            Logged {
                schedule,
                log: Mutex::new(Vec::new()),
                running: AtomicUsize::new(0),
                most: AtomicUsize::new(0),
                fail,
            }
        }
        fn ended(&self) -> Vec<usize> {
            let log = self.log.lock().unwrap();
            log.iter().filter(|e| e.1).map(|e| e.0).collect()
        }
    }

    impl Stage for Logged {
        fn label(&self) -> String {
            "logged".to_string()
        }
        fn num_tasks(&self) -> usize {
            self.schedule.len()
        }
        fn task_shape(&self) -> Vec<usize> {
            Vec::new()
        }
        fn worker_bytes(&self) -> u64 {
            0
        }
        fn stage_bytes(&self, _workers: usize) -> u64 {
            0
        }
        fn suggest_fit(&self, _budget: u64) -> Option<String> {
            None
        }
        fn prepare(&self, _budget: &MemoryBudget, _workers: usize) -> Result<()> {
            Ok(())
        }
        fn worker(&self) -> Box<dyn StageWorker + '_> {
            Box::new(LoggedWorker(self))
        }
        fn finish(&self) -> Result<()> {
            Ok(())
        }
        fn schedule(&self) -> Option<&TaskSchedule> {
            Some(&self.schedule)
        }
    }

    struct LoggedWorker<'a>(&'a Logged);

    impl StageWorker for LoggedWorker<'_> {
        fn run(&mut self, index: usize) -> Result<()> {
            let stage = self.0;
            {
                let log = stage.log.lock().unwrap();
                for &input in stage.schedule.inputs(index) {
                    assert!(log.contains(&(input, true)), "task {index} before {input}");
                }
            }
            stage.log.lock().unwrap().push((index, false));
            let now = stage.running.fetch_add(1, Ordering::SeqCst) + 1;
            stage.most.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(5));
            stage.running.fetch_sub(1, Ordering::SeqCst);
            if stage.fail == Some(index) {
                return Err(ExecError::TaskPanicked {
                    op: "logged".to_string(),
                    task: index,
                    message: "failed on purpose".to_string(),
                });
            }
            stage.log.lock().unwrap().push((index, true));
            Ok(())
        }
    }

    fn client(threads: usize) -> Client {
        Client::builder()
            .n_workers(1)
            .threads_per_worker(threads)
            .memory_limit("10MB")
            .set_as_current(false)
            .build()
            .unwrap()
    }

    /// A diamond (0 -> 1, 2 -> 3) and an independent chain (4 -> 5).
    fn diamond(bytes: u64) -> TaskSchedule {
        let mut s = TaskSchedule::default();
        let a = s.push("a", bytes, &[]);
        let b = s.push("b", bytes, &[a]);
        let c = s.push("c", bytes, &[a]);
        s.push("d", bytes, &[b, c]);
        let e = s.push("e", bytes, &[]);
        s.push("f", bytes, &[e]);
        s
    }

    #[test]
    fn inputs_end_before_readers_start() {
        let c = client(3);
        let stage = Logged::new(diamond(0), None);
        let report = run_validated(&[&stage], &c).unwrap();
        assert_eq!(report.tasks, 6);
        assert_eq!(report.stages.len(), 1);
        let mut ended = stage.ended();
        ended.sort_unstable();
        assert_eq!(ended, vec![0, 1, 2, 3, 4, 5]);
        assert!(stage.most.load(Ordering::SeqCst) >= 2);
        assert_eq!(c.budget().reserved(), 0);
        c.close();
    }

    #[test]
    fn task_memory_bounds_how_many_run_at_once() {
        let c = client(4);
        let limit = c.budget().limit();
        // 60% of the budget each: never two at once
        let stage = Logged::new(diamond(limit * 6 / 10), None);
        let report = run_validated(&[&stage], &c).unwrap();
        assert_eq!(stage.most.load(Ordering::SeqCst), 1);
        assert_eq!(stage.ended().len(), 6);
        assert!(report.peak_reserved_bytes <= limit);
        assert!(report.peak_reserved_bytes >= limit * 6 / 10);
        assert_eq!(c.budget().reserved(), 0);
        c.close();
    }

    #[test]
    fn a_failure_stops_new_starts() {
        let c = client(1);
        // one thread: "a" fails, nothing else starts
        let stage = Logged::new(diamond(0), Some(0));
        let err = run_validated(&[&stage], &c).unwrap_err();
        assert!(err.to_string().contains("failed on purpose"), "{err}");
        assert_eq!(stage.log.lock().unwrap().len(), 1);
        assert_eq!(c.budget().reserved(), 0);
        c.close();
    }
}
