//! `Client::interrupt`: a running computation stops with `RuntimeError::Interrupted`,
//! releases its memory, and the client runs the next computation.

use spillway::{Client, Error, RuntimeError};
use std::time::{Duration, Instant};

#[test]
fn interrupt_stops_a_running_computation_and_frees_its_memory() {
    let client = Client::builder()
        .n_workers(1)
        .threads_per_worker(2)
        .memory_limit("64MB")
        .build()
        .unwrap();
    // thousands of small tasks: seconds of work
    let x = spillway::random::default_rng(1).random((40_000, 4_000), (100, 4_000));
    let expr = (&x * 2.0).sum();
    let runner = {
        let client = client.clone();
        std::thread::spawn(move || {
            let t = Instant::now();
            (expr.compute_on(&client), t.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    client.interrupt();
    let (result, _) = runner.join().unwrap();
    let stopped_after = sent.elapsed();
    match result {
        Err(Error::Runtime(RuntimeError::Interrupted)) => {}
        other => panic!("expected Interrupted, got {other:?}"),
    }
    assert!(stopped_after < Duration::from_secs(2), "{stopped_after:?}");
    assert_eq!(client.budget().reserved(), 0);
    // the client runs the next computation
    let total = spillway::arange(0i64, 10, 1, 3)
        .sum()
        .compute_on(&client)
        .unwrap();
    assert_eq!(total.sum(), 45);
}
