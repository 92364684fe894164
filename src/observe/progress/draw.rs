//! The drawing side of a progress bar: one computation's counters ([`Run`]), which workers
//! bump, and the background thread that draws them as indicatif bars or plain lines.

use super::settings::{Sink, TargetFactory};
use crate::util::size::format_bytes;
use indicatif::ProgressStyle;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How often the bar is refreshed while it is shown.
const REFRESH: Duration = Duration::from_millis(200);

/// One computation as the bar sees it.
pub(super) struct Run {
    pub(super) started: Instant,
    pub(super) labels: Vec<String>,
    pub(super) totals: Vec<usize>,
    /// Bytes of data each stage goes through (0 when unknown).
    pub(super) work_bytes: Vec<u64>,
    pub(super) done: Vec<AtomicUsize>,
    /// Tasks whose stage index was out of range (never expected).
    pub(super) stray: AtomicUsize,
    pub(super) current: AtomicUsize,
    pub(super) drawn: AtomicBool,
    /// Wakes the drawing thread when the computation ends.
    pub(super) wake: (Mutex<bool>, Condvar),
}

impl Run {
    pub(super) fn done_in(&self, stage: usize) -> usize {
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

    pub(super) fn end(&self) {
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
    pub(super) fn draw(self: Arc<Self>, delay: Duration, sink: Sink) {
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
