//! Where no client was ever built, computations run on a process-wide default client:
//! one worker with all cores and half the machine's memory. (No test of this file may
//! build a client.)

use spillway::Client;
use spillway::util::machine::available_cores;

#[test]
fn without_a_built_client_the_default_runs_the_computation() {
    let x = spillway::ones::<f64>([1000], 100);
    assert_eq!(x.sum().compute_scalar().unwrap(), 1000.0);
    let default = Client::current();
    assert!(!default.is_closed());
    assert_eq!(default.n_workers(), 1);
    assert_eq!(default.threads_per_worker(), available_cores());
    assert!(Client::current().same_client(&default), "made once");
}
