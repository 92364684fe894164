//! The memory budget, at the bottom of the layers: every layer above (store, exec,
//! graph, array) charges the memory it holds here, and this module imports none of them.

mod budget;

pub use budget::{
    MemoryBudget, MemoryConsumer, MemoryError, ReclaimOrder, Reclaimer, ReclaimerRegistration,
    Reservation,
};
