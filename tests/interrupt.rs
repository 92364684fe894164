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
    // 40 GB of random numbers in 20000 tasks: many seconds of work on any machine
    let x = spillway::random::default_rng(1).random((1_000_000, 5_000), (50, 5_000));
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
    // as Python's Ctrl-C does: interrupt until the computation has returned (a stage that
    // had not started at the first call sees a later one)
    while !runner.is_finished() {
        client.interrupt();
        std::thread::sleep(Duration::from_millis(20));
    }
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
