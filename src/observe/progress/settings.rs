//! When and where a progress bar draws: [`Progress`] (auto, always, never; the delay; a
//! custom terminal) and what that means for a computation starting now.

use super::DEFAULT_DELAY;
#[cfg(doc)]
use super::{ProgressBar, TextTerm};
use indicatif::{ProgressDrawTarget, TermLike};
use std::fmt;
use std::io::{self, IsTerminal};
use std::sync::Arc;
use std::time::Duration;

/// When a [`ProgressBar`] draws.
///
/// ```
/// use spillway::observe::progress::{Progress, ProgressMode};
/// assert_eq!(Progress::default().mode(), ProgressMode::Auto);
/// assert_eq!(Progress::never().mode(), ProgressMode::Never);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProgressMode {
    /// Only when the target is a terminal and the computation has run longer than the
    /// delay (one second unless [`Progress::delay`] says otherwise).
    Auto,
    /// From the start of every computation, terminal or not. When stderr is not a
    /// terminal, one plain line is written at most once a second.
    Always,
    /// Never.
    Never,
}

type TermFactory = Arc<dyn Fn() -> Box<dyn TermLike> + Send + Sync>;

/// Settings of a [`ProgressBar`]: when it draws and where.
///
/// ```
/// use spillway::observe::progress::{Progress, ProgressBar};
/// use std::time::Duration;
///
/// let bar = ProgressBar::new(Progress::auto().delay(Duration::from_secs(2)));
/// assert_eq!(bar.progress().delay_time(), Duration::from_secs(2));
/// ```
#[derive(Clone)]
pub struct Progress {
    mode: ProgressMode,
    delay: Duration,
    term: Option<TermFactory>,
}

impl Default for Progress {
    fn default() -> Self {
        Progress::auto()
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress")
            .field("mode", &self.mode)
            .field("delay", &self.delay)
            .field("custom_target", &self.term.is_some())
            .finish()
    }
}

impl Progress {
    /// The default rule: draw on stderr when it is a terminal, once a computation has
    /// run for more than a second.
    ///
    /// ```
    /// use spillway::observe::progress::{Progress, ProgressMode};
    /// assert_eq!(Progress::auto().mode(), ProgressMode::Auto);
    /// assert_eq!(Progress::auto().delay_time(), std::time::Duration::from_secs(1));
    /// ```
    pub fn auto() -> Self {
        Progress {
            mode: ProgressMode::Auto,
            delay: DEFAULT_DELAY,
            term: None,
        }
    }

    /// Draw from the start of every computation, whether stderr is a terminal or not.
    ///
    /// ```
    /// use spillway::observe::progress::{Progress, ProgressMode};
    /// assert_eq!(Progress::always().mode(), ProgressMode::Always);
    /// ```
    pub fn always() -> Self {
        Progress {
            mode: ProgressMode::Always,
            ..Progress::auto()
        }
    }

    /// Never draw (the monitor still counts tasks).
    ///
    /// ```
    /// use spillway::observe::progress::{Progress, ProgressMode};
    /// assert_eq!(Progress::never().mode(), ProgressMode::Never);
    /// ```
    pub fn never() -> Self {
        Progress {
            mode: ProgressMode::Never,
            ..Progress::auto()
        }
    }

    /// [`Progress::always`] for `true`, [`Progress::never`] for `false`.
    ///
    /// ```
    /// use spillway::observe::progress::{Progress, ProgressMode};
    /// assert_eq!(Progress::from_flag(false).mode(), ProgressMode::Never);
    /// ```
    pub fn from_flag(show: bool) -> Self {
        if show {
            Progress::always()
        } else {
            Progress::never()
        }
    }

    /// How long a computation runs before [`ProgressMode::Auto`] draws (default one
    /// second). Ignored by the other modes.
    ///
    /// ```
    /// use spillway::observe::progress::Progress;
    /// use std::time::Duration;
    /// let p = Progress::auto().delay(Duration::from_millis(500));
    /// assert_eq!(p.delay_time(), Duration::from_millis(500));
    /// ```
    #[must_use]
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Draws on `term` instead of stderr; `term` counts as a terminal for
    /// [`ProgressMode::Auto`]. Each computation draws on a fresh clone. Useful for tests
    /// ([`TextTerm`]) or to put the bar in a log.
    ///
    /// ```
    /// use spillway::observe::progress::{Progress, ProgressBar, TextTerm};
    ///
    /// let text = TextTerm::new(80);
    /// let bar = std::sync::Arc::new(ProgressBar::new(Progress::always().draw_to(text.clone())));
    /// let client = spillway::Client::builder().n_workers(1).threads_per_worker(1).memory_limit("64MB").build().unwrap();
    /// client.add_monitor(bar.clone());
    /// spillway::ones::<f64>(100, 10).sum().compute_on(&client).unwrap();
    /// assert!(text.contents().contains("10/10 tasks"));
    /// client.close();
    /// ```
    #[must_use]
    pub fn draw_to<T: TermLike + Clone + 'static>(mut self, term: T) -> Self {
        self.term = Some(Arc::new(move || {
            Box::new(term.clone()) as Box<dyn TermLike>
        }));
        self
    }

    /// The mode.
    ///
    /// ```
    /// use spillway::observe::progress::{Progress, ProgressMode};
    /// assert_eq!(Progress::always().mode(), ProgressMode::Always);
    /// ```
    pub fn mode(&self) -> ProgressMode {
        self.mode
    }

    /// The delay of [`ProgressMode::Auto`].
    ///
    /// ```
    /// use spillway::observe::progress::Progress;
    /// assert_eq!(Progress::auto().delay_time().as_secs(), 1);
    /// ```
    pub fn delay_time(&self) -> Duration {
        self.delay
    }

    /// Where a computation starting now would draw, and after how long; `None` when it
    /// would not draw at all.
    pub(super) fn plan(&self) -> Option<(Duration, Sink)> {
        let delay = match self.mode {
            ProgressMode::Never => return None,
            ProgressMode::Auto => self.delay,
            ProgressMode::Always => Duration::ZERO,
        };
        match &self.term {
            Some(term) => {
                let term = term.clone();
                let target: TargetFactory =
                    Arc::new(move || ProgressDrawTarget::term_like_with_hz(term(), 10));
                Some((delay, Sink::Bars(target)))
            }
            None if io::stderr().is_terminal() => Some((
                delay,
                Sink::Bars(Arc::new(|| ProgressDrawTarget::stderr_with_hz(10))),
            )),
            None if self.mode == ProgressMode::Always => Some((delay, Sink::Lines)),
            None => None,
        }
    }
}

pub(super) type TargetFactory = Arc<dyn Fn() -> ProgressDrawTarget + Send + Sync>;

/// Where a computation's progress goes.
pub(super) enum Sink {
    /// One indicatif bar per stage, each on a fresh target.
    Bars(TargetFactory),
    /// Plain lines on stderr, at most one a second (stderr is not a terminal).
    Lines,
}
