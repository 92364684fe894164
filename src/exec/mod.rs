//! The executor layer: the client (workers, threads, memory limit) and the runner of
//! stages of tasks. The memory budget they charge lives below, in [`crate::memory`].

pub(crate) mod collective;
pub mod dashboard;
pub mod error;
pub mod executor;
pub mod monitor;
pub mod progress;
pub mod report;
pub mod runtime;
pub mod spill_settings;
pub mod stage;
pub mod trace;
