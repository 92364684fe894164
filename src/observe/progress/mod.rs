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
//! Stage information carries no byte count of the work a stage does, so the bar counts
//! tasks.

use crate::exec::monitor::{Monitor, StageInfo, TaskRecord};
use crate::exec::report::RunReport;
use crate::exec::client::Client;
use crate::util::size::format_bytes;
use indicatif::{ProgressDrawTarget, ProgressStyle, TermLike};
use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a computation runs before [`Progress::auto`] draws a bar.
pub const DEFAULT_DELAY: Duration = Duration::from_secs(1);

/// How often the bar is refreshed while it is shown.
const REFRESH: Duration = Duration::from_millis(200);

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
    fn plan(&self) -> Option<(Duration, Sink)> {
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

type TargetFactory = Arc<dyn Fn() -> ProgressDrawTarget + Send + Sync>;

/// Where a computation's progress goes.
enum Sink {
    /// One indicatif bar per stage, each on a fresh target.
    Bars(TargetFactory),
    /// Plain lines on stderr, at most one a second (stderr is not a terminal).
    Lines,
}

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

/// One computation as the bar sees it.
struct Run {
    started: Instant,
    labels: Vec<String>,
    totals: Vec<usize>,
    /// Bytes of data each stage goes through (0 when unknown).
    work_bytes: Vec<u64>,
    done: Vec<AtomicUsize>,
    /// Tasks whose stage index was out of range (never expected).
    stray: AtomicUsize,
    current: AtomicUsize,
    drawn: AtomicBool,
    /// Wakes the drawing thread when the computation ends.
    wake: (Mutex<bool>, Condvar),
}

impl Run {
    fn done_in(&self, stage: usize) -> usize {
        self.done
            .get(stage)
            .map_or(0, |d| d.load(Ordering::Relaxed))
    }

    /// Sleeps until `deadline` or the end of the computation; true when it ended.
    fn wait_until(&self, deadline: Instant) -> bool {
        let (lock, cv) = &self.wake;
        let mut ended = lock.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if *ended {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            ended = cv
                .wait_timeout(ended, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn end(&self) {
        let (lock, cv) = &self.wake;
        *lock.lock().unwrap_or_else(PoisonError::into_inner) = true;
        cv.notify_all();
    }

    fn label(&self, stage: usize) -> String {
        let n = self.labels.len();
        let label = self.labels.get(stage).map_or("", String::as_str);
        format!("stage {}/{n} {label}", (stage + 1).min(n))
    }

    fn total(&self, stage: usize) -> usize {
        self.totals.get(stage).copied().unwrap_or(0)
    }

    /// "1.2 GiB of 4.0 GiB", in proportion to tasks done; empty when the stage's bytes
    /// are unknown.
    fn bytes_text(&self, stage: usize) -> String {
        let work = self.work_bytes.get(stage).copied().unwrap_or(0);
        let total = self.total(stage);
        if work == 0 || total == 0 {
            return String::new();
        }
        let done = (work as u128 * self.done_in(stage) as u128 / total as u128) as u64;
        format!("{} of {}", format_bytes(done), format_bytes(work))
    }

    /// The drawing thread: waits out the delay, then refreshes until the end.
    fn draw(self: Arc<Self>, delay: Duration, sink: Sink) {
        if self.wait_until(self.started + delay) && delay > Duration::ZERO {
            return; // ended before the delay: draw nothing
        }
        self.drawn.store(true, Ordering::SeqCst);
        match sink {
            Sink::Bars(target) => self.draw_bars(&target),
            Sink::Lines => self.draw_lines(),
        }
    }

    /// One bar per stage; a finished stage's bar stays on screen with its final count.
    fn draw_bars(&self, target: &TargetFactory) {
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} tasks  {msg}  elapsed {elapsed_precise}  eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let new_bar = |stage: usize| {
            let bar =
                indicatif::ProgressBar::with_draw_target(Some(self.total(stage) as u64), target())
                    .with_style(style.clone())
                    .with_prefix(self.label(stage))
                    .with_elapsed(self.started.elapsed());
            bar.set_position(self.done_in(stage) as u64);
            bar.set_message(self.bytes_text(stage));
            bar
        };
        let mut stage = self.current.load(Ordering::Relaxed);
        let mut bar = new_bar(stage);
        loop {
            let ended = self.wait_until(Instant::now() + REFRESH);
            let now_stage = self.current.load(Ordering::Relaxed);
            if now_stage != stage {
                bar.set_position(self.done_in(stage) as u64);
                bar.finish();
                stage = now_stage;
                bar = new_bar(stage);
            }
            bar.set_position(self.done_in(stage) as u64);
            bar.set_message(self.bytes_text(stage));
            if ended {
                bar.finish();
                return;
            }
        }
    }

    /// Plain lines on stderr: one at once, then at most one a second, and one at the end.
    fn draw_lines(&self) {
        let mut stage = self.current.load(Ordering::Relaxed);
        let mut stage_started = Instant::now();
        let mut printed: Option<Instant> = None;
        let mut ended = false;
        loop {
            let now_stage = self.current.load(Ordering::Relaxed);
            if now_stage != stage {
                stage = now_stage;
                stage_started = Instant::now();
            }
            if ended || printed.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                let (done, total) = (self.done_in(stage), self.total(stage));
                let in_stage = stage_started.elapsed().as_secs_f64();
                let eta = if done == 0 {
                    "?".to_string()
                } else {
                    let left = in_stage * total.saturating_sub(done) as f64 / done as f64;
                    format!("{left:.1}s")
                };
                // a closed or broken stderr only loses the line
                let _ = writeln!(
                    io::stderr().lock(),
                    "{}: {done}/{total} tasks {}, elapsed {:.1}s, eta {eta}",
                    self.label(stage),
                    self.bytes_text(stage),
                    self.started.elapsed().as_secs_f64()
                );
                printed = Some(Instant::now());
            }
            if ended {
                return;
            }
            ended = self.wait_until(Instant::now() + REFRESH);
        }
    }
}

/// A [`Monitor`] that draws a progress bar on stderr (see the [module docs](self)).
///
/// ```
/// use spillway::observe::progress::{Progress, ProgressBar};
/// use std::sync::Arc;
///
/// let client = spillway::Client::builder().n_workers(1).threads_per_worker(2).memory_limit("64MB").build().unwrap();
/// let bar = Arc::new(ProgressBar::new(Progress::auto()));
/// client.add_monitor(bar.clone());
/// spillway::ones::<f64>(100, 10).sum().compute_on(&client).unwrap();
/// assert_eq!(bar.stages()[0].done, 10);
/// assert!(!bar.has_drawn()); // far under a second
/// client.close();
/// ```
pub struct ProgressBar {
    progress: Progress,
    run: RwLock<Option<Arc<Run>>>,
    drawer: Mutex<Option<JoinHandle<()>>>,
}

impl fmt::Debug for ProgressBar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProgressBar")
            .field("progress", &self.progress)
            .field("stages", &self.stages())
            .finish()
    }
}

impl Default for ProgressBar {
    fn default() -> Self {
        ProgressBar::new(Progress::auto())
    }
}

impl ProgressBar {
    /// A bar with these settings; register it with [`Client::add_monitor`] or use
    /// [`install`].
    ///
    /// ```
    /// use spillway::observe::progress::{Progress, ProgressBar, ProgressMode};
    /// let bar = ProgressBar::new(Progress::never());
    /// assert_eq!(bar.progress().mode(), ProgressMode::Never);
    /// assert!(bar.stages().is_empty());
    /// ```
    pub fn new(progress: Progress) -> Self {
        ProgressBar {
            progress,
            run: RwLock::new(None),
            drawer: Mutex::new(None),
        }
    }

    /// The settings.
    ///
    /// ```
    /// use spillway::observe::progress::{Progress, ProgressBar, ProgressMode};
    /// assert_eq!(ProgressBar::default().progress().mode(), ProgressMode::Auto);
    /// ```
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    fn current_run(&self) -> Option<Arc<Run>> {
        self.run
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Tasks done per stage of the latest (or running) computation; empty before any.
    ///
    /// ```
    /// use spillway::observe::progress::{Progress, ProgressBar};
    /// use std::sync::Arc;
    /// let client = spillway::Client::builder().n_workers(1).threads_per_worker(1).memory_limit("64MB").build().unwrap();
    /// let bar = Arc::new(ProgressBar::new(Progress::never()));
    /// client.add_monitor(bar.clone());
    /// spillway::ones::<f64>(40, 10).sum().compute_on(&client).unwrap();
    /// let stages = bar.stages();
    /// assert_eq!((stages[0].done, stages[0].total), (4, 4));
    /// client.close();
    /// ```
    pub fn stages(&self) -> Vec<StageProgress> {
        let Some(run) = self.current_run() else {
            return Vec::new();
        };
        run.labels
            .iter()
            .zip(&run.totals)
            .enumerate()
            .map(|(i, (label, &total))| StageProgress {
                label: label.clone(),
                done: run.done_in(i),
                total,
            })
            .collect()
    }

    /// Whether a bar was drawn during the latest computation.
    ///
    /// ```
    /// use spillway::observe::progress::ProgressBar;
    /// assert!(!ProgressBar::default().has_drawn());
    /// ```
    pub fn has_drawn(&self) -> bool {
        self.current_run()
            .is_some_and(|r| r.drawn.load(Ordering::SeqCst))
    }

    /// Stops and joins the drawing thread of the previous computation, if any.
    fn stop_drawing(&self) {
        if let Some(run) = self.current_run() {
            run.end();
        }
        let handle = self
            .drawer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            // a panic in the drawing thread only loses the bar
            let _ = handle.join();
        }
    }
}

impl Drop for ProgressBar {
    fn drop(&mut self) {
        self.stop_drawing();
    }
}

impl Monitor for ProgressBar {
    fn computation_started(&self, stages: &[StageInfo], started: Instant) {
        self.stop_drawing();
        let run = Arc::new(Run {
            started,
            labels: stages.iter().map(|s| s.label.clone()).collect(),
            totals: stages.iter().map(|s| s.tasks).collect(),
            work_bytes: stages.iter().map(|s| s.work_bytes).collect(),
            done: stages.iter().map(|_| AtomicUsize::new(0)).collect(),
            stray: AtomicUsize::new(0),
            current: AtomicUsize::new(0),
            drawn: AtomicBool::new(false),
            wake: (Mutex::new(false), Condvar::new()),
        });
        *self.run.write().unwrap_or_else(PoisonError::into_inner) = Some(run.clone());
        if let Some((delay, target)) = self.progress.plan() {
            let spawned = std::thread::Builder::new()
                .name("spillway-progress".into())
                .spawn(move || run.draw(delay, target));
            // no thread, no bar: the computation itself is unaffected
            if let Ok(handle) = spawned {
                *self.drawer.lock().unwrap_or_else(PoisonError::into_inner) = Some(handle);
            }
        }
    }

    fn stage_started(&self, index: usize, _info: &StageInfo, _workers: usize) {
        if let Some(run) = self.current_run() {
            run.current.store(index, Ordering::Relaxed);
        }
    }

    fn task_finished(&self, record: &TaskRecord) {
        let run = self.run.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(run) = run.as_ref() {
            match run.done.get(record.stage) {
                Some(done) => done.fetch_add(1, Ordering::Relaxed),
                None => run.stray.fetch_add(1, Ordering::Relaxed),
            };
        }
    }

    fn computation_finished(&self, _report: Option<&RunReport>) {
        self.stop_drawing();
    }
}

/// Installs a [`ProgressBar`] with these settings on `client`, replacing one installed
/// before; returns it (to read its counts).
///
/// ```
/// use spillway::observe::progress::{install, uninstall, Progress};
/// let client = spillway::Client::builder().n_workers(1).threads_per_worker(1).memory_limit("64MB").build().unwrap();
/// let bar = install(&client, Progress::never());
/// install(&client, Progress::never());
/// assert_eq!(client.monitors().len(), 1);
/// spillway::ones::<f64>(10, 5).sum().compute_on(&client).unwrap();
/// assert!(uninstall(&client));
/// assert!(client.monitors().is_empty());
/// # drop(bar);
/// client.close();
/// ```
pub fn install(client: &Client, progress: Progress) -> Arc<ProgressBar> {
    uninstall(client);
    let bar = Arc::new(ProgressBar::new(progress));
    {
        let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
        installed.retain(|w| w.strong_count() > 0);
        installed.push(Arc::downgrade(&bar));
    }
    client.add_monitor(bar.clone());
    bar
}

/// Removes the bars [`install`] put on `client`; true when there was one.
///
/// ```
/// use spillway::observe::progress::uninstall;
/// let client = spillway::Client::builder().n_workers(1).threads_per_worker(1).memory_limit("64MB").build().unwrap();
/// assert!(!uninstall(&client));
/// client.close();
/// ```
pub fn uninstall(client: &Client) -> bool {
    let installed: Vec<Arc<ProgressBar>> = INSTALLED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter_map(Weak::upgrade)
        .collect();
    let mut removed = false;
    for monitor in client.monitors() {
        let ptr = Arc::as_ptr(&monitor).cast::<()>();
        if installed
            .iter()
            .any(|bar| std::ptr::eq(Arc::as_ptr(bar).cast::<()>(), ptr))
        {
            client.remove_monitor(&monitor);
            removed = true;
        }
    }
    removed
}

/// Bars put on clients by [`install`], to find them again in [`uninstall`].
static INSTALLED: Mutex<Vec<Weak<ProgressBar>>> = Mutex::new(Vec::new());

/// `client.show_progress(bool)`: the progress bar as a switch on the client.
///
/// ```
/// use spillway::observe::progress::ProgressExt;
/// let client = spillway::Client::builder().n_workers(1).threads_per_worker(1).memory_limit("64MB").build().unwrap();
/// client.show_progress(true);
/// assert_eq!(client.monitors().len(), 1);
/// client.show_progress(false);
/// assert!(client.monitors().is_empty());
/// client.close();
/// ```
pub trait ProgressExt {
    /// `true` installs a bar under the default rule ([`Progress::auto`]), `false`
    /// removes it.
    fn show_progress(&self, show: bool);
    /// Installs a bar with these settings (see [`install`]).
    ///
    /// ```
    /// use spillway::observe::progress::{Progress, ProgressExt};
    /// let client = spillway::Client::builder().n_workers(1).threads_per_worker(1).memory_limit("64MB").build().unwrap();
    /// let bar = client.progress(Progress::never());
    /// spillway::ones::<f64>(10, 5).sum().compute_on(&client).unwrap();
    /// assert_eq!(bar.stages()[0].done, 2);
    /// client.close();
    /// ```
    fn progress(&self, progress: Progress) -> Arc<ProgressBar>;
}

impl ProgressExt for Client {
    fn show_progress(&self, show: bool) {
        if show {
            install(self, Progress::auto());
        } else {
            uninstall(self);
        }
    }

    fn progress(&self, progress: Progress) -> Arc<ProgressBar> {
        install(self, progress)
    }
}

/// An in-memory [`TermLike`]: keeps every line drawn on it, for tests and logs.
/// Clones share the text.
///
/// ```
/// use spillway::observe::progress::TextTerm;
/// use indicatif::TermLike;
/// let term = TextTerm::new(40);
/// term.clone().write_line("hello").unwrap();
/// assert_eq!(term.contents(), "hello\n");
/// ```
#[derive(Debug, Clone, Default)]
pub struct TextTerm {
    width: u16,
    text: Arc<Mutex<String>>,
}

impl TextTerm {
    /// An empty terminal `width` columns wide.
    ///
    /// ```
    /// use indicatif::TermLike;
    /// assert_eq!(spillway::observe::progress::TextTerm::new(80).width(), 80);
    /// ```
    pub fn new(width: u16) -> Self {
        TextTerm {
            width,
            text: Arc::default(),
        }
    }

    /// Everything written so far (cursor moves and clears are not recorded).
    ///
    /// ```
    /// assert_eq!(spillway::observe::progress::TextTerm::new(80).contents(), "");
    /// ```
    pub fn contents(&self) -> String {
        self.text
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn push(&self, s: &str) {
        self.text
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_str(s);
    }
}

impl TermLike for TextTerm {
    fn width(&self) -> u16 {
        self.width
    }
    fn move_cursor_up(&self, _n: usize) -> io::Result<()> {
        Ok(())
    }
    fn move_cursor_down(&self, _n: usize) -> io::Result<()> {
        Ok(())
    }
    fn move_cursor_right(&self, _n: usize) -> io::Result<()> {
        Ok(())
    }
    fn move_cursor_left(&self, _n: usize) -> io::Result<()> {
        Ok(())
    }
    fn write_line(&self, s: &str) -> io::Result<()> {
        self.push(s);
        self.push("\n");
        Ok(())
    }
    fn write_str(&self, s: &str) -> io::Result<()> {
        self.push(s);
        Ok(())
    }
    fn clear_line(&self) -> io::Result<()> {
        Ok(())
    }
    fn flush(&self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(label: &str, tasks: usize) -> StageInfo {
        StageInfo {
            label: label.into(),
            tasks,
            worker_bytes: 0,
            stage_bytes: 0,
            work_bytes: 0,
        }
    }

    fn record(stage: usize, task: usize) -> TaskRecord {
        TaskRecord {
            stage,
            label: Arc::from("x"),
            task,
            thread: 0,
            worker: 0,
            start: Duration::ZERO,
            end: Duration::ZERO,
        }
    }

    #[test]
    fn counts_per_stage_and_ignores_stray_stages() {
        let bar = ProgressBar::new(Progress::never());
        bar.computation_started(&[info("a", 2), info("b", 3)], Instant::now());
        bar.task_finished(&record(0, 0));
        bar.task_finished(&record(1, 0));
        bar.task_finished(&record(1, 1));
        bar.task_finished(&record(7, 0));
        bar.computation_finished(None);
        let s = bar.stages();
        assert_eq!((s[0].done, s[0].total), (1, 2));
        assert_eq!((s[1].done, s[1].total), (2, 3));
        assert!(!bar.has_drawn());
    }

    #[test]
    fn auto_with_a_long_run_draws_after_the_delay() {
        let text = TextTerm::new(100);
        let bar = ProgressBar::new(
            Progress::auto()
                .delay(Duration::from_millis(50))
                .draw_to(text.clone()),
        );
        bar.computation_started(&[info("sum", 4)], Instant::now());
        bar.stage_started(0, &info("sum", 4), 1);
        bar.task_finished(&record(0, 0));
        std::thread::sleep(Duration::from_millis(120));
        assert!(bar.has_drawn());
        bar.task_finished(&record(0, 1));
        bar.computation_finished(None);
        let out = text.contents();
        assert!(out.contains("stage 1/1 sum"), "{out}");
        assert!(out.contains("2/4 tasks"), "{out}");
    }

    #[test]
    fn auto_with_a_short_run_draws_nothing() {
        let text = TextTerm::new(100);
        let bar = ProgressBar::new(Progress::auto().draw_to(text.clone()));
        bar.computation_started(&[info("sum", 1)], Instant::now());
        bar.task_finished(&record(0, 0));
        bar.computation_finished(None);
        assert!(!bar.has_drawn());
        assert_eq!(text.contents(), "");
    }
}
