//! The memory budget as types.
//!
//! A [`MemoryBudget`] is a fixed number of bytes shared by everything that
//! runs under one client. Code that is about to hold memory names itself with
//! a [`MemoryConsumer`], registers it to get an empty [`Reservation`], and
//! grows the reservation *before* allocating. A reservation gives its bytes
//! back when it is dropped, so memory accounting follows ownership (RAII) and
//! cannot leak on early returns or panics.
//!
//! The budget never hands out more than its limit: every grow is a single
//! check-and-add under one lock, and the high-water mark is updated inside
//! the same critical section, so [`MemoryBudget::peak_reserved`] is exact.
//!
//! Each reservation remembers the rayon pool thread it was registered on
//! ([`rayon::current_thread_index`], `None` outside a pool), and the budget
//! keeps a tally per thread, updated in the same critical section as the
//! total: [`MemoryBudget::reserved_by_thread`] always sums to
//! [`MemoryBudget::reserved`] (the dashboard draws it per worker).
//!
//! ```
//! use spillway::MemoryBudget;
//!
//! let budget = MemoryBudget::new(1 << 20);
//! let mut r = budget.consumer("sum stage").register();
//! r.try_grow(600 << 10).unwrap();
//! assert!(r.try_grow(600 << 10).is_err()); // would exceed 1 MiB
//! drop(r);
//! assert_eq!(budget.reserved(), 0);
//! assert_eq!(budget.peak_reserved(), 600 << 10);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use crate::util::size::format_bytes;

/// Why a reservation could not grow.
///
/// # Example
///
/// ```
/// use spillway::MemoryBudget;
///
/// let budget = MemoryBudget::new(1 << 30);
/// let mut r = budget.consumer("sum stage").register();
/// let err = r.try_grow(2 << 30).unwrap_err();
/// assert!(err.to_string().starts_with(
///     "memory budget exhausted: consumer \"sum stage\" asked for 2.00 GiB"
/// ));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MemoryError {
    /// Granting the request would take the budget past its limit.
    #[error(
        "memory budget exhausted: consumer {consumer:?} asked for {req}, holds {hold}; \
         {avail} of the {lim} budget is free; raise the memory limit \
         (Client::builder().memory_limit(..)) or use smaller chunks",
        req = format_bytes(*requested),
        hold = format_bytes(*held),
        avail = format_bytes(*available),
        lim = format_bytes(*limit)
    )]
    ResourcesExhausted {
        /// Name of the consumer that asked.
        consumer: String,
        /// Bytes it asked for on top of what it holds.
        requested: u64,
        /// Bytes its reservation already held.
        held: u64,
        /// Bytes free in the budget at the time.
        available: u64,
        /// The budget's limit.
        limit: u64,
    },
    /// [`Reservation::grow_waiting`] waited its whole timeout without enough
    /// memory being released by others.
    #[error(
        "memory budget exhausted: consumer {consumer:?} waited {waited:?} for {req}, holds {hold}; \
         only {avail} of the {lim} budget became free; raise the memory limit \
         (Client::builder().memory_limit(..)), use smaller chunks or fewer threads",
        req = format_bytes(*requested),
        hold = format_bytes(*held),
        avail = format_bytes(*available),
        lim = format_bytes(*limit)
    )]
    WaitTimedOut {
        /// Name of the consumer that asked.
        consumer: String,
        /// Bytes it asked for on top of what it holds.
        requested: u64,
        /// Bytes its reservation already held.
        held: u64,
        /// Bytes free in the budget when it gave up.
        available: u64,
        /// The budget's limit.
        limit: u64,
        /// How long it waited.
        waited: Duration,
    },
}

/// Counters guarded by the budget's lock.
#[derive(Debug, Default)]
struct Counters {
    reserved: u64,
    peak: u64,
    /// Bytes reserved per registering pool thread (`None`: outside a pool);
    /// only non-zero entries are kept, and they sum to `reserved`.
    by_thread: BTreeMap<Option<usize>, u64>,
}

struct BudgetInner {
    limit: u64,
    counters: Mutex<Counters>,
    /// Signalled whenever bytes are given back.
    released: Condvar,
    /// Holders of memory that can give it back on request (caches, spillable stores).
    reclaimers: Mutex<Vec<RegisteredReclaimer>>,
}

/// A registered reclaimer: registration id, order, and a weak handle.
type RegisteredReclaimer = (u64, ReclaimOrder, Weak<dyn Reclaimer>);

/// When a [`Reclaimer`] is asked to give memory back, relative to the others: clean
/// cached data goes first (dropping it costs a re-read at most), spilling second (it
/// costs a write and a read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReclaimOrder {
    /// Drops clean data that can be read again (an LRU chunk cache).
    EvictClean,
    /// Writes data to disk and frees its memory (a spillable store).
    Spill,
}

/// Something holding memory under a budget that it can give back when a reservation
/// of the same budget cannot grow: [`Reservation::try_grow`] and
/// [`Reservation::grow_waiting`] ask the registered reclaimers, clean evictions first,
/// before they fail or wait.
///
/// `reclaim` runs on the thread that needs memory, without the budget's lock held. It
/// must not grow any reservation, and must not block on a lock that a thread growing a
/// reservation may hold (use `try_lock` and return 0 when busy).
///
/// ```
/// use spillway::exec::budget::{MemoryBudget, ReclaimOrder, Reclaimer, Reservation};
/// use std::sync::{Arc, Mutex};
///
/// struct Cache(Mutex<Reservation>);
/// impl Reclaimer for Cache {
///     fn order(&self) -> ReclaimOrder { ReclaimOrder::EvictClean }
///     fn reclaim(&self, bytes: u64) -> u64 {
///         let Ok(mut r) = self.0.try_lock() else { return 0 };
///         let freed = bytes.min(r.size());
///         r.shrink(freed);
///         freed
///     }
/// }
///
/// let budget = MemoryBudget::new(100);
/// let mut held = budget.consumer("cache").register();
/// held.try_grow(80).unwrap();
/// let cache = Arc::new(Cache(Mutex::new(held)));
/// let _registration = budget.register_reclaimer(cache.clone());
/// let mut task = budget.consumer("task").register();
/// task.try_grow(50).unwrap(); // the cache gave 30 bytes back
/// assert_eq!(budget.reserved(), 100);
/// ```
pub trait Reclaimer: Send + Sync {
    /// Which kind of reclaiming this is.
    fn order(&self) -> ReclaimOrder;
    /// Gives back up to `bytes` (more is allowed) and returns how many were given back.
    fn reclaim(&self, bytes: u64) -> u64;
}

/// Keeps a [`Reclaimer`] registered with a budget; dropping it unregisters.
#[must_use = "dropping the registration unregisters the reclaimer"]
pub struct ReclaimerRegistration {
    budget: Weak<BudgetInner>,
    id: u64,
}

impl Drop for ReclaimerRegistration {
    fn drop(&mut self) {
        if let Some(inner) = self.budget.upgrade() {
            inner
                .reclaimers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|(id, _, _)| *id != self.id);
        }
    }
}

impl BudgetInner {
    /// Locks the counters. Nothing panics while holding the lock, but a
    /// poisoned lock still holds consistent counters, so recover it.
    fn lock(&self) -> MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `bytes` for `thread` if they fit; updates the peak and the
    /// thread's tally in the same critical section.
    fn try_add(counters: &mut Counters, limit: u64, bytes: u64, thread: Option<usize>) -> bool {
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

    /// Asks the registered reclaimers, in [`ReclaimOrder`], to give back `bytes`;
    /// returns how many they gave back. Called without the counters' lock held.
    fn reclaim(&self, bytes: u64) -> u64 {
        let mut reclaimers: Vec<(ReclaimOrder, Arc<dyn Reclaimer>)> = {
            let list = self
                .reclaimers
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            list.iter()
                .filter_map(|(_, order, weak)| weak.upgrade().map(|r| (*order, r)))
                .collect()
        };
        reclaimers.sort_by_key(|(order, _)| *order);
        let mut freed = 0;
        for (_, reclaimer) in reclaimers {
            if freed >= bytes {
                break;
            }
            freed += reclaimer.reclaim(bytes - freed);
        }
        freed
    }

    /// Gives `bytes` of `thread`'s tally back and wakes any waiters.
    fn release(&self, bytes: u64, thread: Option<usize>) {
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
    inner: Arc<BudgetInner>,
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

    /// Registers `reclaimer`: while the returned registration lives, reservations of
    /// this budget that cannot grow ask it to give memory back first (see
    /// [`Reclaimer`] for an example).
    pub fn register_reclaimer(&self, reclaimer: Arc<dyn Reclaimer>) -> ReclaimerRegistration {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let order = reclaimer.order();
        self.inner
            .reclaimers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((id, order, Arc::downgrade(&reclaimer)));
        ReclaimerRegistration {
            budget: Arc::downgrade(&self.inner),
            id,
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
        MemoryConsumer {
            name: name.into(),
            can_spill: false,
            budget: self.clone(),
        }
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

/// A named user of a [`MemoryBudget`], such as one stage of a computation.
/// Its name appears in [`MemoryError`] messages; `can_spill` tells the
/// scheduler whether this consumer could move its data to disk under
/// pressure.
///
/// # Example
///
/// ```
/// use spillway::MemoryBudget;
///
/// let budget = MemoryBudget::new(1 << 20);
/// let mut r = budget.consumer("reduce").register();
/// r.try_grow(1024).unwrap();
/// assert_eq!(r.consumer_name(), "reduce");
/// ```
#[derive(Clone)]
pub struct MemoryConsumer {
    name: String,
    can_spill: bool,
    budget: MemoryBudget,
}

impl MemoryConsumer {
    /// Marks whether this consumer can spill to disk (default `false`).
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let c = MemoryBudget::new(1).consumer("c").with_can_spill(true);
    /// assert!(c.can_spill());
    /// ```
    #[must_use]
    pub fn with_can_spill(mut self, can_spill: bool) -> Self {
        self.can_spill = can_spill;
        self
    }

    /// The consumer's name.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// assert_eq!(MemoryBudget::new(1).consumer("load").name(), "load");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the consumer can spill to disk.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// assert!(!MemoryBudget::new(1).consumer("load").can_spill());
    /// ```
    pub fn can_spill(&self) -> bool {
        self.can_spill
    }

    /// The budget this consumer draws from.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let budget = MemoryBudget::new(1);
    /// assert!(budget.consumer("c").budget().same_budget(&budget));
    /// ```
    pub fn budget(&self) -> &MemoryBudget {
        &self.budget
    }

    /// Turns the consumer into an empty reservation that it owns.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::MemoryBudget;
    ///
    /// let r = MemoryBudget::new(100).consumer("c").register();
    /// assert_eq!(r.size(), 0);
    /// ```
    #[must_use = "dropping the reservation gives its bytes back at once"]
    pub fn register(self) -> Reservation {
        Reservation {
            consumer: Arc::new(self),
            size: 0,
            thread: rayon::current_thread_index(),
        }
    }
}

impl fmt::Debug for MemoryConsumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryConsumer")
            .field("name", &self.name)
            .field("can_spill", &self.can_spill)
            .field("budget_limit", &self.budget.limit())
            .finish()
    }
}

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
            c = inner
                .released
                .wait_timeout(c, remaining)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
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
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::thread;

    const MIB: u64 = 1 << 20;

    #[test]
    fn handles_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<MemoryBudget>();
        check::<MemoryConsumer>();
        check::<Reservation>();
        check::<MemoryError>();
    }

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
    fn error_message_names_consumer_and_sizes() {
        let budget = MemoryBudget::new(1 << 30);
        let mut other = budget.consumer("other").register();
        other
            .try_grow((1 << 30) - 12 * MIB - 3 * MIB - MIB / 5)
            .unwrap();
        let mut r = budget.consumer("sum stage").register();
        r.try_grow(12 * MIB).unwrap();
        let err = r.try_grow(64 * MIB).unwrap_err();
        assert_eq!(
            err.to_string(),
            "memory budget exhausted: consumer \"sum stage\" asked for 64.00 MiB, holds 12.00 MiB; \
             3.20 MiB of the 1.00 GiB budget is free; raise the memory limit \
             (Client::builder().memory_limit(..)) or use smaller chunks"
        );
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
                r.grow_waiting(50, Duration::from_secs(60)).unwrap();
                (r.size(), t.elapsed())
            })
        };
        started.wait();
        thread::sleep(Duration::from_millis(50));
        drop(holder);
        let (size, waited) = waiter.join().unwrap();
        assert_eq!(size, 50);
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
        assert_eq!(
            format!("{r:?}"),
            "Reservation { consumer: \"dbg\", size: 3 }"
        );
        assert!(format!("{:?}", r.consumer()).contains("\"dbg\""));
    }
}
