//! Progress bars and traces see every task: the Chrome trace of a computation has one
//! complete event per task on the worker that ran it and carries the run's report; a
//! recorder keeps at most its capacity; the progress bar counts tasks per stage and draws
//! nothing for a sub-second computation under the default rule.
//!
//! `compute_with_report` runs on the current client and building a client makes it the
//! current one, so every test of this file holds one lock.

use serde_json::Value;
use spillway::observe::progress::{self, Progress, ProgressBar, ProgressExt, TextTerm};
use spillway::observe::trace::TraceRecorder;
use spillway::random::default_rng;
use spillway::{Array, Client, Error};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // each test starts on an open current client (a client a test before closed stays
    // current, and computations on it fail with Closed)
    spillway::Client::builder()
        .build()
        .expect("a client with the machine's defaults");
    guard
}

fn client(workers: usize, threads: usize) -> Client {
    Client::builder()
        .n_workers(workers)
        .threads_per_worker(threads)
        .memory_limit("64MB")
        .build()
        .unwrap()
}

/// Two stages at least: a mean, then a sum of the centred squares.
fn variance_like() -> Array<f64> {
    let x = default_rng(7).random([400, 10], [20, 10]);
    (&x - x.mean()).powi(2).sum()
}

fn events(json: &Value) -> &Vec<Value> {
    json["traceEvents"].as_array().expect("traceEvents array")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn trace_has_one_event_per_task_on_its_worker_and_the_report() {
    let _g = serial();
    let client = client(2, 2);
    let trace = Arc::new(TraceRecorder::new());
    client.add_monitor(trace.clone());
    let (_, report) = variance_like().compute_with_report().unwrap();
    let json: Value = serde_json::from_str(&trace.to_json()).unwrap();

    let tasks: Vec<&Value> = events(&json).iter().filter(|e| e["ph"] == "X").collect();
    assert_eq!(tasks.len(), report.tasks, "{report}");
    assert!(report.stages.len() >= 2, "{report}");
    let mut seen = BTreeSet::new();
    let mut pids = BTreeSet::new();
    for e in &tasks {
        assert!(e["ts"].as_f64().unwrap() >= 0.0);
        assert!(e["dur"].as_f64().unwrap() >= 0.0);
        let pid = e["pid"].as_u64().unwrap() as usize;
        let tid = e["tid"].as_u64().unwrap() as usize;
        assert!(pid < 2 && tid < 4);
        assert_eq!(pid, client.worker_of_thread(tid));
        pids.insert(pid);
        let stage = e["args"]["stage"].as_u64().unwrap() as usize;
        assert_eq!(e["name"], report.stages[stage].label.as_str());
        assert!(seen.insert((stage, e["args"]["task"].as_u64().unwrap())));
    }
    for (i, s) in report.stages.iter().enumerate() {
        assert_eq!(seen.iter().filter(|(st, _)| *st == i).count(), s.tasks);
    }
    // every process and thread in the events is named
    let names: BTreeSet<(String, u64, u64)> = events(&json)
        .iter()
        .filter(|e| e["ph"] == "M")
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["pid"].as_u64().unwrap(),
                e["tid"].as_u64().unwrap(),
            )
        })
        .collect();
    for e in &tasks {
        let (pid, tid) = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
        assert!(names.contains(&("process_name".into(), pid, 0)));
        assert!(names.contains(&("thread_name".into(), pid, tid)));
    }
    assert_eq!(json["displayTimeUnit"], "ms");

    let r = &json["spillwayReport"];
    assert_eq!(r["tasks"], report.tasks);
    assert_eq!(r["peak_reserved_bytes"], report.peak_reserved_bytes);
    assert_eq!(r["budget_bytes"], report.budget_bytes);
    assert!(close(r["seconds"].as_f64().unwrap(), report.seconds));
    assert_eq!(r["text"], report.to_string());
    let stages = r["stages"].as_array().unwrap();
    assert_eq!(stages.len(), report.stages.len());
    for (j, s) in stages.iter().zip(&report.stages) {
        assert_eq!(j["label"], s.label.as_str());
        assert_eq!(j["tasks"], s.tasks);
        assert!(close(j["seconds"].as_f64().unwrap(), s.seconds));
    }
    assert_eq!(trace.report(), Some(report));
    assert_eq!(json["spillwayTrace"]["dropped_tasks"], 0);
    client.close();
}

#[test]
fn recorder_keeps_at_most_its_capacity() {
    let _g = serial();
    let client = client(1, 2);
    let trace = Arc::new(TraceRecorder::with_capacity(5));
    client.add_monitor(trace.clone());
    let (_, report) = default_rng(1)
        .random([200], 10)
        .sum()
        .compute_with_report()
        .unwrap();
    assert_eq!(report.tasks, 20);
    assert_eq!((trace.len(), trace.dropped()), (5, 15));
    let json: Value = serde_json::from_str(&trace.to_json()).unwrap();
    assert_eq!(events(&json).iter().filter(|e| e["ph"] == "X").count(), 5);
    assert_eq!(json["spillwayTrace"]["dropped_tasks"], 15);
    assert_eq!(json["spillwayTrace"]["recorded_tasks"], 5);
    assert_eq!(json["spillwayReport"]["tasks"], 20);
    trace.clear();
    assert_eq!((trace.len(), trace.dropped()), (0, 0));
    client.close();
}

#[test]
fn computations_follow_each_other_on_one_timeline() {
    let _g = serial();
    let client = client(1, 2);
    let trace = Arc::new(TraceRecorder::new());
    client.add_monitor(trace.clone());
    let x = default_rng(2).random([100], 10);
    x.sum().compute_on(&client).unwrap();
    x.max().compute_on(&client).unwrap();
    assert_eq!(trace.computations(), 2);
    let json: Value = serde_json::from_str(&trace.to_json()).unwrap();
    let span = |c: u64| {
        let ts: Vec<(f64, f64)> = events(&json)
            .iter()
            .filter(|e| e["ph"] == "X" && e["args"]["computation"] == c)
            .map(|e| {
                let t = e["ts"].as_f64().unwrap();
                (t, t + e["dur"].as_f64().unwrap())
            })
            .collect();
        assert!(!ts.is_empty());
        (
            ts.iter().map(|t| t.0).fold(f64::INFINITY, f64::min),
            ts.iter().map(|t| t.1).fold(0.0, f64::max),
        )
    };
    let (first, second) = (span(0), span(1));
    assert!(second.0 >= first.1, "{first:?} then {second:?}");
    client.close();
}

#[test]
fn trace_write_reports_a_typed_error() {
    let trace = TraceRecorder::new();
    let err = Error::from(trace.write("/nonexistent-dir-spillway/t.json").unwrap_err());
    match &err {
        Error::Io { path, source } => {
            assert_eq!(path, "/nonexistent-dir-spillway/t.json");
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("cannot write /nonexistent-dir-spillway/t.json: ")
    );
}

#[test]
fn progress_counts_tasks_per_stage() {
    let _g = serial();
    let client = client(1, 2);
    let bar = Arc::new(ProgressBar::new(Progress::never()));
    client.add_monitor(bar.clone());
    let (_, report) = variance_like().compute_with_report().unwrap();
    let stages = bar.stages();
    assert_eq!(stages.len(), report.stages.len());
    for (p, s) in stages.iter().zip(&report.stages) {
        assert_eq!(p.label, s.label);
        assert_eq!((p.done, p.total), (s.tasks, s.tasks));
    }
    assert!(!bar.has_drawn());
    client.close();
}

#[test]
fn auto_progress_draws_nothing_for_a_fast_computation() {
    let _g = serial();
    let client = client(1, 2);
    let text = TextTerm::new(100);
    // the text target counts as a terminal, so only the one-second rule keeps it empty
    let bar = client.progress(Progress::auto().draw_to(text.clone()));
    variance_like().compute_on(&client).unwrap();
    assert!(!bar.has_drawn());
    assert_eq!(text.contents(), "");
    assert!(bar.stages().iter().all(|s| s.done == s.total));
    client.show_progress(false);
    assert!(client.monitors().is_empty());
    client.close();
}

#[test]
fn always_progress_draws_the_final_counts() {
    let _g = serial();
    let client = client(1, 2);
    let text = TextTerm::new(120);
    let bar = progress::install(&client, Progress::always().draw_to(text.clone()));
    let (_, report) = default_rng(3)
        .random([200], 10)
        .sum()
        .compute_with_report()
        .unwrap();
    assert!(bar.has_drawn());
    let out = text.contents();
    let last = &report.stages[report.stages.len() - 1];
    assert!(out.contains(&format!("{0}/{0} tasks", last.tasks)), "{out}");
    assert!(out.contains(&last.label), "{out}");
    assert!(progress::uninstall(&client));
    assert!(!progress::uninstall(&client));
    client.close();
}
