//! [`MemoryConsumer`]: a named user of a budget (one stage, one cache), which registers
//! to get a [`Reservation`].

use std::fmt;

use super::budget::MemoryBudget;
use super::reservation::Reservation;

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
    pub(super) name: String,
    can_spill: bool,
    pub(super) budget: MemoryBudget,
}

impl MemoryConsumer {
    /// A consumer named `name` of `budget` that cannot spill.
    pub(super) fn new(name: String, budget: MemoryBudget) -> Self {
        MemoryConsumer {
            name,
            can_spill: false,
            budget,
        }
    }

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
        Reservation::new(self)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_consumer_names_its_budget_and_spilling() {
        let budget = MemoryBudget::new(100);
        let c = budget.consumer("load");
        assert_eq!((c.name(), c.can_spill()), ("load", false));
        assert!(c.budget().same_budget(&budget));
        let c = c.with_can_spill(true);
        assert!(c.clone().can_spill());
        let r = c.register();
        assert_eq!((r.consumer_name(), r.size()), ("load", 0));
        assert!(r.consumer().can_spill());
    }

    #[test]
    fn debug_output_is_informative() {
        let c = MemoryBudget::new(10).consumer("dbg");
        assert_eq!(
            format!("{c:?}"),
            "MemoryConsumer { name: \"dbg\", can_spill: false, budget_limit: 10 }"
        );
    }
}
