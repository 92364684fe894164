//! What a computation did: tasks, time per stage and where it went, peak reserved memory
//! against the budget.

use crate::util::phase_clock::{Phase, PhaseTimes};
use crate::util::size::format_bytes;
use std::fmt;
use std::time::Duration;

/// The byte counts a run collects from its stores, defined by the store layer that
/// counts them (re-exported here, where the report uses them).
pub use crate::store::meter::{IoCounts, IoMeter};

/// One stage of a finished computation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageReport {
    /// The op the stage computed.
    pub label: String,
    /// Tasks it ran.
    pub tasks: usize,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Where its workers' time went.
    pub time: TimeBreakdown,
}

/// Where the worker threads' time went, summed over threads: reading, decoding, encoding
/// and writing chunk files, waiting for memory or for a block another thread reads,
/// computing (busy time less all of these) and idling (threads that had nothing to do
/// while others finished).
///
/// ```
/// use spillway::exec::report::TimeBreakdown;
/// use spillway::util::phase_clock::Phase;
/// use std::time::Duration;
///
/// let mut t = TimeBreakdown { capacity_seconds: 4.0, busy_seconds: 3.0, ..Default::default() };
/// t.phases.add(Phase::Decode, Duration::from_secs(2));
/// assert_eq!(t.compute_seconds(), 1.0);
/// assert_eq!(t.idle_seconds(), 1.0);
/// assert_eq!(t.seconds(Phase::Decode), 2.0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TimeBreakdown {
    /// Threads times wall time: the worker time the stages had (each stage's workers
    /// times its wall time).
    pub capacity_seconds: f64,
    /// Time the workers spent running tasks, waits inside tasks included.
    pub busy_seconds: f64,
    /// The parts of the busy time that were not computing.
    pub phases: PhaseTimes,
}

impl TimeBreakdown {
    /// Seconds spent in `phase`.
    ///
    /// ```
    /// use spillway::exec::report::TimeBreakdown;
    /// use spillway::util::phase_clock::Phase;
    /// assert_eq!(TimeBreakdown::default().seconds(Phase::Read), 0.0);
    /// ```
    pub fn seconds(&self, phase: Phase) -> f64 {
        self.phases.get(phase).as_secs_f64()
    }

    /// Busy seconds that went to none of the phases: computing.
    ///
    /// ```
    /// let t = spillway::exec::report::TimeBreakdown { busy_seconds: 2.5, ..Default::default() };
    /// assert_eq!(t.compute_seconds(), 2.5);
    /// ```
    pub fn compute_seconds(&self) -> f64 {
        (self.busy_seconds - self.phases.total().as_secs_f64()).max(0.0)
    }

    /// Worker seconds with no task to run.
    ///
    /// ```
    /// let t = spillway::exec::report::TimeBreakdown { capacity_seconds: 2.0, busy_seconds: 1.5, ..Default::default() };
    /// assert_eq!(t.idle_seconds(), 0.5);
    /// ```
    pub fn idle_seconds(&self) -> f64 {
        (self.capacity_seconds - self.busy_seconds).max(0.0)
    }

    /// The sum of two breakdowns.
    ///
    /// ```
    /// let t = spillway::exec::report::TimeBreakdown { busy_seconds: 1.0, ..Default::default() };
    /// assert_eq!(t.plus(&t).busy_seconds, 2.0);
    /// ```
    pub fn plus(&self, other: &TimeBreakdown) -> TimeBreakdown {
        TimeBreakdown {
            capacity_seconds: self.capacity_seconds + other.capacity_seconds,
            busy_seconds: self.busy_seconds + other.busy_seconds,
            phases: self.phases.plus(&other.phases),
        }
    }

    /// Adds one worker's (or task's) busy time and what it spent in each phase.
    pub(crate) fn add_busy(&mut self, busy: Duration, phases: &PhaseTimes) {
        self.busy_seconds += busy.as_secs_f64();
        self.phases = self.phases.plus(phases);
    }
}

impl fmt::Display for TimeBreakdown {
    /// `read=1.20s decode=4.10s encode=0.00s write=0.00s wait_memory=0.00s
    /// wait_block=0.31s compute=2.02s idle=0.40s` (thread-seconds).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for phase in Phase::ALL {
            write!(f, "{}={:.2}s ", phase.name(), self.seconds(phase))?;
        }
        write!(
            f,
            "compute={:.2}s idle={:.2}s",
            self.compute_seconds(),
            self.idle_seconds()
        )
    }
}

/// The report of one `compute`.
///
/// ```
/// let x = spillway::random::random([1000], 100);
/// let (_sum, report) = x.sum().compute_with_report().unwrap();
/// assert_eq!(report.tasks, 10); // one partial sum per chunk, merged in a tree
/// assert!(report.peak_reserved_bytes <= report.budget_bytes);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunReport {
    /// Tasks run over all stages.
    pub tasks: usize,
    /// The stages in the order they ran.
    pub stages: Vec<StageReport>,
    /// The most memory reserved at any moment.
    pub peak_reserved_bytes: u64,
    /// The budget the computation ran under.
    pub budget_bytes: u64,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Seconds spent planning (building stages, checking them against the budget)
    /// before the first task ran.
    pub plan_seconds: f64,
    /// Bytes read from and written to stores and spill files.
    pub io: IoCounts,
    /// Where the workers' time went, over all stages.
    pub time: TimeBreakdown,
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tasks={} stages={} seconds={:.3} plan_seconds={:.3} read={} written={} spilled={} reread={} peak_reserved={} budget={}",
            self.tasks,
            self.stages.len(),
            self.seconds,
            self.plan_seconds,
            format_bytes(self.io.read_bytes),
            format_bytes(self.io.written_bytes),
            format_bytes(self.io.spilled_bytes),
            format_bytes(self.io.reread_bytes),
            format_bytes(self.peak_reserved_bytes),
            format_bytes(self.budget_bytes)
        )
    }
}
