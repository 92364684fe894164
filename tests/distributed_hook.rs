//! The distributed-execution hook without MPI: once a hook is registered in
//! `spillway::exec::distributed`, every computation, every store made once and every new
//! client's defaults go through it; before, everything runs in this process. (One test:
//! the slot is process-wide.)

use spillway::exec::distributed::{Distributed, register, registered};
use spillway::exec::error::Result;
use spillway::exec::executor::{run_validated, validate};
use spillway::exec::report::RunReport;
use spillway::exec::stage::Stage;
use spillway::{Client, MemoryLimit, random};
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

static RUNS: AtomicUsize = AtomicUsize::new(0);
static MEETINGS: AtomicUsize = AtomicUsize::new(0);

/// One process that plays every rank: runs stages here, counting what it is asked.
struct Alone;

impl Distributed for Alone {
    fn run_stages(&self, stages: &[Box<dyn Stage>], client: &Client) -> Result<RunReport> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        validate(stages, client.budget())?;
        let stages: Vec<&dyn Stage> = stages.iter().map(|s| s.as_ref()).collect();
        run_validated(&stages, client)
    }
    fn is_maker(&self) -> bool {
        true
    }
    fn meet(&self, _what: &str, mine: &Result<()>) -> Result<()> {
        MEETINGS.fetch_add(1, Ordering::SeqCst);
        mine.clone()
    }
    fn scratch_path(&self, label: &str) -> PathBuf {
        std::env::temp_dir().join(format!("spillway-hook-test-{label}.zarr"))
    }
    fn client_defaults(&self) -> (usize, MemoryLimit) {
        (1, MemoryLimit::from("300MB"))
    }
    fn write_summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  hook: one process plays every rank")
    }
}

fn pi() -> f64 {
    let xy = random::default_rng(3).uniform(0.0, 1.0, (200_000, 2), 10_000);
    let inside = xy.powi(2).sum_axis(1).lt(1.0);
    let pi = 4.0 * inside.sum().astype::<f64>() / inside.size() as f64;
    pi.compute_scalar().unwrap()
}

#[test]
fn a_registered_hook_takes_every_computation() {
    assert!(registered().is_none());
    let alone = pi();
    assert_eq!(RUNS.load(Ordering::SeqCst), 0);

    assert!(register(Box::new(Alone)).is_ok());
    assert!(register(Box::new(Alone)).is_err(), "one slot");
    assert_eq!(pi().to_bits(), alone.to_bits());
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);

    // new clients take the hook's settings and show its lines
    let client = Client::builder().build().unwrap();
    assert_eq!(client.threads_per_worker(), 1);
    assert_eq!(client.memory_limit_per_worker(), 300_000_000);
    assert!(
        client
            .to_string()
            .contains("hook: one process plays every rank")
    );

    // to_zarr makes its store once (two meetings) and marks it complete on one process
    // (one more)
    let dir = tempfile::tempdir().unwrap();
    let x = random::default_rng(5).uniform(0.0, 1.0, (64, 64), 16);
    let report = x.to_zarr(dir.path().join("x.zarr")).unwrap();
    assert_eq!(report.chunks_written, 16);
    assert_eq!(MEETINGS.load(Ordering::SeqCst), 3);
    let back = spillway::from_zarr::<f64>(dir.path().join("x.zarr"))
        .compute()
        .unwrap();
    assert_eq!(back, x.compute().unwrap());
}
