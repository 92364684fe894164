//! Memory is a contract: what a computation reserves never exceeds the client's budget,
//! and the process's real peak memory stays near the budget even for an array many
//! times larger than it.
//!
//! `compute_with_report` runs on the current client and building a client makes it the
//! current one, so every test of this file holds one lock.

mod common;

use common::vm_hwm_bytes;
use spillway::random::default_rng;
use spillway::{Client, Error, RunReport, compute_all, ones};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

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

fn client(threads: usize, limit: &str) -> Client {
    Client::builder()
        .n_workers(1)
        .threads_per_worker(threads)
        .memory_limit(limit)
        .build()
        .unwrap()
}

fn assert_within_budget(report: &RunReport, budget: u64) {
    assert_eq!(report.budget_bytes, budget, "{report}");
    assert!(report.peak_reserved_bytes > 0, "{report}");
    assert!(
        report.peak_reserved_bytes <= report.budget_bytes,
        "{report}"
    );
}

#[test]
fn a_streamed_reduction_reserves_less_than_its_budget() {
    let _g = serial();
    let c = client(2, "8MB");
    assert!(Client::current().same_client(&c));
    // 4_000_000 float64 = 32 MB of data, four times the budget, in 40 chunks
    let x = default_rng(11).uniform(-1.0, 1.0, (2_000_000, 2), 50_000);
    assert_eq!(x.nbytes(), 32_000_000);
    let (total, report) = x.powi(2).sum_axis(1).sum().compute_with_report().unwrap();
    c.close();
    assert_within_budget(&report, 8_000_000);
    assert!(report.tasks >= 40, "{report}");
    assert!(!report.stages.is_empty());
    assert_eq!(
        report.stages.iter().map(|s| s.tasks).sum::<usize>(),
        report.tasks
    );
    // E[x^2] = 1/3 for x uniform in [-1, 1): the sum of 4e6 squares is ~1.333e6
    let total = total.into_iter().next().unwrap();
    assert!((total / 4_000_000.0 - 1.0 / 3.0).abs() < 1e-3, "{total}");
}

#[test]
fn a_materialised_result_is_reserved_and_within_budget() {
    let _g = serial();
    let c = client(2, "16MB");
    // an 8 MB result: its buffer is part of the reservation
    let x = ones::<f64>([1000, 1000], [100, 250]);
    let (values, report) = (&x * 2.0).compute_with_report().unwrap();
    c.close();
    assert_within_budget(&report, 16_000_000);
    assert!(report.peak_reserved_bytes >= 8_000_000, "{report}");
    assert_eq!(values.len(), 1_000_000);
    assert!(values.iter().all(|&v| v == 2.0));
    assert_eq!(report.tasks, 40, "{report}");
}

#[test]
fn many_threads_share_a_small_budget() {
    let _g = serial();
    // 4 threads under 1 MB: fewer workers run at once, the sum is the same
    let small = client(4, "1MB");
    let x = default_rng(12).random([400, 500], [40, 50]);
    let (a, report) = x.sum_axis(0).compute_with_report().unwrap();
    small.close();
    assert_within_budget(&report, 1_000_000);
    let big = client(1, "256MB");
    let (b, report_big) = x.sum_axis(0).compute_with_report().unwrap();
    big.close();
    assert_within_budget(&report_big, 256_000_000);
    // the tree merge is fixed, so the thread count changes no bit
    assert_eq!(a, b);
}

#[test]
fn compute_on_honours_the_given_clients_budget() {
    let _g = serial();
    let tight = client(2, "2MB");
    let roomy = client(2, "64MB");
    // roomy is now current; compute_on(tight) must still use tight's budget
    let x = default_rng(13).random(2_000_000, 100_000);
    assert!(
        x.compute_on(&tight).is_err(),
        "a 16 MB result cannot fit 2 MB"
    );
    assert!(x.sum().compute_on(&tight).is_ok());
    assert_eq!(x.compute_on(&roomy).unwrap().len(), 2_000_000);
    // several results in one plan stay within the budget too
    let parts = compute_all(&[x.sum(), x.mean(), x.var(0.0)]).unwrap();
    assert_eq!(parts.len(), 3);
    let var = parts[2].iter().next().copied().unwrap();
    assert!((var - 1.0 / 12.0).abs() < 1e-3, "{var}");
    tight.close();
    roomy.close();
}

#[test]

fn a_plan_the_budget_accepts_runs_to_completion() {
    let _g = serial();
    // 8 row blocks of 1000 float64 reduced along axis 0: each partial is 8 kB, and the
    // budget is swept across the plan's threshold one kB at a time. Every budget must
    // either refuse the plan up front (Error::Plan) or run it to the end.
    let x = ones::<f64>([8, 1000], [1, 1000]);
    let y = default_rng(14).random([40, 1000], [5, 250]);
    let mut accepted = 0;
    for kb in 40..=120 {
        let c = client(1, &format!("{kb}kB"));
        let outcomes = [
            x.sum_axis(0)
                .compute_on(&c)
                .map(|v| assert!(v.iter().all(|&s| s == 8.0))),
            y.var_axis(0, 1.0)
                .compute_on(&c)
                .map(|v| assert_eq!(v.len(), 1000)),
        ];
        c.close();
        for (i, outcome) in outcomes.into_iter().enumerate() {
            match outcome {
                Ok(()) => accepted += 1,
                Err(Error::Plan(_)) => {}
                Err(e) => {
                    panic!("case {i} at {kb} kB: the plan was accepted but the run failed: {e}")
                }
            }
        }
    }
    // the sweep reaches budgets where both run
    assert!(accepted > 0);
}

#[test]
fn with_four_threads_waiting_partials_stay_within_the_reservation() {
    let _g = serial();
    // 64 row blocks merged along axis 0 by four threads finishing out of order: every
    // budget either refuses the plan or runs it; the merge tree's waiting partials are
    // checked against the stage's reservation (a debug assertion in the merge) and the
    // reported peak against the budget.
    let x = default_rng(15).random([64, 5000], [1, 5000]);
    // the same plan on one thread with room to spare; and ndarray to 1e-12 relative
    let roomy = client(1, "64MB");
    let want: Vec<f64> = x
        .sum_axis(0)
        .compute_on(&roomy)
        .unwrap()
        .iter()
        .copied()
        .collect();
    let reference = x.compute_on(&roomy).unwrap().sum_axis(ndarray::Axis(0));
    roomy.close();
    for (w, r) in want.iter().zip(reference.iter()) {
        assert!((w - r).abs() <= 1e-12 * r.abs());
    }
    let mut accepted = 0;
    for kb in (200..=700).step_by(25) {
        let c = client(4, &format!("{kb}kB"));
        match x.sum_axis(0).compute_on(&c) {
            Ok(v) => {
                accepted += 1;
                for (got, want) in v.iter().zip(&want) {
                    // same chunking and tree: bit-identical whatever the thread timing
                    assert_eq!(got, want);
                }
            }
            Err(Error::Plan(_)) => {}
            Err(e) => panic!("at {kb} kB the plan was accepted but the run failed: {e}"),
        }
        c.close();
    }
    assert!(accepted > 0);
}

// ---------------------------------------------------------------------------------------
// the real peak memory of a process computing an 800 MB pi under a 64 MB budget

const CHILD_ENV: &str = "SPILLWAY_CHILD";
const PI_TEST: &str = "real_peak_memory_of_an_800_mb_pi_stays_near_a_64_mb_budget";
/// What the budget may be exceeded by: the test harness, the binary, thread stacks,
/// allocator slack.
const OVERHEAD_BYTES: u64 = 64 << 20;
const BUDGET_BYTES: u64 = 64_000_000;

/// The child's side: compute the pi and report.
fn child_pi() {
    let c = client(2, "64MB");
    let xy = default_rng(2026).uniform(0.0, 1.0, (50_000_000, 2), 5_000_000);
    assert_eq!(xy.nbytes(), 800_000_000);
    let inside = xy.powi(2).sum_axis(1).lt(1.0);
    let (count, report) = inside.sum().compute_with_report().unwrap();
    c.close();
    let count = count.into_iter().next().unwrap();
    let pi = 4.0 * count as f64 / 50_000_000.0;
    // sd of the estimate is ~2.3e-4
    assert!((pi - std::f64::consts::PI).abs() < 2e-3, "{pi}");
    assert!(
        report.peak_reserved_bytes <= report.budget_bytes,
        "{report}"
    );
    assert_eq!(report.budget_bytes, BUDGET_BYTES);
    let own = vm_hwm_bytes("self").unwrap_or(0);
    println!(
        "CHILD pi={pi} peak_reserved={} vmhwm={own}",
        report.peak_reserved_bytes
    );
}

#[test]
fn real_peak_memory_of_an_800_mb_pi_stays_near_a_64_mb_budget() {
    if std::env::var(CHILD_ENV).as_deref() == Ok("pi") {
        child_pi();
        return;
    }
    if vm_hwm_bytes("self").is_none() {
        eprintln!("no /proc/self/status here; the child's peak memory cannot be read");
        return;
    }
    let child = common::run_child_test(PI_TEST, (CHILD_ENV, "pi"), Duration::from_secs(120));
    let peak = child.peak_bytes;
    println!(
        "800 MB pi under a 64 MB budget: peak RSS {:.1} MiB, {:.2} s; {}",
        peak as f64 / 1048576.0,
        child.seconds,
        child.line
    );
    assert!(
        peak <= BUDGET_BYTES + OVERHEAD_BYTES,
        "peak RSS {peak} bytes exceeds the 64 MB budget plus {OVERHEAD_BYTES} bytes of overhead"
    );
}
