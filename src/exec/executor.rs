//! Runs stages on a client's worker threads under its memory budget.
//!
//! Before anything runs, every stage's projected memory is checked against the budget
//! (plan-time refusal). While it runs, each worker holds a [`Reservation`] for its working
//! set and the number of concurrent workers is bounded by what the budget can grant, so
//! the reserved total never exceeds the limit. Tasks are handed out in index order
//! through one atomic counter: the per-task cost is a `fetch_add` and a virtual call.
//! Stages whose tasks wait for one another and declare their own memory (delayed tasks,
//! a [`TaskSchedule`](super::stage::TaskSchedule)) run through the same runner: the same
//! monitors, reports and cancellation, with their tasks admitted by
//! [`admission`](super::admission).

use super::client::{Client, RuntimeError};
use super::error::{ExecError, PlanError, Result};
use super::monitor::{Monitor, StageInfo, TaskRecord};
use super::report::{RunReport, StageReport, TimeBreakdown};
use super::stage::{Stage, StageWorker};
use crate::memory::{MemoryBudget, Reservation};
use crate::util::phase_clock::{self, PhaseTimes};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Checks that every stage fits the budget, given that each stage's output stays alive
/// until the computation ends. Only the plan's own needs count: memory that other
/// computations on the client hold is waited for when the plan runs
/// ([`run_stages`]), not held against it.
pub fn validate(stages: &[Box<dyn Stage>], budget: &MemoryBudget) -> Result<()> {
    validate_beside(stages, budget, 0)
}

/// [`validate`] with `held` bytes of the budget already taken for the computation's whole
/// life (a computation started from inside a task of another one).
fn validate_beside(stages: &[Box<dyn Stage>], budget: &MemoryBudget, held: u64) -> Result<()> {
    let limit = budget.limit();
    let mut held = held;
    for stage in stages {
        let needed = stage
            .stage_bytes(1)
            .saturating_add(stage.worker_bytes())
            .saturating_add(held);
        if needed > limit {
            return Err(PlanError::TaskTooLarge {
                op: stage.label(),
                chunk_shape: stage.task_shape(),
                needed: needed - held,
                held,
                budget: limit,
                suggestion: stage
                    .suggest_fit(limit.saturating_sub(held))
                    .unwrap_or_else(|| "raise the memory limit".to_string()),
            }
            .into());
        }
        held = held.saturating_add(stage.stage_bytes(1));
    }
    Ok(())
}

/// The most bytes the stages hold at once with one worker each: a stage's output, those
/// of the stages before it, one worker and its largest scheduled task. What a computation
/// is admitted to the budget with.
pub(crate) fn peak_bytes(stages: &[Box<dyn Stage>]) -> u64 {
    let mut held = 0u64;
    let mut peak = 0u64;
    for stage in stages {
        let working = stage
            .worker_bytes()
            .saturating_add(stage.schedule().map_or(0, |s| s.max_bytes()));
        peak = peak.max(
            held.saturating_add(stage.stage_bytes(1))
                .saturating_add(working),
        );
        held = held.saturating_add(stage.stage_bytes(1));
    }
    peak
}

/// Validates, then runs the stages one after another on `client`'s threads.
pub fn run_stages(stages: &[Box<dyn Stage>], client: &Client) -> Result<RunReport> {
    run_stages_completing(stages, client, &|_| {})
}

/// [`run_stages`], letting `complete` fill in what the caller knows of the run (planning
/// time, bytes moved) before monitors see the report.
pub fn run_stages_completing(
    stages: &[Box<dyn Stage>],
    client: &Client,
    complete: &dyn Fn(&mut RunReport),
) -> Result<RunReport> {
    if let Some(hook) = super::distributed::registered() {
        // this rank's share of the bytes moved, and the planning time
        return hook.run_stages(stages, client).map(|mut report| {
            complete(&mut report);
            report
        });
    }
    if client.is_closed() {
        return Err(RuntimeError::Closed.into());
    }
    if let Some(launch) = crate::util::mpi_launch::launch() {
        return Err(not_joined(launch).into());
    }
    if inside_task_of(client) {
        // started from inside a task of a running computation: part of that computation's
        // turn, so it fits beside what the budget holds now or is refused
        validate_beside(stages, client.budget(), client.budget().reserved())?;
        let stages: Vec<&dyn Stage> = stages.iter().map(|s| s.as_ref()).collect();
        return run_validated_completing(&stages, client, complete);
    }
    validate(stages, client.budget())?;
    // wait for the computations before it to leave room for this one's peak
    let _turn = client.gate().admit(
        peak_bytes(stages),
        client.budget().limit(),
        client.admission_timeout(),
    )?;
    let stages: Vec<&dyn Stage> = stages.iter().map(|s| s.as_ref()).collect();
    run_validated_completing(&stages, client, complete)
}

/// The refusal for a process that an MPI launcher started as one of several ranks but
/// that computes without having joined the job.
fn not_joined(launch: crate::util::mpi_launch::Launch) -> RuntimeError {
    let (why, fix) = if cfg!(feature = "mpi") {
        (
            "the program did not call spillway::mpi::initialize (or initialize_in) before computing",
            "call it first, as the lesson calls dask_mpi's initialize",
        )
    } else {
        (
            "spillway was built without its `mpi` feature",
            "build with `cargo build --features mpi` and call spillway::mpi::initialize first",
        )
    };
    RuntimeError::NotJoinedToMpiJob {
        rank: launch.rank,
        size: launch.size,
        evidence: launch.evidence,
        why: why.into(),
        fix: fix.into(),
    }
}

/// Runs stages that [`validate`] accepted one after another on `client`'s threads.
pub fn run_validated(stages: &[&dyn Stage], client: &Client) -> Result<RunReport> {
    run_validated_completing(stages, client, &|_| {})
}

/// [`run_validated`] with a `complete` hook as in [`run_stages_completing`].
pub fn run_validated_completing(
    stages: &[&dyn Stage],
    client: &Client,
    complete: &dyn Fn(&mut RunReport),
) -> Result<RunReport> {
    if client.is_closed() {
        return Err(RuntimeError::Closed.into());
    }
    let budget = client.budget();
    let started = Instant::now();
    let watch = Watch {
        monitors: client.monitors(),
        started,
    };
    let infos: Vec<StageInfo> = stages
        .iter()
        .map(|s| StageInfo {
            label: s.label(),
            tasks: s.num_tasks(),
            // a scheduled stage's tasks reserve their own memory besides
            worker_bytes: s
                .worker_bytes()
                .saturating_add(s.schedule().map_or(0, |t| t.max_bytes())),
            stage_bytes: s.stage_bytes(1),
            work_bytes: s.work_bytes(),
        })
        .collect();
    for m in &watch.monitors {
        m.computation_started(&infos, started);
    }
    budget.reset_peak();
    let mut report = RunReport {
        budget_bytes: budget.limit(),
        ..RunReport::default()
    };
    for (index, (stage, info)) in stages.iter().zip(&infos).enumerate() {
        let stage_started = Instant::now();
        let time = match run_stage(*stage, client, &watch, index, info) {
            Ok(time) => time,
            Err(e) => {
                for m in &watch.monitors {
                    m.computation_finished(None);
                }
                return Err(e);
            }
        };
        let seconds = stage_started.elapsed().as_secs_f64();
        for m in &watch.monitors {
            m.stage_finished(index, info, seconds);
        }
        report.stages.push(StageReport {
            label: info.label.clone(),
            tasks: info.tasks,
            seconds,
            time,
        });
        report.time = report.time.plus(&time);
        report.tasks += info.tasks;
    }
    report.peak_reserved_bytes = budget.peak_reserved();
    report.seconds = started.elapsed().as_secs_f64();
    complete(&mut report);
    for m in &watch.monitors {
        m.computation_finished(Some(&report));
    }
    Ok(report)
}

thread_local! {
    /// The client whose stage the calling thread is running a worker of.
    static RUNNING: std::cell::RefCell<Option<Client>> = const { std::cell::RefCell::new(None) };
}

/// The client whose computation the calling thread is running a task of, if any: work a
/// task starts itself (a source computing delayed blocks) runs on that client and under
/// its budget, not on [`Client::current`].
pub(crate) fn running_client() -> Option<Client> {
    RUNNING.with(|r| r.borrow().clone())
}

/// Whether the calling thread is running a task of `client`: on its pool, or on the thread
/// that started a one-worker stage (which runs it in place). Work a task starts there is
/// part of that computation, not a new one that waits for its turn.
pub(crate) fn inside_task_of(client: &Client) -> bool {
    client.pool().current_thread_index().is_some()
        || RUNNING.with(|r| r.borrow().as_ref().is_some_and(|c| c.same_client(client)))
}

/// Marks the calling thread as running tasks of `client` until dropped (then restores
/// what it ran before, for nested runs).
pub(super) struct RunningOn(Option<Client>);

impl RunningOn {
    pub(super) fn enter(client: &Client) -> Self {
        RunningOn(RUNNING.with(|r| r.replace(Some(client.clone()))))
    }
}

impl Drop for RunningOn {
    fn drop(&mut self) {
        let previous = self.0.take();
        let ended = RUNNING.with(|r| r.replace(previous));
        drop(ended);
    }
}

/// The monitors of one computation and its time origin.
struct Watch {
    monitors: Vec<Arc<dyn Monitor>>,
    started: Instant,
}

/// Runs one stage; returns where its workers' time went.
fn run_stage(
    stage: &dyn Stage,
    client: &Client,
    watch: &Watch,
    stage_index: usize,
    info: &StageInfo,
) -> Result<TimeBreakdown> {
    let budget = client.budget();
    let num_tasks = stage.num_tasks();
    let worker_bytes = stage.worker_bytes().max(1);
    // as many workers as there are threads, tasks and memory for (at least one: the
    // plan was validated for one)
    let free = budget.available();
    let fits = |w: usize| {
        stage
            .stage_bytes(w)
            .saturating_add(worker_bytes.saturating_mul(w as u64))
            <= free
    };
    let mut workers = client.total_threads().min(num_tasks).max(1);
    while workers > 1 && !fits(workers) {
        workers -= 1;
    }
    stage.prepare(budget, workers)?;
    for m in &watch.monitors {
        m.stage_started(stage_index, info, workers);
    }
    let run = StageRun {
        stage,
        client,
        watch,
        stage_index,
        label: Arc::from(info.label.as_str()),
        cancelled: AtomicBool::new(false),
        first_error: Mutex::new(None),
        interrupts_at_start: client.interrupt_count(),
        time: Mutex::new(TimeBreakdown::default()),
    };
    let started = Instant::now();
    if let Some(schedule) = stage.schedule() {
        // tasks that wait for one another, each with its own memory
        super::admission::run(&run, schedule, workers);
        return run.finish(workers, started);
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let _running = RunningOn::enter(client);
        let _clock = run.clock();
        let mut reservation: Reservation = budget
            .consumer(format!("{} worker", stage.label()))
            .register();
        if let Err(e) = reservation.grow_waiting(worker_bytes, Duration::from_secs(600)) {
            run.fail(e.into());
            return;
        }
        let mut worker = stage.worker();
        loop {
            if run.is_cancelled() {
                return;
            }
            let index = next.fetch_add(1, Ordering::Relaxed);
            if index >= num_tasks {
                return;
            }
            // the task this worker takes next is about `workers` further on
            if index + workers < num_tasks {
                stage.prefetch(index + workers);
            }
            if !run.run_task(worker.as_mut(), index, None) {
                return;
            }
        }
    };
    if workers == 1 {
        // one worker runs on the calling thread: handing it to the pool costs two thread
        // switches, most of the time of a one-chunk computation
        work();
    } else {
        client.pool().scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|_| work());
            }
        });
    }
    run.finish(workers, started)
}

/// What the workers of one running stage share: the stage, the monitors, and the first
/// error, which cancels the tasks not started yet.
pub(super) struct StageRun<'a> {
    /// The stage.
    pub(super) stage: &'a dyn Stage,
    /// The client it runs on.
    pub(super) client: &'a Client,
    watch: &'a Watch,
    stage_index: usize,
    /// The stage's label, as task records carry it.
    pub(super) label: Arc<str>,
    cancelled: AtomicBool,
    first_error: Mutex<Option<ExecError>>,
    /// The client's interrupt count when the stage started.
    interrupts_at_start: u64,
    /// Where the workers' time went so far.
    time: Mutex<TimeBreakdown>,
}

/// Counts the time from its making to its drop, and what the thread spent in each phase
/// meanwhile, as one worker's (or task's) busy time of a stage.
pub(super) struct WorkerClock<'a> {
    time: &'a Mutex<TimeBreakdown>,
    started: Instant,
    before: PhaseTimes,
}

impl Drop for WorkerClock<'_> {
    fn drop(&mut self) {
        let phases = phase_clock::snapshot().since(&self.before);
        let busy = self.started.elapsed();
        self.time
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add_busy(busy, &phases);
    }
}

impl StageRun<'_> {
    /// The stage's outcome once every task ended: the first error, else
    /// [`Stage::finish`] and where the time of its `workers`, started at `started`, went.
    fn finish(self, workers: usize, started: Instant) -> Result<TimeBreakdown> {
        if let Some(error) = self
            .first_error
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
        {
            return Err(error);
        }
        self.stage.finish()?;
        let mut time = self.time.into_inner().unwrap_or_else(|e| e.into_inner());
        time.capacity_seconds = workers as f64 * started.elapsed().as_secs_f64();
        Ok(time)
    }

    /// Starts counting the calling worker's time (until the clock is dropped).
    pub(super) fn clock(&self) -> WorkerClock<'_> {
        WorkerClock {
            time: &self.time,
            started: Instant::now(),
            before: phase_clock::snapshot(),
        }
    }

    /// True once a task failed: no further task starts.
    /// An interrupt of the client since the stage started fails the stage with
    /// [`RuntimeError::Interrupted`](super::client::RuntimeError::Interrupted).
    pub(super) fn is_cancelled(&self) -> bool {
        if self.cancelled.load(Ordering::Relaxed) {
            return true;
        }
        if self.client.interrupt_count() != self.interrupts_at_start {
            self.fail(super::client::RuntimeError::Interrupted.into());
            return true;
        }
        false
    }

    /// Cancels the stage; the first error is the stage's.
    pub(super) fn fail(&self, error: ExecError) {
        self.cancelled.store(true, Ordering::SeqCst);
        let mut slot = self.first_error.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(error);
        }
    }

    /// Runs task `index` on `worker` (a panic becomes [`Error::TaskPanicked`]) and tells
    /// the monitors, under `label` or else the stage's label. False when it failed: its
    /// error is kept and the stage cancelled.
    pub(super) fn run_task(
        &self,
        worker: &mut (dyn StageWorker + '_),
        index: usize,
        label: Option<&Arc<str>>,
    ) -> bool {
        let watch = self.watch;
        let start = (!watch.monitors.is_empty()).then(|| watch.started.elapsed());
        let outcome = catch_unwind(AssertUnwindSafe(|| worker.run(index)));
        if let Some(start) = start {
            let thread = rayon::current_thread_index().unwrap_or(0);
            let record = TaskRecord {
                stage: self.stage_index,
                label: label.unwrap_or(&self.label).clone(),
                task: index,
                thread,
                worker: self.client.worker_of_thread(thread),
                start,
                end: watch.started.elapsed(),
            };
            for m in &watch.monitors {
                m.task_finished(&record);
            }
        }
        match outcome {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                self.fail(e);
                false
            }
            Err(payload) => {
                self.fail(ExecError::TaskPanicked {
                    op: self.stage.label(),
                    task: index,
                    message: panic_message(payload.as_ref()),
                });
                false
            }
        }
    }
}

/// The text of a panic payload (a `&str` or `String`, as `panic!` makes).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}
