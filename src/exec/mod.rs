//! The executor layer: the client (workers, threads, memory limit), the runner of stages
//! of tasks, and the hook through which stages run spread over processes. The memory
//! budget they charge lives below, in [`crate::memory`].

pub(crate) mod collective;
pub mod dashboard;
pub mod distributed;
pub mod error;
pub mod executor;
pub mod monitor;
pub mod progress;
pub mod report;
pub mod runtime;
pub mod spill_settings;
pub mod stage;
pub mod trace;
