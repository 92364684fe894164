//! Reclaim: holders of memory under a budget (caches, spillable stores) register a
//! [`Reclaimer`], and a reservation that cannot grow asks them to give bytes back, clean
//! evictions before spills, before it fails or waits.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, Weak};

use super::budget::{BudgetInner, MemoryBudget};

/// A registered reclaimer: registration id, order, and a weak handle.
pub(super) type RegisteredReclaimer = (u64, ReclaimOrder, Weak<dyn Reclaimer>);

/// When a [`Reclaimer`] is asked to give memory back, relative to the others: clean
/// cached data goes first (dropping it costs a re-read at most), spilling second (it
/// costs a write and a read).
///
/// ```
/// use spillway::memory::ReclaimOrder;
///
/// assert!(ReclaimOrder::EvictClean < ReclaimOrder::Spill);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReclaimOrder {
    /// Drops clean data that can be read again (an LRU chunk cache).
    EvictClean,
    /// Writes data to disk and frees its memory (a spillable store).
    Spill,
}

/// Something holding memory under a budget that it can give back when a reservation
/// of the same budget cannot grow: [`Reservation::try_grow`](super::Reservation::try_grow)
/// and [`Reservation::grow_waiting`](super::Reservation::grow_waiting) ask the registered reclaimers, clean evictions first,
/// before they fail or wait.
///
/// `reclaim` runs on the thread that needs memory, without the budget's lock held. It
/// must not grow any reservation, and must not block on a lock that a thread growing a
/// reservation may hold (use `try_lock` and return 0 when busy).
///
/// ```
/// use spillway::memory::{MemoryBudget, ReclaimOrder, Reclaimer, Reservation};
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
///
/// ```
/// use spillway::memory::{MemoryBudget, ReclaimOrder, Reclaimer};
/// use std::sync::Arc;
///
/// struct Nothing;
/// impl Reclaimer for Nothing {
///     fn order(&self) -> ReclaimOrder { ReclaimOrder::Spill }
///     fn reclaim(&self, _bytes: u64) -> u64 { 0 }
/// }
///
/// let budget = MemoryBudget::new(100);
/// let registration = budget.register_reclaimer(Arc::new(Nothing));
/// drop(registration); // no longer asked
/// ```
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
    /// Asks the registered reclaimers, in [`ReclaimOrder`], to give back `bytes`;
    /// returns how many they gave back. Called without the counters' lock held.
    pub(super) fn reclaim(&self, bytes: u64) -> u64 {
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
}

impl MemoryBudget {
    /// Registers `reclaimer`: while the returned registration lives, reservations of
    /// this budget that cannot grow ask it to give memory back first (see
    /// [`Reclaimer`] for a fuller example). The budget keeps only a weak handle: a
    /// reclaimer dropped by its owner is no longer asked.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::memory::{MemoryBudget, ReclaimOrder, Reclaimer};
    /// use std::sync::Arc;
    ///
    /// struct Gives(u64);
    /// impl Reclaimer for Gives {
    ///     fn order(&self) -> ReclaimOrder { ReclaimOrder::EvictClean }
    ///     fn reclaim(&self, _bytes: u64) -> u64 { self.0 }
    /// }
    ///
    /// let budget = MemoryBudget::new(100);
    /// let reclaimer = Arc::new(Gives(0));
    /// let _registration = budget.register_reclaimer(reclaimer.clone());
    /// ```
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Reservation;
    use std::sync::Mutex;
    use std::time::Duration;

    /// Holds a reservation and gives it back on request, logging each call.
    struct Holder {
        order: ReclaimOrder,
        held: Mutex<Reservation>,
        log: Arc<Mutex<Vec<ReclaimOrder>>>,
    }

    impl Reclaimer for Holder {
        fn order(&self) -> ReclaimOrder {
            self.order
        }
        fn reclaim(&self, bytes: u64) -> u64 {
            self.log.lock().unwrap().push(self.order);
            let Ok(mut r) = self.held.try_lock() else {
                return 0;
            };
            let freed = bytes.min(r.size());
            r.shrink(freed);
            freed
        }
    }

    fn holder(
        budget: &MemoryBudget,
        order: ReclaimOrder,
        bytes: u64,
        log: &Arc<Mutex<Vec<ReclaimOrder>>>,
    ) -> Arc<Holder> {
        let mut held = budget.consumer(format!("{order:?}")).register();
        held.try_grow(bytes).unwrap();
        Arc::new(Holder {
            order,
            held: Mutex::new(held),
            log: Arc::clone(log),
        })
    }

    #[test]
    fn clean_evictions_go_before_spills() {
        let budget = MemoryBudget::new(100);
        let log = Arc::new(Mutex::new(Vec::new()));
        // Registered spill first: the order, not the registration, decides.
        let spill = holder(&budget, ReclaimOrder::Spill, 50, &log);
        let clean = holder(&budget, ReclaimOrder::EvictClean, 40, &log);
        let _s = budget.register_reclaimer(spill.clone());
        let _c = budget.register_reclaimer(clean.clone());
        let mut task = budget.consumer("task").register();
        // 10 free; 30 more needed: the cache alone gives them.
        task.try_grow(40).unwrap();
        assert_eq!(*log.lock().unwrap(), vec![ReclaimOrder::EvictClean]);
        assert_eq!(clean.held.lock().unwrap().size(), 10);
        assert_eq!(spill.held.lock().unwrap().size(), 50);
        // 0 free; 30 more needed: the cache's last 10, then 20 spilled.
        task.try_grow(30).unwrap();
        assert_eq!(
            log.lock().unwrap()[1..],
            [ReclaimOrder::EvictClean, ReclaimOrder::Spill]
        );
        assert_eq!(spill.held.lock().unwrap().size(), 30);
        assert_eq!(budget.reserved(), 100);
    }

    #[test]
    fn a_dropped_registration_or_reclaimer_is_not_asked() {
        let budget = MemoryBudget::new(100);
        let log = Arc::new(Mutex::new(Vec::new()));
        let clean = holder(&budget, ReclaimOrder::EvictClean, 60, &log);
        let registration = budget.register_reclaimer(clean.clone());
        drop(registration);
        let mut task = budget.consumer("task").register();
        assert!(task.try_grow(50).is_err());
        assert!(log.lock().unwrap().is_empty());

        let spill = holder(&budget, ReclaimOrder::Spill, 30, &log);
        let _registration = budget.register_reclaimer(spill.clone());
        drop(spill); // the budget held it weakly: it is gone, and its 30 bytes with it
        assert_eq!(budget.reserved(), 60);
        assert!(task.try_grow(50).is_err());
        assert!(log.lock().unwrap().is_empty());
        // A registration that outlives its budget drops quietly.
        let other = MemoryBudget::new(1);
        let late = other.register_reclaimer(clean);
        drop(other);
        drop(late);
    }

    #[test]
    fn grow_waiting_reclaims_before_it_waits() {
        let budget = MemoryBudget::new(100);
        let log = Arc::new(Mutex::new(Vec::new()));
        let spill = holder(&budget, ReclaimOrder::Spill, 100, &log);
        let _registration = budget.register_reclaimer(spill.clone());
        let mut task = budget.consumer("task").register();
        task.grow_waiting(70, Duration::from_secs(60)).unwrap();
        assert_eq!(*log.lock().unwrap(), vec![ReclaimOrder::Spill]);
        assert_eq!(spill.held.lock().unwrap().size(), 30);
    }
}
