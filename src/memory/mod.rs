//! The memory budget, at the bottom of the layers: every layer above (store, exec,
//! graph, array) charges the memory it holds here, and this module imports none of them.
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
//! Holders of memory that can give it back (a chunk cache, a spillable store) register
//! a [`Reclaimer`]; a reservation that cannot grow asks them first, clean evictions
//! before spills ([`ReclaimOrder`]). A grow that still cannot be met fails with a
//! [`MemoryError`] naming the consumer, the sizes and the limit.
//!
//! The rooms: `budget.rs` (the limit and its counters), `consumer.rs`, `reservation.rs`
//! (grow, wait, shrink, split), `reclaim.rs`, `error.rs`.
//!
//! ```
//! use spillway::memory::MemoryBudget;
//!
//! let budget = MemoryBudget::new(1 << 20);
//! let mut r = budget.consumer("sum stage").register();
//! r.try_grow(600 << 10).unwrap();
//! assert!(r.try_grow(600 << 10).is_err()); // would exceed 1 MiB
//! drop(r);
//! assert_eq!(budget.reserved(), 0);
//! assert_eq!(budget.peak_reserved(), 600 << 10);
//! ```

mod budget;
mod consumer;
mod error;
mod reclaim;
mod reservation;

pub use budget::MemoryBudget;
pub use consumer::MemoryConsumer;
pub use error::MemoryError;
pub use reclaim::{ReclaimOrder, Reclaimer, ReclaimerRegistration};
pub use reservation::Reservation;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<MemoryBudget>();
        check::<MemoryConsumer>();
        check::<Reservation>();
        check::<MemoryError>();
        check::<ReclaimerRegistration>();
    }
}
