//! Memory tests in pairs (as DataFusion's): the same workload — a rows-to-columns rechunk
//! of a zarr array four times the memory budget, whose intermediate cannot stay in memory —
//! fails with the budget's error when spilling is off and succeeds when it is on. Both
//! assert the peak reservation against the budget; the spilling run also measures the real
//! peak resident memory of a child process.

mod common;

use common::vm_hwm_bytes;
use spillway::{Client, from_zarr, random};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

const CHILD_ENV: &str = "SPILLWAY_MEMORY_SPILL_CHILD";
const BUDGET: &str = "32MB";
const BUDGET_BYTES: u64 = 32_000_000;
/// What resident memory may exceed the budget by: the test harness, the binary, thread
/// stacks, allocator slack, zstd's contexts.
const OVERHEAD_BYTES: u64 = 64 << 20;
const ROWS: usize = 6000;
const COLS: usize = 2000;

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

/// Writes the 96 MB input (row chunks of 4 MB) under a roomy budget.
fn write_input(path: &Path) -> ndarray::Array1<f64> {
    let big = Client::builder()
        .threads_per_worker(2)
        .memory_limit("1GB")
        .build()
        .unwrap();
    let x = random::default_rng(5).random((ROWS, COLS), (250, COLS));
    x.to_zarr(path).unwrap();
    let want = x.sum_axis(0).compute().unwrap();
    big.close();
    want.into_dimensionality().unwrap()
}

/// The workload: column sums of the array rechunked into column chunks.
fn workload(
    path: &Path,
    spill: bool,
) -> spillway::Result<(ndarray::ArrayD<f64>, spillway::RunReport)> {
    let client = Client::builder()
        .threads_per_worker(2)
        .memory_limit(BUDGET)
        .spill(spill)
        .build()?;
    let x = from_zarr::<f64>(path);
    assert!(
        x.nbytes() >= 3 * BUDGET_BYTES,
        "the input is several budgets large"
    );
    let result = x.rechunk((ROWS, 250)).sum_axis(0).compute_with_report();
    client.close();
    result
}

#[test]
fn without_spilling_the_workload_fails_with_the_budget_error() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.zarr");
    write_input(&path);
    let err = workload(&path, false).unwrap_err().to_string();
    assert!(err.contains("memory budget exhausted"), "{err}");
    assert!(err.contains("raise the memory limit"), "{err}");
}

/// The child's side of the spilling run.
fn child_spilling_run(dir: &Path) {
    let path = dir.join("x.zarr");
    let want = write_input(&path);
    let (got, report) = workload(&path, true).unwrap();
    for (a, b) in got.iter().zip(want.iter()) {
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
    }
    assert!(report.peak_reserved_bytes <= BUDGET_BYTES, "{report}");
    assert_eq!(report.budget_bytes, BUDGET_BYTES);
    assert!(
        report.io.spilled_bytes > 0,
        "the intermediate had to spill: {report}"
    );
    assert!(
        report.io.reread_bytes > 0,
        "spilled chunks were read back: {report}"
    );
    println!(
        "CHILD peak_reserved={} spilled={} reread={} vmhwm={}",
        report.peak_reserved_bytes,
        report.io.spilled_bytes,
        report.io.reread_bytes,
        vm_hwm_bytes("self").unwrap_or(0)
    );
}

#[test]
fn with_spilling_the_workload_succeeds_within_the_budget() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child_spilling_run(Path::new(&dir));
        return;
    }
    let _serial = serial();
    if vm_hwm_bytes("self").is_none() {
        eprintln!("no /proc/self/status here; the child's peak memory cannot be read");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let child = common::run_child_test(
        "with_spilling_the_workload_succeeds_within_the_budget",
        (CHILD_ENV, dir.path().to_str().unwrap()),
        Duration::from_secs(300),
    );
    let peak = child.peak_bytes;
    println!(
        "96 MB rechunk under a 32 MB budget, spilling: peak RSS {:.1} MiB; {}",
        peak as f64 / 1048576.0,
        child.line
    );
    assert!(
        peak <= BUDGET_BYTES + OVERHEAD_BYTES,
        "peak RSS {peak} exceeds the budget {BUDGET_BYTES} + {OVERHEAD_BYTES}"
    );
}

/// Complex intermediates spill as their bytes and come back exact: the rechunk of a
/// complex128 array (twice the input's bytes) under the same budget.
#[test]
fn complex_intermediates_spill_and_come_back_exact() {
    use spillway::array::dynamic::AnyArray;
    use spillway::dtype::Complex128;
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.zarr");
    let want = write_input(&path);
    let client = Client::builder()
        .threads_per_worker(2)
        .memory_limit(BUDGET)
        .spill(true)
        .build()
        .unwrap();
    let x = AnyArray::from(from_zarr::<f64>(&path));
    let half = AnyArray::from(from_zarr::<f64>(&path).map(|v| -0.5 * v));
    let z = AnyArray::complex(&x, &half).typed::<Complex128>();
    let (got, report) = z
        .rechunk((ROWS, 250))
        .sum_axis(0)
        .compute_with_report()
        .unwrap();
    client.close();
    for (g, w) in got.iter().zip(want.iter()) {
        assert!((g.re - w).abs() <= 1e-9 * w.abs().max(1.0), "{g} vs {w}");
        assert!(
            (g.im + 0.5 * w).abs() <= 1e-9 * w.abs().max(1.0),
            "{g} vs {w}"
        );
    }
    assert!(report.peak_reserved_bytes <= BUDGET_BYTES, "{report}");
    assert!(report.io.spilled_bytes > 0, "{report}");
    assert!(report.io.reread_bytes > 0, "{report}");
}
