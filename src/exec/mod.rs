//! The executor layer: the client (workers, threads, memory limit), the runner of stages
//! of tasks, the hooks observers attach through ([`monitor`], the client's status page),
//! and the hook through which stages run spread over processes. The memory budget they
//! charge lives below, in [`crate::memory`].

mod admission;
pub mod client;
pub(crate) mod collective;
pub mod distributed;
pub mod error;
pub mod executor;
mod gate;
pub mod joined;
pub mod monitor;
pub mod report;
pub mod spill_settings;
pub mod stage;
