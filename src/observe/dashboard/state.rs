//! The dashboard's state: what it keeps of the client's computations (stages, task
//! records, memory samples, spill counts), bounded, and the [`Monitor`] that fills it.

use super::{MAX_COMPUTATIONS, MAX_MEMORY_SAMPLES, MAX_TASK_RECORDS};
use crate::exec::monitor::{Monitor, StageInfo, TaskRecord};
use crate::exec::report::RunReport;
use crate::memory::MemoryBudget;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The least time between two samples taken as tasks finish.
const TASK_SAMPLE_EVERY: f64 = 0.05;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Pending,
    Running,
    Done,
    Failed,
}

impl Phase {
    pub(super) fn name(self) -> &'static str {
        match self {
            Phase::Pending => "pending",
            Phase::Running => "running",
            Phase::Done => "done",
            Phase::Failed => "failed",
        }
    }
}

pub(super) struct StageEntry {
    pub(super) label: String,
    pub(super) tasks: usize,
    pub(super) done: usize,
    pub(super) workers: Option<usize>,
    pub(super) worker_bytes: u64,
    pub(super) stage_bytes: u64,
    pub(super) phase: Phase,
    pub(super) seconds: Option<f64>,
}

pub(super) struct Computation {
    pub(super) id: u64,
    /// Its time origin, relative to the dashboard's.
    pub(super) offset: Duration,
    pub(super) phase: Phase,
    pub(super) seconds: Option<f64>,
    pub(super) peak_reserved: Option<u64>,
    /// Bytes it wrote to spill files and read back from them, from its report.
    pub(super) spill: Option<SpillCounts>,
    pub(super) stages: Vec<StageEntry>,
}

impl Computation {
    pub(super) fn has_stage(&self, index: usize, label: &str) -> bool {
        self.stages.get(index).is_some_and(|s| s.label == label)
    }
}

pub(super) struct TaskEntry {
    pub(super) computation: u64,
    pub(super) stage: usize,
    pub(super) label: Arc<str>,
    pub(super) task: usize,
    pub(super) worker: usize,
    pub(super) thread: usize,
    pub(super) start: f64,
    pub(super) end: f64,
}

#[derive(Default)]
pub(super) struct State {
    pub(super) next_id: u64,
    pub(super) computations: VecDeque<Computation>,
    pub(super) tasks: VecDeque<TaskEntry>,
    pub(super) tasks_seen: u64,
    pub(super) samples: VecDeque<Sample>,
    /// When the last sample was taken as a task finished.
    pub(super) last_task_sample: f64,
    /// Spilling of every computation that finished since the dashboard started.
    pub(super) spill: SpillCounts,
    /// Computations whose report has been counted in `spill`.
    pub(super) reports: u64,
}

impl State {
    /// The most recent running computation that has stage `index` labelled `label`.
    pub(super) fn running_with(&mut self, index: usize, label: &str) -> Option<&mut Computation> {
        self.computations
            .iter_mut()
            .rev()
            .find(|c| c.phase == Phase::Running && c.has_stage(index, label))
    }

    pub(super) fn push_sample(&mut self, at: f64, sample: Snapshot) {
        if self.samples.len() >= MAX_MEMORY_SAMPLES {
            self.samples.pop_front();
        }
        self.samples.push_back(Sample {
            at,
            reserved: sample.reserved,
            by_worker: sample.by_worker,
        });
    }
}

/// Bytes written to spill files and read back from them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct SpillCounts {
    /// Bytes written to spill files (as written to disk).
    pub(super) spilled: u64,
    /// Bytes of spill files read back.
    pub(super) reread: u64,
}

impl SpillCounts {
    fn of(report: &RunReport) -> SpillCounts {
        SpillCounts {
            spilled: report.io.spilled_bytes,
            reread: report.io.reread_bytes,
        }
    }
}

/// Who holds reserved bytes, for the memory chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Holder {
    /// A worker of the client, by index.
    Worker(usize),
    /// A thread outside the client's pool (the caller).
    Client,
}

impl Holder {
    pub(super) fn key(self) -> String {
        match self {
            Holder::Worker(w) => w.to_string(),
            Holder::Client => "client".to_string(),
        }
    }
}

/// The budget at one instant: the total and its split by worker (which sums to it).
pub(super) struct Snapshot {
    pub(super) reserved: u64,
    pub(super) by_worker: Vec<(Holder, u64)>,
}

/// One memory sample.
pub(super) struct Sample {
    pub(super) at: f64,
    pub(super) reserved: u64,
    pub(super) by_worker: Vec<(Holder, u64)>,
}

/// What the page shows about the client (fixed while the dashboard runs).
pub(super) struct ClientSummary {
    pub(super) workers: usize,
    pub(super) threads_per_worker: usize,
    pub(super) memory_limit_per_worker: u64,
}

/// The monitor half: shared by the client (as a monitor) and the server thread.
pub(super) struct Shared {
    pub(super) origin: Instant,
    pub(super) budget: MemoryBudget,
    pub(super) summary: ClientSummary,
    pub(super) url: String,
    pub(super) state: Mutex<State>,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn now(&self) -> f64 {
        self.origin.elapsed().as_secs_f64()
    }

    /// The budget now, split by worker: pool threads map to workers as
    /// [`Client::worker_of_thread`] does; threads outside the pool (and any index past the
    /// last worker's threads) count as the client. The total is the sum of the breakdown,
    /// which the budget takes under the lock that guards its total.
    pub(super) fn snapshot(&self) -> Snapshot {
        let per_worker = self.summary.threads_per_worker.max(1);
        let mut by_worker: Vec<(Holder, u64)> = Vec::new();
        for (thread, bytes) in self.budget.reserved_by_thread() {
            let holder = match thread.map(|t| t / per_worker) {
                Some(w) if w < self.summary.workers => Holder::Worker(w),
                _ => Holder::Client,
            };
            match by_worker.iter_mut().find(|(h, _)| *h == holder) {
                Some((_, b)) => *b += bytes,
                None => by_worker.push((holder, bytes)),
            }
        }
        by_worker.sort();
        Snapshot {
            reserved: by_worker.iter().map(|&(_, b)| b).sum(),
            by_worker,
        }
    }

    pub(super) fn sample(&self) {
        let sample = self.snapshot();
        let at = self.now();
        self.lock().push_sample(at, sample);
    }
}

impl Monitor for Shared {
    fn computation_started(&self, stages: &[StageInfo], started: Instant) {
        let offset = started.saturating_duration_since(self.origin);
        let reserved = self.snapshot();
        let mut state = self.lock();
        state.next_id += 1;
        let id = state.next_id;
        if state.computations.len() >= MAX_COMPUTATIONS {
            let oldest_ended = state
                .computations
                .iter()
                .position(|c| c.phase != Phase::Running)
                .unwrap_or(0);
            state.computations.remove(oldest_ended);
        }
        state.computations.push_back(Computation {
            id,
            offset,
            phase: Phase::Running,
            seconds: None,
            peak_reserved: None,
            spill: None,
            stages: stages
                .iter()
                .map(|info| StageEntry {
                    label: info.label.clone(),
                    tasks: info.tasks,
                    done: 0,
                    workers: None,
                    worker_bytes: info.worker_bytes,
                    stage_bytes: info.stage_bytes,
                    phase: Phase::Pending,
                    seconds: None,
                })
                .collect(),
        });
        state.push_sample(offset.as_secs_f64(), reserved);
    }

    fn stage_started(&self, index: usize, info: &StageInfo, workers: usize) {
        let reserved = self.snapshot();
        let at = self.now();
        let mut state = self.lock();
        state.push_sample(at, reserved);
        if let Some(stage) = state
            .running_with(index, &info.label)
            .and_then(|c| c.stages.get_mut(index))
        {
            stage.phase = Phase::Running;
            stage.workers = Some(workers);
        }
    }

    fn task_finished(&self, record: &TaskRecord) {
        let at = self.now();
        let mut state = self.lock();
        state.tasks_seen += 1;
        // Sample the budget while the workers hold their reservations.
        if at - state.last_task_sample >= TASK_SAMPLE_EVERY {
            state.last_task_sample = at;
            let reserved = self.snapshot();
            state.push_sample(at, reserved);
        }
        let Some(computation) = state.running_with(record.stage, &record.label) else {
            return;
        };
        let (id, offset) = (computation.id, computation.offset);
        if let Some(stage) = computation.stages.get_mut(record.stage) {
            stage.done = (stage.done + 1).min(stage.tasks);
        }
        if state.tasks.len() >= MAX_TASK_RECORDS {
            state.tasks.pop_front();
        }
        state.tasks.push_back(TaskEntry {
            computation: id,
            stage: record.stage,
            label: record.label.clone(),
            task: record.task,
            worker: record.worker,
            thread: record.thread,
            start: (offset + record.start).as_secs_f64(),
            end: (offset + record.end).as_secs_f64(),
        });
    }

    fn stage_finished(&self, index: usize, info: &StageInfo, seconds: f64) {
        let reserved = self.snapshot();
        let at = self.now();
        let mut state = self.lock();
        if let Some(stage) = state
            .running_with(index, &info.label)
            .and_then(|c| c.stages.get_mut(index))
        {
            stage.phase = Phase::Done;
            stage.done = stage.tasks;
            stage.seconds = Some(seconds);
        }
        state.push_sample(at, reserved);
    }

    fn computation_finished(&self, report: Option<&RunReport>) {
        let reserved = self.snapshot();
        let at = self.now();
        let mut state = self.lock();
        if let Some(report) = report {
            let spill = SpillCounts::of(report);
            state.spill.spilled = state.spill.spilled.saturating_add(spill.spilled);
            state.spill.reread = state.spill.reread.saturating_add(spill.reread);
            state.reports += 1;
        }
        let mut running = state
            .computations
            .iter_mut()
            .rev()
            .filter(|c| c.phase == Phase::Running);
        let found = match report {
            Some(report) => running.find(|c| {
                c.stages.len() == report.stages.len()
                    && c.stages
                        .iter()
                        .zip(&report.stages)
                        .all(|(a, b)| a.label == b.label)
            }),
            // A failed one: the latest in a stage, else the latest (it failed before its
            // first stage started).
            None => {
                let candidates: Vec<&mut Computation> = running.collect();
                let in_stage = candidates
                    .iter()
                    .position(|c| c.stages.iter().any(|s| s.phase == Phase::Running))
                    .unwrap_or(0);
                candidates.into_iter().nth(in_stage)
            }
        };
        if let Some(c) = found {
            match report {
                Some(report) => {
                    c.phase = Phase::Done;
                    c.seconds = Some(report.seconds);
                    c.peak_reserved = Some(report.peak_reserved_bytes);
                    c.spill = Some(SpillCounts::of(report));
                }
                None => {
                    c.phase = Phase::Failed;
                    c.seconds = Some((at - c.offset.as_secs_f64()).max(0.0));
                    for stage in &mut c.stages {
                        if stage.phase == Phase::Running {
                            stage.phase = Phase::Failed;
                        }
                    }
                }
            }
        }
        state.push_sample(at, reserved);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Reservation;
    use serde_json::json;

    fn shared() -> Shared {
        Shared {
            origin: Instant::now(),
            budget: MemoryBudget::new(1000),
            summary: ClientSummary {
                workers: 1,
                threads_per_worker: 2,
                memory_limit_per_worker: 1000,
            },
            url: "http://127.0.0.1:1/status".to_string(),
            state: Mutex::new(State::default()),
        }
    }

    fn info(label: &str, tasks: usize) -> StageInfo {
        StageInfo {
            label: label.to_string(),
            tasks,
            worker_bytes: 8,
            stage_bytes: 16,
            work_bytes: 0,
        }
    }

    fn record(stage: usize, label: &str, task: usize) -> TaskRecord {
        TaskRecord {
            stage,
            label: Arc::from(label),
            task,
            thread: task % 2,
            worker: 0,
            start: Duration::from_millis(task as u64),
            end: Duration::from_millis(task as u64 + 1),
        }
    }

    #[test]
    fn a_failed_computation_is_marked_failed() {
        let s = shared();
        let stages = [info("add", 3), info("sum", 1)];
        s.computation_started(&stages, Instant::now());
        s.stage_started(0, &stages[0], 2);
        s.task_finished(&record(0, "add", 0));
        s.computation_finished(None);
        let json = s.status_json();
        let c = &json["computations"][0];
        assert_eq!(c["status"], "failed");
        assert_eq!(c["done"], 1);
        assert_eq!(c["tasks"], 4);
        assert_eq!(c["stages"][0]["status"], "failed");
        assert_eq!(c["stages"][0]["workers"], 2);
        assert_eq!(c["stages"][1]["status"], "pending");

        // Failing before the first stage started still ends the computation.
        s.computation_started(&stages, Instant::now());
        s.computation_finished(None);
        assert_eq!(s.status_json()["computations"][1]["status"], "failed");
    }

    #[test]
    fn records_and_computations_are_capped() {
        let s = shared();
        let stages = [info("map", MAX_TASK_RECORDS + 50)];
        for _ in 0..MAX_COMPUTATIONS + 3 {
            s.computation_started(&stages, Instant::now());
            s.computation_finished(Some(&RunReport {
                stages: vec![crate::exec::report::StageReport {
                    label: "map".into(),
                    tasks: 0,
                    seconds: 0.0,
                    ..Default::default()
                }],
                ..RunReport::default()
            }));
        }
        s.computation_started(&stages, Instant::now());
        for task in 0..MAX_TASK_RECORDS + 50 {
            s.task_finished(&record(0, "map", task));
        }
        // A record of no running computation is counted but not kept.
        s.task_finished(&record(3, "other", 0));
        for _ in 0..MAX_MEMORY_SAMPLES + 10 {
            s.sample();
        }
        let json = s.status_json();
        let computations = json["computations"].as_array().unwrap();
        assert_eq!(computations.len(), MAX_COMPUTATIONS);
        assert!(
            computations[..MAX_COMPUTATIONS - 1]
                .iter()
                .all(|c| c["status"] == "done")
        );
        let last = &computations[MAX_COMPUTATIONS - 1];
        assert_eq!(last["status"], "running");
        assert_eq!(last["done"], MAX_TASK_RECORDS + 50);
        let records = json["tasks"]["records"].as_array().unwrap();
        assert_eq!(records.len(), MAX_TASK_RECORDS);
        assert_eq!(records[0]["task"], 50);
        assert_eq!(json["tasks"]["seen"], MAX_TASK_RECORDS + 51);
        assert_eq!(
            json["memory"]["samples"].as_array().unwrap().len(),
            MAX_MEMORY_SAMPLES
        );
    }

    #[test]
    fn samples_split_memory_by_worker() {
        let s = shared();
        let mut caller = s.budget.consumer("caller").register();
        caller.try_grow(5).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        // Threads 0 and 1 are worker 0's; thread 2 is past the client's threads.
        let held: Vec<Reservation> = pool.broadcast(|ctx| {
            let mut r = s.budget.consumer("task").register();
            r.try_grow(10 * (ctx.index() as u64 + 1)).unwrap();
            r
        });
        s.sample();
        let json = s.status_json();
        let last = json["memory"]["worker_samples"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last[1], 65);
        assert_eq!(last[2], json!({"0": 30, "client": 35}));
        assert_eq!(
            json["memory"]["samples"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()[1],
            65
        );
        drop(held);
        drop(caller);
        s.sample();
        let json = s.status_json();
        let last = json["memory"]["worker_samples"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last[1], 0);
        assert_eq!(last[2], json!({}));
    }

    #[test]
    fn spill_counts_add_up_over_finished_computations() {
        let s = shared();
        let stages = [info("rechunk", 2)];
        let report = |spilled, reread| RunReport {
            stages: vec![crate::exec::report::StageReport {
                label: "rechunk".into(),
                tasks: 2,
                seconds: 0.0,
                ..Default::default()
            }],
            io: crate::exec::report::IoCounts {
                spilled_bytes: spilled,
                reread_bytes: reread,
                ..Default::default()
            },
            ..RunReport::default()
        };
        s.computation_started(&stages, Instant::now());
        s.computation_finished(Some(&report(100, 60)));
        s.computation_started(&stages, Instant::now());
        s.computation_finished(Some(&report(20, 20)));
        // A failed computation has no report, so nothing to count.
        s.computation_started(&stages, Instant::now());
        s.computation_finished(None);
        let json = s.status_json();
        assert_eq!(json["spill"]["spilled_bytes"], 120);
        assert_eq!(json["spill"]["read_bytes"], 80);
        assert_eq!(json["spill"]["computations"], 2);
        assert_eq!(json["computations"][0]["spilled_bytes"], 100);
        assert_eq!(json["computations"][0]["reread_bytes"], 60);
        assert_eq!(json["computations"][2]["spilled_bytes"], json!(null));
    }
}
