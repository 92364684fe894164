//! What a computation did: tasks, time per stage, peak reserved memory against the budget.

use crate::util::size::format_bytes;
use std::fmt;

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
