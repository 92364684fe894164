//! Observers of running computations: the progress bar, task traces and the live
//! dashboard. Each is a [`Monitor`](crate::exec::monitor::Monitor) that attaches to a
//! [`Client`](crate::exec::client::Client) through exec's hooks (`add_monitor`, and the
//! builder's status page for the dashboard); exec never imports this folder.
//!
//! ```
//! use spillway::observe::progress::ProgressExt;
//! use spillway::{Client, DashboardExt};
//!
//! let client = Client::builder().n_workers(1).memory_limit("64MB").dashboard("127.0.0.1:0").build()?;
//! client.show_progress(true);
//! spillway::ones::<f64>(100, 10).sum().compute_on(&client)?;
//! assert_eq!(client.monitors().len(), 2); // the dashboard's and the bar's
//! client.close();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This layer may import exec, graph, store, memory and util, never array.

pub mod dashboard;
pub mod progress;
pub mod trace;
