//! The executor layer: the client (workers, threads, memory limit), the memory budget,
//! and the runner of stages of tasks.

mod admission;
pub mod budget;
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
