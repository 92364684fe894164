//! `sort` and `argsort` out of core: the exact stable order against a comparison sort of
//! the same values, over sizes, chunkings, dtypes, budgets and thread counts; the peak
//! reservation within the budget; runs that spill; and the real peak memory of a child
//! process sorting 2 GB under a 64 MB budget.
//!
//! Building a client makes it the current one, so every test holds one lock.

mod common;

use common::vm_hwm_bytes;
use ndarray::Array1;
use proptest::prelude::*;
use spillway::{Array, Client, Element, from_ndarray};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn client(threads: usize, limit: u64) -> Client {
    Client::builder()
        .n_workers(1)
        .threads_per_worker(threads)
        .memory_limit(limit)
        .build()
        .unwrap()
}

/// NumPy's order, written independently of spillway's keys: NaN last, -0.0 == 0.0.
fn numpy_cmp_f64(a: &f64, b: &f64) -> std::cmp::Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
        _ => a.partial_cmp(b).unwrap(),
    }
}

/// The stable argsort and sorted values of `values` under `cmp`.
fn expected<T: Copy>(
    values: &[T],
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering,
) -> (Vec<i64>, Vec<T>) {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&i, &j| cmp(&values[i], &values[j])); // std's sort_by is stable
    (
        idx.iter().map(|&i| i as i64).collect(),
        idx.iter().map(|&i| values[i]).collect(),
    )
}

fn check_sorted<T: Element + std::fmt::Debug>(
    values: Vec<T>,
    chunk: usize,
    limit: u64,
    threads: usize,
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering,
    bits: impl Fn(T) -> u64,
) {
    let c = client(threads, limit);
    let (want_idx, want) = expected(&values, cmp);
    let x: Array<T> = from_ndarray(Array1::from(values.clone()), [chunk]);
    let (sorted, report) = x.sort().compute_with_report().unwrap();
    let (idx, idx_report) = x.argsort().compute_with_report().unwrap();
    c.close();
    let got: Vec<u64> = sorted.iter().map(|&v| bits(v)).collect();
    let want: Vec<u64> = want.iter().map(|&v| bits(v)).collect();
    assert_eq!(
        got,
        want,
        "sort of {} values in chunks of {chunk}",
        values.len()
    );
    assert_eq!(idx.iter().copied().collect::<Vec<i64>>(), want_idx);
    for r in [&report, &idx_report] {
        assert!(r.peak_reserved_bytes <= r.budget_bytes, "{r}");
        assert_eq!(r.budget_bytes, limit);
    }
}

fn float_values() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => (-5i32..5).prop_map(|v| v as f64 * 0.5),
        4 => any::<f64>(),
        1 => Just(f64::NAN),
        1 => Just(-0.0),
        1 => Just(0.0),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(f64::INFINITY),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn sort_and_argsort_of_floats_match_a_stable_sort(
        values in proptest::collection::vec(float_values(), 1..3000),
        chunk in 1usize..1200,
        limit in prop_oneof![Just(300_000u64), Just(2_000_000u64), Just(64_000_000u64)],
        threads in 1usize..4,
    ) {
        let _g = serial();
        check_sorted(values, chunk, limit, threads, numpy_cmp_f64, f64::to_bits);
    }

    #[test]
    fn sort_and_argsort_of_integers_match_a_stable_sort(
        values in proptest::collection::vec(-40i32..40, 1..3000),
        chunk in 1usize..1200,
        threads in 1usize..4,
    ) {
        let _g = serial();
        let wide: Vec<i64> = values.iter().map(|&v| v as i64 * 1_000_000_007).collect();
        let small: Vec<u8> = values.iter().map(|&v| v as u8).collect();
        let unsigned: Vec<u32> = values.iter().map(|&v| v as u32).collect();
        check_sorted(values.clone(), chunk, 400_000, threads, i32::cmp, |v| v as u32 as u64);
        check_sorted(wide, chunk, 400_000, threads, i64::cmp, |v| v as u64);
        check_sorted(small, chunk, 400_000, threads, u8::cmp, |v| v as u64);
        check_sorted(unsigned, chunk, 400_000, threads, u32::cmp, |v| v as u64);
        let tiny: Vec<i8> = values.iter().map(|&v| (v * 4) as i8).collect();
        let short: Vec<i16> = values.iter().map(|&v| (v * 1000) as i16).collect();
        let ushort: Vec<u16> = values.iter().map(|&v| (v * 1000) as u16).collect();
        check_sorted(tiny, chunk, 400_000, threads, i8::cmp, |v| v as u8 as u64);
        check_sorted(short, chunk, 400_000, threads, i16::cmp, |v| v as u16 as u64);
        check_sorted(ushort, chunk, 400_000, threads, u16::cmp, |v| v as u64);
    }
}

#[test]
fn float32_and_bool_sort_like_numpy() {
    let _g = serial();
    let f: Vec<f32> = vec![2.5, f32::NAN, -0.0, 0.0, -7.0, f32::INFINITY, 1.0];
    check_sorted(
        f,
        3,
        1_000_000,
        2,
        |a: &f32, b: &f32| numpy_cmp_f64(&(*a as f64), &(*b as f64)),
        |v| v.to_bits() as u64,
    );
    let b = vec![true, false, true, false, false];
    check_sorted(b, 2, 1_000_000, 2, bool::cmp, |v| v as u64);
}

#[test]
fn a_sort_larger_than_its_budget_spills_its_runs_and_reads_them_back() {
    let _g = serial();
    // 4 MB of float64 under a 6 MB budget that also holds the 4 MB result: the runs
    // cannot all stay in memory
    let c = client(2, 6_000_000);
    let x = spillway::random::default_rng(7).normal(0.0, 1.0, 500_000, 40_000);
    let (sorted, report) = x.sort().compute_with_report().unwrap();
    let direct = x.compute().unwrap();
    c.close();
    let (_, want) = expected(direct.as_slice().unwrap(), numpy_cmp_f64);
    assert_eq!(sorted.as_slice().unwrap(), &want[..]);
    assert!(
        report.peak_reserved_bytes <= report.budget_bytes,
        "{report}"
    );
    assert!(report.io.spilled_bytes >= 2_000_000, "{report}");
    assert!(report.io.reread_bytes > 0, "{report}");
}

#[test]
fn the_sorted_values_do_not_depend_on_chunks_threads_or_budget() {
    let _g = serial();
    let mut answers = Vec::new();
    for (chunk, threads, limit) in [
        (100_000, 1, 64_000_000),
        (7_777, 3, 600_000),
        (1, 2, 300_000),
    ] {
        let c = client(threads, limit);
        let x = spillway::random::default_rng(3)
            .integers(0, 50, 20_000, 20_000)
            .rechunk(chunk)
            .astype::<f64>();
        answers.push((
            x.sort().compute_vec().unwrap(),
            x.argsort().compute_vec().unwrap(),
        ));
        c.close();
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn a_sorted_array_reduces_and_slices_like_any_other() {
    let _g = serial();
    let c = client(2, 2_000_000);
    let x = spillway::arange(0i64, 10_000, 1, 999).map(|v: i64| (v * 7919) % 10_000);
    let sorted = x.sort();
    assert_eq!(
        sorted.sum().compute_scalar().unwrap(),
        (0..10_000i64).sum::<i64>()
    );
    let middle = sorted
        .index(spillway::s![4_000..4_010])
        .compute_vec()
        .unwrap();
    c.close();
    assert_eq!(middle, (4_000..4_010).collect::<Vec<i64>>());
}

// ---------------------------------------------------------------------------------------
// the real peak memory of a process sorting 2 GB under a 64 MB budget

const CHILD_ENV: &str = "SPILLWAY_SORT_CHILD";
const CHILD_TEST: &str = "real_peak_memory_of_a_2_gb_sort_stays_near_a_64_mb_budget";
/// What the budget may be exceeded by: the harness, the binary, thread stacks, allocator
/// slack.
const OVERHEAD_BYTES: u64 = 64 << 20;
const BUDGET_BYTES: u64 = 64_000_000;

fn child_sort() {
    let c = client(2, BUDGET_BYTES);
    let n = 250_000_000usize; // 2 GB of float64
    let x = spillway::random::default_rng(2026).random(n, 25_000_000);
    let sorted = x.sort();
    // one plan, one pass of runs: the sum of the sorted values (a full read), and the
    // decreases in 1M-element windows at the start, middle and end (0 when sorted);
    // the property tests check the exact order at smaller sizes
    let window = 1 << 20;
    let mut checks = vec![sorted.sum()];
    for start in [0, (n - window) / 2, n - window] {
        let part = sorted.index(spillway::s![start..start + window]);
        let steps = (part.index(spillway::s![1..]) - part.index(spillway::s![..-1])).lt(0.0);
        checks.push(steps.astype::<f64>().sum());
    }
    let (values, report) = spillway::compute_all_with_report(&checks).unwrap();
    let input_total = x.sum().compute_scalar().unwrap();
    c.close();
    let total = values[0].iter().next().copied().unwrap();
    assert!(
        ((total - input_total) / input_total).abs() < 1e-9,
        "{total} vs {input_total}"
    );
    assert!(values[1..].iter().all(|v| v.iter().all(|&d| d == 0.0)));
    assert!(report.io.spilled_bytes > 1_000_000_000, "{report}");
    assert!(
        report.peak_reserved_bytes <= report.budget_bytes,
        "{report}"
    );
    let own = vm_hwm_bytes("self").unwrap_or(0);
    println!(
        "CHILD peak_reserved={} spilled={} vmhwm={own}",
        report.peak_reserved_bytes, report.io.spilled_bytes
    );
}

#[test]
fn real_peak_memory_of_a_2_gb_sort_stays_near_a_64_mb_budget() {
    if std::env::var(CHILD_ENV).as_deref() == Ok("sort") {
        child_sort();
        return;
    }
    if vm_hwm_bytes("self").is_none() {
        eprintln!("no /proc/self/status here; the child's peak memory cannot be read");
        return;
    }
    let _g = serial();
    let child = common::run_child_test(CHILD_TEST, (CHILD_ENV, "sort"), Duration::from_secs(600));
    println!(
        "2 GB sort under a 64 MB budget: peak RSS {:.1} MiB, {:.1} s; {}",
        child.peak_bytes as f64 / 1048576.0,
        child.seconds,
        child.line
    );
    assert!(
        child.peak_bytes <= BUDGET_BYTES + OVERHEAD_BYTES,
        "peak RSS {} bytes exceeds the 64 MB budget plus {OVERHEAD_BYTES} bytes",
        child.peak_bytes
    );
}
