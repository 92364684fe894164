//! [`MemoryBudget`]: the fixed limit, the counters every grow and release updates under
//! one lock (reserved, peak, per pool thread), and the condition variable waiters sleep on.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use super::consumer::MemoryConsumer;
use super::reclaim::RegisteredReclaimer;

/// Counters guarded by the budget's lock.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) reserved: u64,
    pub(super) peak: u64,
    /// Bytes reserved per registering pool thread (`None`: outside a pool);
    /// only non-zero entries are kept, and they sum to `reserved`.
    pub(super) by_thread: BTreeMap<Option<usize>, u64>,
}

/// The state every handle of one budget shares.
pub(super) struct BudgetInner {
    pub(super) limit: u64,
    counters: Mutex<Counters>,
    /// Signalled whenever bytes are given back.
    pub(super) released: Condvar,
    /// Holders of memory that can give it back on request (caches, spillable stores).
    pub(super) reclaimers: Mutex<Vec<RegisteredReclaimer>>,
}

impl BudgetInner {
    /// Locks the counters. Nothing panics while holding the lock, but a
    /// poisoned lock still holds consistent counters, so recover it.
    pub(super) fn lock(&self) -> MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `bytes` for `thread` if they fit; updates the peak and the
    /// thread's tally in the same critical section.
    pub(super) fn try_add(
        counters: &mut Counters,
        limit: u64,
        bytes: u64,
        thread: Option<usize>,
    ) -> bool {
        match counters.reserved.checked_add(bytes) {
            Some(total) if total <= limit => {
                counters.reserved = total;
                counters.peak = counters.peak.max(total);
                *counters.by_thread.entry(thread).or_insert(0) += bytes;
                true
            }
            _ => false,
        }
    }

    /// Gives `bytes` of `thread`'s tally back and wakes any waiters.
    pub(super) fn release(&self, bytes: u64, thread: Option<usize>) {
        if bytes == 0 {
            return;
        }
        {
            let mut c = self.lock();
            debug_assert!(c.reserved >= bytes, "released more than reserved");
            c.reserved = c.reserved.saturating_sub(bytes);
            if let Some(held) = c.by_thread.get_mut(&thread) {
                debug_assert!(*held >= bytes, "released more than the thread reserved");
                *held = held.saturating_sub(bytes);
                if *held == 0 {
                    c.by_thread.remove(&thread);
                }
            }
        }
        self.released.notify_all();
    }
}

/// A fixed memory limit shared by all reservations made from it; a cheap,
/// thread-safe handle (clones share the same budget).
///
/// # Example
///
/// ```
/// use spillway::MemoryBudget;
///
/// let budget = MemoryBudget::new(1000);
/// let mut a = budget.consumer("a").register();
/// a.try_grow(400).unwrap();
/// assert_eq!(budget.reserved(), 400);
/// assert_eq!(budget.available(), 600);
/// ```
#[derive(Clone)]
pub struct MemoryBudget {
    pub(super) inner: Arc<BudgetInner>,
}

impl MemoryBudget {
    /// A budget of `limit_bytes` with nothing reserved. A zero limit is
    /// allowed: only zero-byte grows succeed against it.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let budget = MemoryBudget::new(1 << 30);
    /// assert_eq!(budget.limit(), 1 << 30);
    /// assert_eq!(budget.reserved(), 0);
    /// ```
    pub fn new(limit_bytes: u64) -> Self {
        MemoryBudget {
            inner: Arc::new(BudgetInner {
                limit: limit_bytes,
                counters: Mutex::new(Counters::default()),
                released: Condvar::new(),
                reclaimers: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The most bytes that may be reserved at once.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// assert_eq!(MemoryBudget::new(42).limit(), 42);
    /// ```
    pub fn limit(&self) -> u64 {
        self.inner.limit
    }

    /// Bytes currently reserved by all live reservations.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let budget = MemoryBudget::new(100);
    /// let mut r = budget.consumer("c").register();
    /// r.try_grow(30).unwrap();
    /// assert_eq!(budget.reserved(), 30);
    /// ```
    pub fn reserved(&self) -> u64 {
        self.inner.lock().reserved
    }

    /// Bytes that can still be reserved (`limit - reserved`).
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let budget = MemoryBudget::new(100);
    /// let mut r = budget.consumer("c").register();
    /// r.try_grow(30).unwrap();
    /// assert_eq!(budget.available(), 70);
    /// ```
    pub fn available(&self) -> u64 {
        self.inner.limit.saturating_sub(self.reserved())
    }

    /// The most bytes that were reserved at any instant since the budget was
    /// created or [`reset_peak`](Self::reset_peak) was last called. Exact:
    /// it is updated atomically with every grow.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let budget = MemoryBudget::new(100);
    /// let mut r = budget.consumer("c").register();
    /// r.try_grow(80).unwrap();
    /// r.shrink(50);
    /// assert_eq!(budget.peak_reserved(), 80);
    /// ```
    pub fn peak_reserved(&self) -> u64 {
        self.inner.lock().peak
    }

    /// Bytes reserved now, per rayon pool thread that registered the
    /// reservations (`None`: registered outside a pool, e.g. by the caller's
    /// thread). Only non-zero entries, sorted by thread with `None` first.
    /// Taken under the same lock as the total, so the values sum to
    /// [`reserved`](Self::reserved) at that instant.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let budget = MemoryBudget::new(100);
    /// let mut here = budget.consumer("caller").register();
    /// here.try_grow(30).unwrap();
    /// let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    /// let on_pool = pool.install(|| {
    ///     let mut r = budget.consumer("task").register();
    ///     r.try_grow(20).unwrap();
    ///     (rayon::current_thread_index(), r)
    /// });
    /// let mut want = vec![(None, 30), (on_pool.0, 20)];
    /// want.sort();
    /// assert_eq!(budget.reserved_by_thread(), want);
    /// ```
    pub fn reserved_by_thread(&self) -> Vec<(Option<usize>, u64)> {
        self.inner
            .lock()
            .by_thread
            .iter()
            .filter(|&(_, &bytes)| bytes > 0)
            .map(|(&thread, &bytes)| (thread, bytes))
            .collect()
    }

    /// Restarts peak tracking from what is reserved now.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let budget = MemoryBudget::new(100);
    /// let mut r = budget.consumer("c").register();
    /// r.try_grow(80).unwrap();
    /// r.shrink(50);
    /// budget.reset_peak();
    /// assert_eq!(budget.peak_reserved(), 30);
    /// ```
    pub fn reset_peak(&self) {
        let mut c = self.inner.lock();
        c.peak = c.reserved;
    }

    /// A named consumer of this budget; [`register`](MemoryConsumer::register)
    /// it to get a reservation.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let budget = MemoryBudget::new(100);
    /// let consumer = budget.consumer("sort buffer").with_can_spill(true);
    /// assert_eq!(consumer.name(), "sort buffer");
    /// assert!(consumer.can_spill());
    /// ```
    pub fn consumer(&self, name: impl Into<String>) -> MemoryConsumer {
        MemoryConsumer::new(name.into(), self.clone())
    }

    /// Whether two handles share the same budget.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let a = MemoryBudget::new(100);
    /// assert!(a.same_budget(&a.clone()));
    /// assert!(!a.same_budget(&MemoryBudget::new(100)));
    /// ```
    pub fn same_budget(&self, other: &MemoryBudget) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl fmt::Debug for MemoryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (reserved, peak) = {
            let c = self.inner.lock();
            (c.reserved, c.peak)
        };
        f.debug_struct("MemoryBudget")
            .field("limit", &self.inner.limit)
            .field("reserved", &reserved)
            .field("peak", &peak)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Reservation;
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::thread;

    #[test]
    fn peak_is_exact_and_resettable() {
        let budget = MemoryBudget::new(1000);
        let mut a = budget.consumer("a").register();
        let mut b = budget.consumer("b").register();
        a.try_grow(300).unwrap();
        b.try_grow(400).unwrap();
        a.shrink(300);
        b.try_grow(100).unwrap();
        assert_eq!(budget.peak_reserved(), 700);
        assert!(a.try_grow(600).is_err()); // refused grows don't count
        assert_eq!(budget.peak_reserved(), 700);
        budget.reset_peak();
        assert_eq!(budget.peak_reserved(), 500);
        drop(b);
        assert_eq!(budget.peak_reserved(), 500);
        budget.reset_peak();
        assert_eq!(budget.peak_reserved(), 0);
    }

    #[test]
    fn never_exceeds_limit_under_contention() {
        const THREADS: usize = 8;
        const LIMIT: u64 = 10_000;
        let budget = MemoryBudget::new(LIMIT);
        let stop = Arc::new(AtomicBool::new(false));
        let barrier = Arc::new(Barrier::new(THREADS + 1));

        let watcher = {
            let budget = budget.clone();
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let mut samples = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let r = budget.reserved();
                    assert!(r <= LIMIT, "reserved {r} > limit");
                    samples += 1;
                }
                samples
            })
        };
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let budget = budget.clone();
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || {
                    let mut r = budget.consumer(format!("worker {t}")).register();
                    let mut granted = 0u64;
                    let mut state = t as u64 * 7919 + 1;
                    barrier.wait();
                    for i in 0..20_000u64 {
                        // Small xorshift so every thread asks for varied sizes.
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        let ask = state % 2_000 + 1;
                        if r.try_grow(ask).is_ok() {
                            granted += ask;
                        }
                        if i % 3 == 0 {
                            r.shrink(state % 3_000);
                        }
                        if i % 101 == 0 {
                            let part = r.split(r.size() / 2);
                            drop(part);
                        }
                        assert!(r.size() <= LIMIT);
                    }
                    granted
                })
            })
            .collect();
        barrier.wait();
        let granted: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
        stop.store(true, Ordering::Relaxed);
        assert!(watcher.join().unwrap() > 0);
        assert!(granted > 0);
        assert_eq!(budget.reserved(), 0);
        let peak = budget.peak_reserved();
        assert!(peak <= LIMIT, "peak {peak} > limit");
        assert!(
            peak > LIMIT / 2,
            "contention should push the peak up, got {peak}"
        );
    }

    #[test]
    fn peak_is_exact_under_contention() {
        // Every thread grows by 1 byte once and holds it: the exact peak is
        // the thread count, and it must never be over- or under-counted.
        const THREADS: u64 = 8;
        let budget = MemoryBudget::new(1_000);
        let barrier = Arc::new(Barrier::new(THREADS as usize));
        let hold = Arc::new(Barrier::new(THREADS as usize));
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let (budget, barrier, hold) =
                    (budget.clone(), Arc::clone(&barrier), Arc::clone(&hold));
                thread::spawn(move || {
                    let mut r = budget.consumer("one byte").register();
                    barrier.wait();
                    r.try_grow(1).unwrap();
                    hold.wait();
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(budget.peak_reserved(), THREADS);
        assert_eq!(budget.reserved(), 0);
    }

    #[test]
    fn a_reservation_is_attributed_to_its_pool_thread() {
        let budget = MemoryBudget::new(1_000);
        let mut caller = budget.consumer("caller").register();
        caller.try_grow(7).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        for k in 0..4 {
            // Run on pool thread k exactly: a broadcast reaches every thread once.
            let held: Vec<Option<Reservation>> = pool.broadcast(|ctx| {
                assert_eq!(rayon::current_thread_index(), Some(ctx.index()));
                (ctx.index() == k).then(|| {
                    let mut r = budget.consumer("on k").register();
                    r.try_grow(100 + k as u64).unwrap();
                    r
                })
            });
            assert_eq!(
                budget.reserved_by_thread(),
                vec![(None, 7), (Some(k), 100 + k as u64)]
            );
            // A split part keeps its thread; giving it back shrinks that tally.
            let mut r = held.into_iter().flatten().next().unwrap();
            let part = r.split(40);
            assert_eq!(budget.reserved_by_thread()[1], (Some(k), 100 + k as u64));
            drop(part);
            assert_eq!(budget.reserved_by_thread()[1], (Some(k), 60 + k as u64));
            // Shrinking from another thread still debits thread k.
            r.shrink(60 + k as u64);
            assert_eq!(budget.reserved_by_thread(), vec![(None, 7)]);
        }
        caller.free();
        assert!(budget.reserved_by_thread().is_empty());
    }

    #[test]
    fn breakdown_sums_to_total_under_contention() {
        const THREADS: usize = 6;
        const LIMIT: u64 = 20_000;
        let budget = MemoryBudget::new(LIMIT);
        let stop = Arc::new(AtomicBool::new(false));
        let watcher = {
            let budget = budget.clone();
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let by_thread = budget.reserved_by_thread();
                    let sum: u64 = by_thread.iter().map(|&(_, b)| b).sum();
                    assert!(sum <= LIMIT, "breakdown {sum} > limit");
                    assert!(by_thread.iter().all(|&(t, b)| b > 0 && t.is_some()));
                    assert!(by_thread.windows(2).all(|w| w[0].0 < w[1].0));
                }
            })
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(THREADS)
            .build()
            .unwrap();
        pool.broadcast(|ctx| {
            let mut r = budget.consumer(format!("t{}", ctx.index())).register();
            let mut state = ctx.index() as u64 * 7919 + 1;
            for i in 0..20_000u64 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let _ = r.try_grow(state % 1_500 + 1);
                if i % 3 == 0 {
                    r.shrink(state % 2_000);
                }
                if i % 97 == 0 {
                    let part = r.split(r.size() / 2);
                    drop(part);
                }
                if i % 500 == 0 {
                    // Exact: the same lock guards both, so compare while holding
                    // nothing else; only this thread's tally is known exactly.
                    let mine = budget
                        .reserved_by_thread()
                        .into_iter()
                        .find(|&(t, _)| t == Some(ctx.index()))
                        .map_or(0, |(_, b)| b);
                    assert_eq!(mine, r.size());
                }
            }
        });
        stop.store(true, Ordering::Relaxed);
        watcher.join().unwrap();
        assert!(budget.reserved_by_thread().is_empty());
        assert_eq!(budget.reserved(), 0);
        // Quiescent check of the invariant with reservations held.
        let held: Vec<Reservation> = pool.broadcast(|ctx| {
            let mut r = budget.consumer("hold").register();
            r.try_grow(ctx.index() as u64 + 1).unwrap();
            r
        });
        let by_thread = budget.reserved_by_thread();
        assert_eq!(by_thread.len(), THREADS);
        assert_eq!(
            by_thread.iter().map(|&(_, b)| b).sum::<u64>(),
            budget.reserved()
        );
        for (k, &(t, b)) in by_thread.iter().enumerate() {
            assert_eq!((t, b), (Some(k), k as u64 + 1));
        }
        drop(held);
        assert!(budget.reserved_by_thread().is_empty());
    }

    #[test]
    fn debug_output_is_informative() {
        let budget = MemoryBudget::new(10);
        let mut r = budget.consumer("dbg").register();
        r.try_grow(3).unwrap();
        assert_eq!(
            format!("{budget:?}"),
            "MemoryBudget { limit: 10, reserved: 3, peak: 3 }"
        );
    }
}
