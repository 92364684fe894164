//! Where a worker thread's time goes: per-thread totals of the time spent reading,
//! decoding, encoding and writing chunk files and waiting for memory or for a block
//! another thread reads.
//!
//! The layers that do the work add to the calling thread's totals ([`add`], [`timed`]);
//! the executor reads them before and after a worker runs ([`snapshot`]) and sums the
//! differences into the run report, so a computation's breakdown counts exactly the work
//! its own workers did, whatever else runs in the process. What is not counted in a phase
//! is computing (the executor's busy time less every phase).
//!
//! ```
//! use spillway::util::phase_clock::{self, Phase};
//! use std::time::Duration;
//!
//! let before = phase_clock::snapshot();
//! phase_clock::add(Phase::Decode, Duration::from_millis(3));
//! let spent = phase_clock::snapshot().since(&before);
//! assert_eq!(spent.get(Phase::Decode), Duration::from_millis(3));
//! assert_eq!(spent.get(Phase::Read), Duration::ZERO);
//! ```

use std::cell::Cell;
use std::time::{Duration, Instant};

/// One kind of time a worker spends other than computing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for chunk bytes from a file (or the page cache): the reading not hidden
    /// behind decoding.
    Read,
    /// Decoding chunk bytes (zstd, blosc, ...) into a block.
    Decode,
    /// Encoding a block into chunk bytes.
    Encode,
    /// Writing chunk bytes (waiting for the disk, syncing, renaming): the writing not
    /// hidden behind encoding.
    Write,
    /// Waiting for the memory budget to grant a reservation.
    WaitMemory,
    /// Waiting for a block that another thread is reading (shared between evaluators).
    WaitBlock,
}

impl Phase {
    /// Every phase, in report order.
    pub const ALL: [Phase; 6] = [
        Phase::Read,
        Phase::Decode,
        Phase::Encode,
        Phase::Write,
        Phase::WaitMemory,
        Phase::WaitBlock,
    ];

    /// The phase's name in reports (`read`, `decode`, `encode`, `write`, `wait_memory`,
    /// `wait_block`).
    ///
    /// ```
    /// assert_eq!(spillway::util::phase_clock::Phase::WaitMemory.name(), "wait_memory");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Phase::Read => "read",
            Phase::Decode => "decode",
            Phase::Encode => "encode",
            Phase::Write => "write",
            Phase::WaitMemory => "wait_memory",
            Phase::WaitBlock => "wait_block",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// Time per phase, in nanoseconds (one thread's totals, or a sum over threads).
///
/// ```
/// use spillway::util::phase_clock::{Phase, PhaseTimes};
/// use std::time::Duration;
///
/// let mut a = PhaseTimes::default();
/// a.add(Phase::Read, Duration::from_secs(1));
/// let b = a.plus(&a);
/// assert_eq!(b.get(Phase::Read), Duration::from_secs(2));
/// assert_eq!(b.total(), Duration::from_secs(2));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhaseTimes {
    nanos: [u64; 6],
}

impl PhaseTimes {
    /// The time spent in `phase`.
    ///
    /// ```
    /// use spillway::util::phase_clock::{Phase, PhaseTimes};
    /// assert!(PhaseTimes::default().get(Phase::Write).is_zero());
    /// ```
    pub fn get(&self, phase: Phase) -> Duration {
        Duration::from_nanos(self.nanos[phase.slot()])
    }

    /// Adds `spent` to `phase`.
    ///
    /// ```
    /// use spillway::util::phase_clock::{Phase, PhaseTimes};
    /// use std::time::Duration;
    /// let mut t = PhaseTimes::default();
    /// t.add(Phase::Encode, Duration::from_micros(5));
    /// assert_eq!(t.get(Phase::Encode), Duration::from_micros(5));
    /// ```
    pub fn add(&mut self, phase: Phase, spent: Duration) {
        let nanos = u64::try_from(spent.as_nanos()).unwrap_or(u64::MAX);
        let slot = &mut self.nanos[phase.slot()];
        *slot = slot.saturating_add(nanos);
    }

    /// The sum of every phase.
    ///
    /// ```
    /// use spillway::util::phase_clock::PhaseTimes;
    /// assert!(PhaseTimes::default().total().is_zero());
    /// ```
    pub fn total(&self) -> Duration {
        Duration::from_nanos(self.nanos.iter().fold(0u64, |s, &n| s.saturating_add(n)))
    }

    /// The times accumulated since `earlier` (saturating at zero).
    ///
    /// ```
    /// use spillway::util::phase_clock::{Phase, PhaseTimes};
    /// use std::time::Duration;
    /// let mut later = PhaseTimes::default();
    /// later.add(Phase::Read, Duration::from_secs(3));
    /// let mut earlier = PhaseTimes::default();
    /// earlier.add(Phase::Read, Duration::from_secs(1));
    /// assert_eq!(later.since(&earlier).get(Phase::Read), Duration::from_secs(2));
    /// ```
    pub fn since(&self, earlier: &PhaseTimes) -> PhaseTimes {
        let mut nanos = [0u64; 6];
        for (i, n) in nanos.iter_mut().enumerate() {
            *n = self.nanos[i].saturating_sub(earlier.nanos[i]);
        }
        PhaseTimes { nanos }
    }

    /// The sum of two totals.
    ///
    /// ```
    /// use spillway::util::phase_clock::PhaseTimes;
    /// assert_eq!(PhaseTimes::default().plus(&PhaseTimes::default()), PhaseTimes::default());
    /// ```
    pub fn plus(&self, other: &PhaseTimes) -> PhaseTimes {
        let mut nanos = self.nanos;
        for (n, o) in nanos.iter_mut().zip(other.nanos) {
            *n = n.saturating_add(o);
        }
        PhaseTimes { nanos }
    }
}

thread_local! {
    /// The calling thread's totals since it started.
    static TOTALS: Cell<PhaseTimes> = const { Cell::new(PhaseTimes { nanos: [0; 6] }) };
}

/// Adds `spent` to the calling thread's total for `phase`.
///
/// ```
/// use spillway::util::phase_clock::{self, Phase};
/// use std::time::Duration;
/// let before = phase_clock::snapshot();
/// phase_clock::add(Phase::Write, Duration::from_micros(7));
/// assert_eq!(phase_clock::snapshot().since(&before).get(Phase::Write), Duration::from_micros(7));
/// ```
pub fn add(phase: Phase, spent: Duration) {
    TOTALS.with(|t| {
        let mut totals = t.get();
        totals.add(phase, spent);
        t.set(totals);
    });
}

/// Runs `work`, adding its wall time to the calling thread's total for `phase`.
///
/// ```
/// use spillway::util::phase_clock::{self, Phase};
/// let before = phase_clock::snapshot();
/// let x = phase_clock::timed(Phase::Read, || 6 * 7);
/// assert_eq!(x, 42);
/// assert!(phase_clock::snapshot().since(&before).total() < std::time::Duration::from_secs(1));
/// ```
pub fn timed<R>(phase: Phase, work: impl FnOnce() -> R) -> R {
    let started = Instant::now();
    let result = work();
    add(phase, started.elapsed());
    result
}

/// Runs `work`, adding its wall time to `phase` less the time `work` itself added to
/// `inner` on this thread: a chunk read whose file reads count as [`Phase::Read`] counts
/// the rest of its time, the decoding, as [`Phase::Decode`].
///
/// ```
/// use spillway::util::phase_clock::{self, Phase};
/// use std::time::Duration;
/// let before = phase_clock::snapshot();
/// phase_clock::timed_beside(Phase::Decode, Phase::Read, || {
///     phase_clock::timed(Phase::Read, || std::thread::sleep(Duration::from_millis(20)));
/// });
/// let spent = phase_clock::snapshot().since(&before);
/// assert!(spent.get(Phase::Read) >= Duration::from_millis(20));
/// assert!(spent.get(Phase::Decode) < spent.get(Phase::Read));
/// ```
pub fn timed_beside<R>(phase: Phase, inner: Phase, work: impl FnOnce() -> R) -> R {
    let before = snapshot().get(inner);
    let started = Instant::now();
    let result = work();
    let spent = started.elapsed();
    let counted = snapshot().get(inner).saturating_sub(before);
    add(phase, spent.saturating_sub(counted));
    result
}

/// A writer that counts the time its inner writer takes as `phase` (an encoder's output
/// going to a file counts as [`Phase::Write`], the encoder's own work as
/// [`Phase::Encode`]).
///
/// ```
/// use spillway::util::phase_clock::{Phase, TimedWrite};
/// use std::io::Write;
/// let mut sink = TimedWrite::new(Vec::new(), Phase::Write);
/// sink.write_all(b"abc").unwrap();
/// assert_eq!(sink.into_inner(), b"abc");
/// ```
pub struct TimedWrite<W> {
    inner: W,
    phase: Phase,
}

impl<W> TimedWrite<W> {
    /// `inner`, its time counted as `phase`.
    pub fn new(inner: W, phase: Phase) -> Self {
        TimedWrite { inner, phase }
    }

    /// The inner writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: std::io::Write> std::io::Write for TimedWrite<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        timed(self.phase, || self.inner.write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        timed(self.phase, || self.inner.write_all(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        timed(self.phase, || self.inner.flush())
    }
}

/// The calling thread's totals so far.
///
/// ```
/// let t = spillway::util::phase_clock::snapshot();
/// assert!(t.since(&t).total().is_zero());
/// ```
pub fn snapshot() -> PhaseTimes {
    TOTALS.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_keep_their_own_totals() {
        let before = snapshot();
        add(Phase::WaitBlock, Duration::from_millis(2));
        let other = std::thread::spawn(|| {
            add(Phase::WaitBlock, Duration::from_millis(5));
            snapshot().get(Phase::WaitBlock)
        })
        .join()
        .unwrap();
        assert_eq!(other, Duration::from_millis(5));
        assert_eq!(
            snapshot().since(&before).get(Phase::WaitBlock),
            Duration::from_millis(2)
        );
    }

    #[test]
    fn totals_saturate_instead_of_wrapping() {
        let mut t = PhaseTimes::default();
        t.add(Phase::Read, Duration::MAX);
        t.add(Phase::Read, Duration::from_secs(1));
        assert_eq!(t.get(Phase::Read), Duration::from_nanos(u64::MAX));
        assert_eq!(t.since(&t.plus(&t)), PhaseTimes::default());
    }

    #[test]
    fn every_phase_has_its_own_slot_and_name() {
        let mut t = PhaseTimes::default();
        for (i, p) in Phase::ALL.iter().enumerate() {
            t.add(*p, Duration::from_nanos(i as u64 + 1));
        }
        for (i, p) in Phase::ALL.iter().enumerate() {
            assert_eq!(t.get(*p), Duration::from_nanos(i as u64 + 1));
        }
        let names: std::collections::HashSet<_> = Phase::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(names.len(), Phase::ALL.len());
    }
}
