//! What a computation did: tasks, time per stage, peak reserved memory against the budget.

use crate::util::size::format_bytes;
use std::fmt;

/// Bytes moved to and from storage, as counted by stores and spill files.
///
/// ```
/// use spillway::exec::report::IoCounts;
/// let a = IoCounts { read_bytes: 10, written_bytes: 4, spilled_bytes: 0, reread_bytes: 0 };
/// let b = IoCounts { read_bytes: 25, written_bytes: 4, spilled_bytes: 8, reread_bytes: 8 };
/// assert_eq!(b.since(&a), IoCounts { read_bytes: 15, written_bytes: 0, spilled_bytes: 8, reread_bytes: 8 });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IoCounts {
    /// Bytes read from stores (as stored, i.e. compressed when the store compresses).
    pub read_bytes: u64,
    /// Bytes written to stores (as stored).
    pub written_bytes: u64,
    /// Bytes of intermediates written to spill files (as written to disk).
    pub spilled_bytes: u64,
    /// Bytes of spill files read back.
    pub reread_bytes: u64,
}

impl IoCounts {
    /// The counts accumulated since `earlier` (saturating).
    pub fn since(&self, earlier: &IoCounts) -> IoCounts {
        IoCounts {
            read_bytes: self.read_bytes.saturating_sub(earlier.read_bytes),
            written_bytes: self.written_bytes.saturating_sub(earlier.written_bytes),
            spilled_bytes: self.spilled_bytes.saturating_sub(earlier.spilled_bytes),
            reread_bytes: self.reread_bytes.saturating_sub(earlier.reread_bytes),
        }
    }

    /// The sum of two counts.
    pub fn plus(&self, other: &IoCounts) -> IoCounts {
        IoCounts {
            read_bytes: self.read_bytes + other.read_bytes,
            written_bytes: self.written_bytes + other.written_bytes,
            spilled_bytes: self.spilled_bytes + other.spilled_bytes,
            reread_bytes: self.reread_bytes + other.reread_bytes,
        }
    }
}

/// Something that counts the bytes it moves (a store, a spill directory); a run reads
/// each meter before and after and reports the difference.
pub trait IoMeter: Send + Sync {
    /// The totals so far.
    fn io_counts(&self) -> IoCounts;
}

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
