//! [`ProgressBar`]: the [`Monitor`] that counts tasks per stage and starts a drawing
//! thread per computation when its settings say a bar may be drawn.

use super::draw::Run;
#[cfg(doc)]
use super::install;
use super::{Progress, StageProgress};
#[cfg(doc)]
use crate::exec::client::Client;
use crate::exec::monitor::{Monitor, StageInfo, TaskRecord};
use crate::exec::report::RunReport;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::Instant;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::progress::TextTerm;
    use std::time::Duration;

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
