//! The executor layer: the client (workers, threads, memory limit), the memory budget,
//! the runner of stages of tasks, and the hooks observers attach through
//! ([`monitor`], the client's status page).

pub mod budget;
pub mod client;
pub(crate) mod collective;
pub mod error;
pub mod executor;
pub mod monitor;
pub mod report;
pub mod spill_settings;
pub mod stage;

/// The client's former module name: `spillway::exec::runtime::Client` and the crate's
/// `crate::exec::runtime::` imports keep working.
///
/// ```
/// let client = spillway::exec::runtime::Client::builder().n_workers(1).build().unwrap();
/// assert!(client.same_client(&spillway::exec::client::Client::current()));
/// client.close();
/// ```
pub use client as runtime;
