//! A progress bar on stderr for long computations, as a [`Monitor`].
//!
//! [`ProgressBar`] shows, for the running stage, the tasks done of the stage's total, the
//! stage's op, the time since the computation started and an estimate of the time left in
//! the stage. Under the default rule ([`Progress::auto`]) it draws nothing unless stderr is
//! a terminal and the computation has run for more than a second: a fast computation, or
//! one whose output goes to a file, prints nothing.
//!
//! Workers only bump an atomic counter per task; drawing is done by one background thread
//! per computation, started only when a bar may be drawn, which refreshes the bar a few
//! times a second.
//!
//! The easiest switch is [`ProgressExt::show_progress`] on a client:
//!
//! ```
//! use spillway::observe::progress::ProgressExt;
//!
//! let client = spillway::Client::builder().n_workers(1).threads_per_worker(2).memory_limit("64MB").build().unwrap();
//! client.show_progress(true); // the default rule: a terminal, and more than a second
//! let total = spillway::ones::<f64>(1000, 100).sum().compute_on(&client).unwrap();
//! assert_eq!(total.into_iter().next(), Some(1000.0));
//! client.show_progress(false);
//! assert!(client.monitors().is_empty());
//! client.close();
//! ```
//!
//! The bar counts tasks; where a stage reports the bytes it goes through, it also shows
//! them in proportion.
//!
//! The rooms: `settings.rs` holds [`Progress`] (when and where to draw); `bar.rs` the
//! [`ProgressBar`] monitor; `draw.rs` the drawing thread; `install.rs` [`install`],
//! [`uninstall`] and [`ProgressExt`]; `term.rs` [`TextTerm`].

mod bar;
mod draw;
mod install;
mod settings;
mod term;

pub use bar::ProgressBar;
pub use install::{ProgressExt, install, uninstall};
pub use settings::{Progress, ProgressMode};
pub use term::TextTerm;

#[cfg(doc)]
use crate::exec::monitor::Monitor;
use std::fmt;
use std::time::Duration;

/// How long a computation runs before [`Progress::auto`] draws a bar.
pub const DEFAULT_DELAY: Duration = Duration::from_secs(1);

/// Tasks done in one stage of the latest computation.
///
/// ```
/// use spillway::observe::progress::StageProgress;
/// let s = StageProgress { label: "sum".into(), done: 3, total: 4 };
/// assert_eq!(s.to_string(), "sum 3/4 tasks");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageProgress {
    /// The stage's op.
    pub label: String,
    /// Tasks finished.
    pub done: usize,
    /// Tasks in the stage.
    pub total: usize,
}

impl fmt::Display for StageProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{} tasks", self.label, self.done, self.total)
    }
}
