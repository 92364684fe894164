//! [`MemoryError`]: why a reservation could not grow, with the numbers and the setting
//! to change.

use std::time::Duration;

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

#[cfg(test)]
mod tests {
    use crate::memory::MemoryBudget;

    const MIB: u64 = 1 << 20;

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
}
