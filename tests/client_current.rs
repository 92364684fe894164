//! Which client a computation that names none runs on: the most recently built one, even
//! once closed (then it fails with `Closed`), so a budget the user set is never escaped
//! without their saying so. (Where no client was ever built: tests/client_default.rs.)
//!
//! Building a client makes it the current one, so every test of this file holds one lock.

use spillway::util::machine::available_cores;
use spillway::{Client, ClientStatus, Error, RuntimeError, ones};
use std::sync::{Arc, Barrier, Mutex, MutexGuard};

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn client(limit: &str) -> Client {
    Client::builder()
        .n_workers(1)
        .threads_per_worker(2)
        .memory_limit(limit)
        .build()
        .unwrap()
}

fn is_closed_error(err: &Error) -> bool {
    matches!(err, Error::Runtime(RuntimeError::Closed))
}

#[test]
fn a_failed_build_keeps_the_current_client() {
    let _g = serial();
    let client = client("64MB");
    assert!(Client::builder().n_workers(0).build().is_err());
    assert!(Client::current().same_client(&client));
    client.close();
}

#[test]
fn default_for_machine_becomes_current() {
    let _g = serial();
    let client = Client::default_for_machine();
    assert_eq!(client.threads_per_worker(), available_cores());
    assert!(Client::current().same_client(&client));
    client.close();
}

#[test]
fn a_closed_current_client_stays_current_and_refuses_work() {
    let _g = serial();
    let first = client("64MB");
    let second = client("32MB");
    assert!(Client::current().same_client(&second));
    // closing a client that is not current leaves current alone
    first.close();
    assert_eq!(first.status(), ClientStatus::Closed);
    assert!(Client::current().same_client(&second));
    // closing the current one keeps it current: work fails instead of moving elsewhere
    second.close();
    second.close(); // idempotent
    assert!(Client::current().same_client(&second));
    let x = ones::<f64>([100], 10);
    assert!(is_closed_error(&x.sum().compute_scalar().unwrap_err()));
    assert!(is_closed_error(&x.compute().unwrap_err()));
    let err = spillway::delayed::delayed(|| 1u8).compute().unwrap_err();
    assert!(is_closed_error(&err), "{err:?}");
    assert!(err.to_string().contains("Client::builder()"), "{err}");
    // a new build is the user saying so
    let third = client("16MB");
    assert!(Client::current().same_client(&third));
    assert_eq!(x.sum().compute_scalar().unwrap(), 100.0);
    third.close();
}

#[test]
fn a_budget_the_user_set_cannot_be_escaped_by_closing() {
    let _g = serial();
    let client = client("1MB");
    // a 4 MB result does not fit the 1 MB the user set
    let big = ones::<f64>([500_000], 50_000);
    let err = big.compute().unwrap_err();
    assert!(matches!(err, Error::Plan(_)), "{err:?}");
    client.close();
    // before: it ran on a default client with half the machine's memory
    let err = big.compute().unwrap_err();
    assert!(is_closed_error(&err), "{err:?}");
}

#[test]
fn a_compute_racing_close_runs_under_that_budget_or_fails_closed() {
    let _g = serial();
    let (mut ran, mut refused) = (0, 0);
    for _ in 0..200 {
        let client = client("48MB");
        let limit = client.budget().limit();
        let start = Arc::new(Barrier::new(2));
        let computing = {
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                ones::<f64>([20_000], 1000).sum().compute_with_report()
            })
        };
        start.wait();
        client.close();
        match computing.join().unwrap() {
            Ok((sum, report)) => {
                assert_eq!(sum[[]], 20_000.0);
                assert_eq!(report.budget_bytes, limit, "ran under another budget");
                ran += 1;
            }
            Err(e) => {
                assert!(is_closed_error(&e), "{e:?}");
                refused += 1;
            }
        }
    }
    assert_eq!(ran + refused, 200);
}

#[test]
fn current_is_thread_safe() {
    let _g = serial();
    let client = client("64MB");
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || {
                (0..200)
                    .filter(|_| Client::current().same_client(&client))
                    .count()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 200);
    }
    client.close();
}
