//! Computations started at once on one client share its budget by waiting for one
//! another, not by failing: each result fits the budget alone but not all together.
//!
//! Every test builds its own client and computes on it with `compute_on`, so the tests
//! of this file may run side by side.

use spillway::random::default_rng;
use spillway::{Array, Client, Error, RuntimeError};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

/// A 4 MB result (1000 x 500 float64 in 100-row chunks) that differs per `i`.
fn workload(i: u64) -> Array<f64> {
    let x = default_rng(100 + i).random([1000, 500], [100, 500]);
    &(&x * 2.0) + (i as f64)
}

fn client(limit: &str) -> Client {
    Client::builder()
        .n_workers(1)
        .threads_per_worker(2)
        .memory_limit(limit)
        .set_as_current(false)
        .build()
        .unwrap()
}

/// Runs `n` workloads at once on a 10 MB client (each needs a little over 4 MB at its
/// peak: two fit together, three do not) and checks them against the same workloads
/// run one after another, bit for bit, with the reserved bytes sampled throughout.
fn all_at_once(n: u64) {
    let client = client("10MB");
    let limit = client.budget().limit();
    let sequential: Vec<_> = (0..n)
        .map(|i| workload(i).compute_on(&client).unwrap())
        .collect();

    let start = Arc::new(Barrier::new(n as usize));
    let done = Arc::new(AtomicBool::new(false));
    let most = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (budget, done, most) = (client.budget().clone(), done.clone(), most.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                most.fetch_max(budget.reserved(), Ordering::Relaxed);
                std::thread::yield_now();
            }
        })
    };
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (client, start) = (client.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                workload(i).compute_on(&client)
            })
        })
        .collect();
    let concurrent: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();

    for (i, (alone, together)) in sequential.iter().zip(concurrent).enumerate() {
        let together = together.unwrap_or_else(|e| panic!("computation {i} of {n}: {e}"));
        let same = alone
            .iter()
            .zip(together.iter())
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same && alone.shape() == together.shape(), "computation {i}");
    }
    let most = most.load(Ordering::Relaxed);
    assert!(most <= limit, "reserved {most} of {limit}");
    assert!(client.budget().peak_reserved() <= limit);
    assert_eq!(client.budget().reserved(), 0);
    client.close();
}

#[test]
fn three_computations_that_do_not_fit_together_all_succeed() {
    all_at_once(3);
}

#[test]
fn eight_computations_that_do_not_fit_together_all_succeed() {
    all_at_once(8);
}

#[test]
fn memory_another_computation_holds_is_waited_for() {
    let client = client("10MB");
    // another computation holds 8 MB for a while
    let mut other = client.budget().consumer("another computation").register();
    other.try_grow(8_000_000).unwrap();
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        drop(other);
    });
    let values = workload(0).compute_on(&client).unwrap();
    releaser.join().unwrap();
    assert_eq!(values, workload(0).compute_on(&client).unwrap());
    client.close();
}

#[test]
fn a_plan_larger_than_the_whole_budget_is_refused_at_once() {
    let client = client("3MB");
    let err = workload(0).compute_on(&client).unwrap_err();
    assert!(matches!(err, Error::Plan(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("0 B already held"), "{text}");
    client.close();
}

#[test]
fn waiting_past_the_admission_timeout_is_a_clear_error() {
    let client = Client::builder()
        .n_workers(1)
        .threads_per_worker(2)
        .memory_limit("10MB")
        .admission_timeout(Duration::from_millis(100))
        .set_as_current(false)
        .build()
        .unwrap();
    let blocker = {
        let client = client.clone();
        // a delayed task that holds the whole budget's turn while it sleeps
        std::thread::spawn(move || {
            let slow = spillway::delayed::delayed(|| {
                std::thread::sleep(Duration::from_millis(1500));
                1u8
            })
            .memory_bytes(9_000_000);
            slow.compute_on(&client)
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    let err = workload(0).compute_on(&client).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Runtime(RuntimeError::AdmissionTimeout { running: 1, .. })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("admission_timeout"), "{err}");
    assert_eq!(blocker.join().unwrap().unwrap(), 1);
    client.close();
}
