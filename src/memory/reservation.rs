//! [`Reservation`]: bytes held from a budget by one consumer, grown before allocating
//! (at once, or waiting for others to give bytes back) and given back when dropped.

use std::fmt;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use super::budget::{BudgetInner, MemoryBudget};
use super::consumer::MemoryConsumer;
use super::error::MemoryError;

/// Bytes held from a [`MemoryBudget`] on behalf of one consumer. Dropping
/// the reservation returns its bytes to the budget and wakes threads waiting
/// in [`grow_waiting`](Reservation::grow_waiting).
///
/// # Example
///
/// ```
/// use spillway::MemoryBudget;
///
/// let budget = MemoryBudget::new(1000);
/// {
///     let mut r = budget.consumer("chunk").register();
///     r.try_grow(800).unwrap();
///     assert_eq!(budget.reserved(), 800);
/// } // dropped here
/// assert_eq!(budget.reserved(), 0);
/// ```
pub struct Reservation {
    consumer: Arc<MemoryConsumer>,
    size: u64,
    /// The rayon pool thread it was registered on (`None`: outside a pool);
    /// its bytes count towards that thread's tally in the budget.
    thread: Option<usize>,
}

impl Reservation {
    /// An empty reservation owned by `consumer`, counted towards the rayon pool thread
    /// it is made on.
    pub(super) fn new(consumer: MemoryConsumer) -> Self {
        Reservation {
            consumer: Arc::new(consumer),
            size: 0,
            thread: rayon::current_thread_index(),
        }
    }

    fn inner(&self) -> &BudgetInner {
        &self.consumer.budget.inner
    }

    fn exhausted(&self, requested: u64, reserved: u64) -> MemoryError {
        let limit = self.inner().limit;
        MemoryError::ResourcesExhausted {
            consumer: self.consumer.name.clone(),
            requested,
            held: self.size,
            available: limit.saturating_sub(reserved),
            limit,
        }
    }

    /// Bytes this reservation holds.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let mut r = MemoryBudget::new(100).consumer("c").register();
    /// r.try_grow(10).unwrap();
    /// assert_eq!(r.size(), 10);
    /// ```
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The name of the consumer that owns this reservation.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let r = MemoryBudget::new(100).consumer("merge").register();
    /// assert_eq!(r.consumer_name(), "merge");
    /// ```
    pub fn consumer_name(&self) -> &str {
        &self.consumer.name
    }

    /// The consumer that owns this reservation.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let r = MemoryBudget::new(100).consumer("sort").with_can_spill(true).register();
    /// assert!(r.consumer().can_spill());
    /// ```
    pub fn consumer(&self) -> &MemoryConsumer {
        &self.consumer
    }

    /// The budget this reservation draws from.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let budget = MemoryBudget::new(100);
    /// let r = budget.consumer("c").register();
    /// assert!(r.budget().same_budget(&budget));
    /// ```
    pub fn budget(&self) -> &MemoryBudget {
        &self.consumer.budget
    }

    /// Adds `bytes` to this reservation if the budget has room, as one atomic
    /// check-and-add; the budget never goes past its limit. Growing by zero
    /// always succeeds.
    ///
    /// # Errors
    ///
    /// [`MemoryError::ResourcesExhausted`] when fewer than `bytes` are free;
    /// the reservation is unchanged.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let budget = MemoryBudget::new(100);
    /// let mut r = budget.consumer("c").register();
    /// r.try_grow(60).unwrap();
    /// assert!(r.try_grow(60).is_err());
    /// assert_eq!(r.size(), 60);
    /// ```
    pub fn try_grow(&mut self, bytes: u64) -> Result<(), MemoryError> {
        if bytes == 0 {
            return Ok(());
        }
        let inner = self.inner();
        let mut c = inner.lock();
        if BudgetInner::try_add(&mut c, inner.limit, bytes, self.thread) {
            drop(c);
            self.size += bytes;
            return Ok(());
        }
        let short = bytes.saturating_sub(inner.limit.saturating_sub(c.reserved));
        drop(c);
        if inner.reclaim(short) > 0 {
            let mut c = inner.lock();
            if BudgetInner::try_add(&mut c, inner.limit, bytes, self.thread) {
                drop(c);
                self.size += bytes;
                return Ok(());
            }
        }
        let reserved = inner.lock().reserved;
        Err(self.exhausted(bytes, reserved))
    }

    /// Like [`try_grow`](Self::try_grow), but while other reservations hold
    /// the memory it waits (on a condition variable, without spinning) for
    /// them to give bytes back, up to `timeout`.
    ///
    /// # Errors
    ///
    /// At once with [`MemoryError::ResourcesExhausted`] when the request can
    /// never be met — `bytes` plus what this reservation already holds exceeds
    /// the limit — and with [`MemoryError::WaitTimedOut`] when `timeout`
    /// passes first. The reservation is unchanged on error.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    /// use std::time::Duration;
    ///
    /// let budget = MemoryBudget::new(100);
    /// let mut first = budget.consumer("first").register();
    /// first.try_grow(100).unwrap();
    ///
    /// let waiter = std::thread::spawn({
    ///     let budget = budget.clone();
    ///     move || {
    ///         let mut second = budget.consumer("second").register();
    ///         second.grow_waiting(50, Duration::from_secs(30)).map(|_| second.size())
    ///     }
    /// });
    /// drop(first); // wakes the waiter
    /// assert_eq!(waiter.join().unwrap().unwrap(), 50);
    /// ```
    pub fn grow_waiting(&mut self, bytes: u64, timeout: Duration) -> Result<(), MemoryError> {
        if bytes == 0 {
            return Ok(());
        }
        let inner = self.inner();
        let limit = inner.limit;
        let impossible = self.size.checked_add(bytes).is_none_or(|t| t > limit);
        let start = Instant::now();
        let deadline = start.checked_add(timeout);
        let mut c = inner.lock();
        if impossible {
            let reserved = c.reserved;
            drop(c);
            return Err(self.exhausted(bytes, reserved));
        }
        loop {
            if BudgetInner::try_add(&mut c, limit, bytes, self.thread) {
                drop(c);
                self.size += bytes;
                return Ok(());
            }
            let short = bytes.saturating_sub(limit.saturating_sub(c.reserved));
            drop(c);
            let freed = inner.reclaim(short);
            c = inner.lock();
            if freed > 0 {
                continue;
            }
            let now = Instant::now();
            let remaining = match deadline {
                Some(d) if now >= d => {
                    let reserved = c.reserved;
                    drop(c);
                    return Err(MemoryError::WaitTimedOut {
                        consumer: self.consumer.name.clone(),
                        requested: bytes,
                        held: self.size,
                        available: limit.saturating_sub(reserved),
                        limit,
                        waited: now - start,
                    });
                }
                Some(d) => d - now,
                // A timeout too large for Instant: wait in long slices.
                None => Duration::from_secs(3600),
            };
            let waited = Instant::now();
            c = inner
                .released
                .wait_timeout(c, remaining)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            crate::util::phase_clock::add(
                crate::util::phase_clock::Phase::WaitMemory,
                waited.elapsed(),
            );
        }
    }

    /// Gives back up to `bytes` (saturating at [`size`](Self::size)) and
    /// wakes waiters.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let budget = MemoryBudget::new(100);
    /// let mut r = budget.consumer("c").register();
    /// r.try_grow(60).unwrap();
    /// r.shrink(20);
    /// assert_eq!(r.size(), 40);
    /// r.shrink(1000);
    /// assert_eq!(r.size(), 0);
    /// assert_eq!(budget.reserved(), 0);
    /// ```
    pub fn shrink(&mut self, bytes: u64) {
        let bytes = bytes.min(self.size);
        self.size -= bytes;
        self.inner().release(bytes, self.thread);
    }

    /// Grows or shrinks this reservation to exactly `new_size` bytes.
    ///
    /// # Errors
    ///
    /// [`MemoryError::ResourcesExhausted`] when growing and the budget lacks
    /// room; the reservation is unchanged.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let mut r = MemoryBudget::new(100).consumer("c").register();
    /// r.try_resize(70).unwrap();
    /// r.try_resize(20).unwrap();
    /// assert_eq!(r.size(), 20);
    /// assert!(r.try_resize(101).is_err());
    /// ```
    pub fn try_resize(&mut self, new_size: u64) -> Result<(), MemoryError> {
        if new_size >= self.size {
            self.try_grow(new_size - self.size)
        } else {
            self.shrink(self.size - new_size);
            Ok(())
        }
    }

    /// Moves `bytes` (clamped to [`size`](Self::size)) out of this
    /// reservation into a new one of the same consumer. The budget's total
    /// is unchanged; each part is returned when its own reservation drops.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let budget = MemoryBudget::new(100);
    /// let mut whole = budget.consumer("c").register();
    /// whole.try_grow(90).unwrap();
    /// let part = whole.split(30);
    /// assert_eq!((whole.size(), part.size()), (60, 30));
    /// assert_eq!(part.consumer_name(), "c");
    /// drop(part);
    /// assert_eq!(budget.reserved(), 60);
    /// ```
    #[must_use = "dropping the split-off reservation gives its bytes back at once"]
    pub fn split(&mut self, bytes: u64) -> Reservation {
        let bytes = bytes.min(self.size);
        self.size -= bytes;
        // The part keeps the thread, so the budget's tallies do not change.
        Reservation {
            consumer: Arc::clone(&self.consumer),
            size: bytes,
            thread: self.thread,
        }
    }

    /// Releases everything this reservation holds and returns how many bytes
    /// that was. The reservation stays usable.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let budget = MemoryBudget::new(100);
    /// let mut r = budget.consumer("c").register();
    /// r.try_grow(42).unwrap();
    /// assert_eq!(r.free(), 42);
    /// assert_eq!(budget.reserved(), 0);
    /// ```
    pub fn free(&mut self) -> u64 {
        let bytes = std::mem::take(&mut self.size);
        self.inner().release(bytes, self.thread);
        bytes
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.free();
    }
}

impl fmt::Debug for Reservation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reservation")
            .field("consumer", &self.consumer.name)
            .field("size", &self.size)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;
    use std::thread;

    #[test]
    fn grow_shrink_and_drop_return_bytes() {
        let budget = MemoryBudget::new(1000);
        let mut r = budget.consumer("c").register();
        assert_eq!(r.size(), 0);
        r.try_grow(300).unwrap();
        r.try_grow(200).unwrap();
        assert_eq!(
            (r.size(), budget.reserved(), budget.available()),
            (500, 500, 500)
        );
        r.shrink(100);
        assert_eq!((r.size(), budget.reserved()), (400, 400));
        r.shrink(10_000);
        assert_eq!((r.size(), budget.reserved()), (0, 0));
        r.try_grow(1000).unwrap();
        assert_eq!(budget.available(), 0);
        drop(r);
        assert_eq!((budget.reserved(), budget.available()), (0, 1000));
    }

    #[test]
    fn failed_grow_changes_nothing() {
        let budget = MemoryBudget::new(100);
        let mut a = budget.consumer("a").register();
        let mut b = budget.consumer("b").register();
        a.try_grow(70).unwrap();
        let err = b.try_grow(31).unwrap_err();
        assert_eq!(
            err,
            MemoryError::ResourcesExhausted {
                consumer: "b".into(),
                requested: 31,
                held: 0,
                available: 30,
                limit: 100
            }
        );
        assert_eq!((a.size(), b.size(), budget.reserved()), (70, 0, 70));
        b.try_grow(30).unwrap();
        assert_eq!(budget.available(), 0);
        // u64 overflow in the check is a plain refusal.
        assert!(b.try_grow(u64::MAX).is_err());
        assert_eq!(budget.reserved(), 100);
    }

    #[test]
    fn zero_byte_grows_always_succeed() {
        let budget = MemoryBudget::new(0);
        let mut r = budget.consumer("c").register();
        r.try_grow(0).unwrap();
        r.grow_waiting(0, Duration::ZERO).unwrap();
        r.try_resize(0).unwrap();
        assert!(r.try_grow(1).is_err());
        assert_eq!(budget.peak_reserved(), 0);
    }

    #[test]
    fn resize_split_and_free() {
        let budget = MemoryBudget::new(100);
        let mut r = budget.consumer("c").with_can_spill(true).register();
        r.try_resize(80).unwrap();
        assert_eq!(budget.reserved(), 80);
        assert!(r.try_resize(101).is_err());
        assert_eq!(r.size(), 80);
        r.try_resize(50).unwrap();
        assert_eq!(budget.reserved(), 50);

        let part = r.split(20);
        assert_eq!((r.size(), part.size(), budget.reserved()), (30, 20, 50));
        assert_eq!(part.consumer_name(), "c");
        assert!(part.consumer().can_spill());
        let all = r.split(1000);
        assert_eq!((r.size(), all.size()), (0, 30));
        drop(part);
        assert_eq!(budget.reserved(), 30);

        let mut all = all;
        assert_eq!(all.free(), 30);
        assert_eq!(all.free(), 0);
        assert_eq!(budget.reserved(), 0);
        all.try_grow(5).unwrap();
        assert_eq!(budget.reserved(), 5);
    }

    #[test]
    fn grow_waiting_wakes_when_another_thread_drops() {
        let budget = MemoryBudget::new(100);
        let mut holder = budget.consumer("holder").register();
        holder.try_grow(90).unwrap();
        let started = Arc::new(Barrier::new(2));
        let waiter = {
            let budget = budget.clone();
            let started = Arc::clone(&started);
            thread::spawn(move || {
                let mut r = budget.consumer("waiter").register();
                started.wait();
                let t = Instant::now();
                let clock = crate::util::phase_clock::snapshot();
                r.grow_waiting(50, Duration::from_secs(60)).unwrap();
                let counted = crate::util::phase_clock::snapshot()
                    .since(&clock)
                    .get(crate::util::phase_clock::Phase::WaitMemory);
                (r.size(), t.elapsed(), counted)
            })
        };
        started.wait();
        thread::sleep(Duration::from_millis(50));
        drop(holder);
        let (size, waited, counted) = waiter.join().unwrap();
        assert_eq!(size, 50);
        // the wait is the thread's wait-for-memory time in the run's breakdown
        assert!(
            counted >= Duration::from_millis(40) && counted <= waited,
            "{counted:?} of {waited:?}"
        );
        assert!(waited < Duration::from_secs(30));
        assert_eq!(budget.reserved(), 0);
        assert_eq!(budget.peak_reserved(), 90);
    }

    #[test]
    fn grow_waiting_wakes_on_shrink_and_serves_many_waiters() {
        let budget = MemoryBudget::new(100);
        let mut holder = budget.consumer("holder").register();
        holder.try_grow(100).unwrap();
        let waiters: Vec<_> = (0..4)
            .map(|i| {
                let budget = budget.clone();
                thread::spawn(move || {
                    let mut r = budget.consumer(format!("w{i}")).register();
                    r.grow_waiting(25, Duration::from_secs(60)).unwrap();
                    // Keep it: the 4 waiters together fill the budget.
                    r
                })
            })
            .collect();
        thread::sleep(Duration::from_millis(20));
        holder.shrink(100);
        let held: Vec<Reservation> = waiters.into_iter().map(|w| w.join().unwrap()).collect();
        assert_eq!(budget.reserved(), 100);
        drop(held);
        assert_eq!(budget.reserved(), 0);
    }

    #[test]
    fn grow_waiting_fails_at_once_when_impossible() {
        let budget = MemoryBudget::new(100);
        let mut r = budget.consumer("big").register();
        let t = Instant::now();
        let err = r.grow_waiting(101, Duration::from_secs(60)).unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(10));
        assert!(matches!(
            err,
            MemoryError::ResourcesExhausted { requested: 101, .. }
        ));
        // Also impossible when what it holds plus the request exceeds the limit.
        r.try_grow(60).unwrap();
        let err = r.grow_waiting(41, Duration::from_secs(60)).unwrap_err();
        assert!(matches!(
            err,
            MemoryError::ResourcesExhausted { held: 60, .. }
        ));
        assert_eq!(r.size(), 60);
    }

    #[test]
    fn grow_waiting_times_out() {
        let budget = MemoryBudget::new(100);
        let mut holder = budget.consumer("holder").register();
        holder.try_grow(80).unwrap();
        let mut r = budget.consumer("late").register();
        let err = r.grow_waiting(30, Duration::from_millis(30)).unwrap_err();
        match &err {
            MemoryError::WaitTimedOut {
                consumer,
                requested,
                held,
                available,
                limit,
                waited,
            } => {
                assert_eq!(consumer, "late");
                assert_eq!((*requested, *held, *available, *limit), (30, 0, 20, 100));
                assert!(*waited >= Duration::from_millis(30));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(
            err.to_string()
                .starts_with("memory budget exhausted: consumer \"late\" waited")
        );
        assert_eq!(r.size(), 0);
        assert_eq!(budget.reserved(), 80);
        // A huge timeout that overflows Instant still works when memory is free.
        holder.free();
        r.grow_waiting(30, Duration::MAX).unwrap();
        assert_eq!(r.size(), 30);
    }

    #[test]
    fn grow_waiting_with_contention_never_exceeds_limit() {
        let budget = MemoryBudget::new(1_000);
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let budget = budget.clone();
                thread::spawn(move || {
                    let mut r = budget.consumer(format!("t{t}")).register();
                    for i in 0..500u64 {
                        r.grow_waiting(100 + (i * 37 + t) % 300, Duration::from_secs(60))
                            .unwrap();
                        assert!(budget.reserved() <= 1_000);
                        r.free();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(budget.reserved(), 0);
        assert!(budget.peak_reserved() <= 1_000);
    }

    #[test]
    fn debug_output_is_informative() {
        let budget = MemoryBudget::new(10);
        let mut r = budget.consumer("dbg").register();
        r.try_grow(3).unwrap();
        assert_eq!(
            format!("{r:?}"),
            "Reservation { consumer: \"dbg\", size: 3 }"
        );
        assert!(format!("{:?}", r.consumer()).contains("\"dbg\""));
    }
}
