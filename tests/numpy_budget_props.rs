//! The NumPy surface under random memory budgets: for random shapes, chunkings and
//! budgets, a chain of indexing, shape, scan, stencil and reduction ops either is refused
//! before it runs (a typed plan or memory error naming the budget) or runs within the
//! budget and gives the same bits as with a roomy one.

mod common;

use common::chunking;
use proptest::prelude::*;
use spillway::array::user::overlap::Boundary;
use spillway::{Array, Client, Error, concatenate, random, s};
use std::sync::{Mutex, MutexGuard};

/// Outcomes seen, to show the property exercised both branches.
static RAN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static REFUSED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

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

/// The pipelines: each returns an array to compute.
fn pipelines(x: &Array<f64>) -> Vec<(&'static str, Array<f64>)> {
    vec![
        ("slice", x.index(s![..;2, ..;-1])),
        ("flip-roll", x.flip(0).roll(3, 1)),
        ("reshape", x.reshape(&[-1])),
        ("concatenate", concatenate([x, &(x * 2.0)], 0)),
        ("take", x.take(&[0, -1, 0], 1)),
        ("cumsum", x.cumsum(0)),
        (
            "map_overlap",
            x.map_overlap(&[1, 1], Boundary::Nearest, |b| b.to_owned()),
        ),
        ("transpose-sum", (x + &x.flip(1)).sum_axis(1)),
    ]
}

fn run(
    array: &Array<f64>,
    limit: u64,
) -> spillway::Result<(ndarray::ArrayD<f64>, spillway::RunReport)> {
    let client = Client::builder()
        .threads_per_worker(2)
        .memory_limit(limit)
        .build()?;
    let result = array.compute_with_report();
    client.close();
    result
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn any_budget_refuses_up_front_or_gives_the_same_bits_within_it(
        (shape, chunks) in (1usize..120, 2usize..40).prop_flat_map(|(r, c)| {
            let shape = vec![r, c];
            (Just(shape.clone()), chunking(&shape))
        }),
        limit in 4_096u64..262_144,
    ) {
        let _serial = serial();
        let x = random::default_rng(9).random(shape.clone(), chunks);
        for (name, array) in pipelines(&x) {
            let (want, _) = run(&array, 1 << 30).unwrap();
            match run(&array, limit) {
                Ok((got, report)) => {
                    RAN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    prop_assert_eq!(&got, &want, "{} under {} bytes", name, limit);
                    prop_assert!(report.peak_reserved_bytes <= limit, "{}: {}", name, report);
                }
                Err(Error::Plan(e)) => {
                    REFUSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let text = e.to_string();
                    prop_assert!(text.contains("budget") || text.contains("memory"), "{}: {}", name, text);
                }
                Err(Error::Memory(e)) => {
                    prop_assert!(e.to_string().contains("memory budget exhausted"), "{}: {}", name, e);
                }
                Err(other) => prop_assert!(false, "{}: unexpected error {}", name, other),
            }
        }
    }
}

#[test]
fn summed_pipelines_of_4_mb_run_within_a_1_mb_budget() {
    let _serial = serial();
    // 4 MB of data through every pipeline, summed, under a 1 MB budget: streams, no refusal
    let x = random::default_rng(9).random((1000, 500), (100, 50));
    for (name, array) in pipelines(&x) {
        let array = array.sum();
        let (want, _) = run(&array, 1 << 30).unwrap();
        let (got, report) = run(&array, 1 << 20).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, want, "{name}");
        assert!(report.peak_reserved_bytes <= 1 << 20, "{name}: {report}");
    }
    eprintln!(
        "random budgets so far: {} runs within budget, {} refused up front",
        RAN.load(std::sync::atomic::Ordering::Relaxed),
        REFUSED.load(std::sync::atomic::Ordering::Relaxed)
    );
}
