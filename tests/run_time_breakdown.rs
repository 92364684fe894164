//! The run report's time breakdown: a pass over a zarr store counts reading and decoding,
//! a write counts encoding and writing, a computation that touches no store counts
//! neither, and the parts never exceed the workers' busy time or their capacity.

use spillway::exec::report::{RunReport, TimeBreakdown};
use spillway::util::phase_clock::Phase;
use spillway::{Client, from_zarr, random};

fn client() -> Client {
    Client::builder()
        .n_workers(1)
        .threads_per_worker(2)
        .memory_limit("256MB")
        .build()
        .unwrap()
}

/// The stages' breakdowns add up to the run's, and no part exceeds the whole.
fn check_consistent(report: &RunReport) {
    let summed = report
        .stages
        .iter()
        .fold(TimeBreakdown::default(), |sum, s| sum.plus(&s.time));
    assert_eq!(summed.phases, report.time.phases);
    assert!((summed.busy_seconds - report.time.busy_seconds).abs() < 1e-9);
    let t = &report.time;
    assert!(t.busy_seconds > 0.0, "{t}");
    // phases happen inside tasks: within the busy time (a clock's rounding aside)
    assert!(
        t.phases.total().as_secs_f64() <= t.busy_seconds + 1e-6,
        "{t}"
    );
    assert!(t.busy_seconds <= t.capacity_seconds + 1e-3, "{t}");
    // capacity: at most the threads times the run's wall time
    assert!(t.capacity_seconds <= 2.0 * report.seconds + 1e-3, "{t}");
}

#[test]
fn a_pass_over_a_zarr_store_counts_reading_and_decoding() {
    let _client = client();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.zarr");
    let x = random::default_rng(7).random([600, 600], 150);
    let written = x.to_zarr(&path).unwrap();
    let w = &written.run.time;
    check_consistent(&written.run);
    assert!(w.seconds(Phase::Encode) > 0.0, "{w}");
    assert!(w.seconds(Phase::Write) > 0.0, "{w}");
    assert_eq!(w.seconds(Phase::Decode), 0.0, "{w}");

    let stored = from_zarr::<f64>(&path);
    let (sum, report) = (&stored + &stored.t()).sum().compute_with_report().unwrap();
    let expected: f64 = 2.0 * x.sum().compute().unwrap().first().unwrap();
    let sum: f64 = *sum.first().unwrap();
    assert!((sum - expected).abs() <= 1e-9 * expected.abs());
    check_consistent(&report);
    let t = &report.time;
    assert!(t.seconds(Phase::Read) > 0.0, "{t}");
    assert!(t.seconds(Phase::Decode) > 0.0, "{t}");
    assert_eq!(t.seconds(Phase::Encode), 0.0, "{t}");
    assert_eq!(t.seconds(Phase::Write), 0.0, "{t}");
}

#[test]
fn work_in_memory_counts_no_file_phase() {
    let _client = client();
    let x = random::default_rng(3).random([400, 400], 100);
    let (_, report) = (&x * 2.0).mean().compute_with_report().unwrap();
    check_consistent(&report);
    let t = &report.time;
    for phase in [Phase::Read, Phase::Decode, Phase::Encode, Phase::Write] {
        assert_eq!(t.seconds(phase), 0.0, "{t}");
    }
    assert!(t.compute_seconds() > 0.0, "{t}");
}
