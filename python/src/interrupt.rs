//! Running a computation from Python: on its own thread, with the GIL released, while
//! the calling thread waits in short slices and checks for Ctrl-C. On `KeyboardInterrupt`
//! the client is interrupted, the computation's tasks stop, its memory and spill files
//! are released, and only then does the exception reach Python, so the client stays
//! usable. A panic in the engine comes back as a `RuntimeError`, never a
//! `PanicException`.

use crate::errors::to_pyerr;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::Duration;

/// How often the waiting thread looks for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(20);

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Runs `f` with the GIL released; Ctrl-C interrupts it (see the module doc).
pub fn run_interruptible<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> spillway::Result<T> + Send + 'static,
{
    let client = spillway::Client::current();
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("spillway-compute".into())
        .spawn(move || {
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(f));
            let _ = tx.send(outcome);
        })
        .map_err(|e| {
            PyRuntimeError::new_err(format!("cannot start the computation thread: {e}"))
        })?;
    // a Mutex makes the receiver shareable with the detached (GIL-free) closure
    let rx = std::sync::Mutex::new(rx);
    let wait = |py: Python<'_>| {
        py.detach(|| {
            rx.lock()
                .unwrap_or_else(|e| e.into_inner())
                .recv_timeout(SIGNAL_POLL)
        })
    };
    loop {
        match wait(py) {
            Ok(Ok(result)) => return result.map_err(to_pyerr),
            Ok(Err(payload)) => {
                return Err(PyRuntimeError::new_err(format!(
                    "spillway stopped on an internal error (a bug; please report it): {}",
                    panic_text(payload)
                )));
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Err(signal) = py.check_signals() {
                    // stop the tasks, then wait until they have released their memory
                    client.interrupt();
                    while let Err(RecvTimeoutError::Timeout) = wait(py) {
                        client.interrupt();
                    }
                    return Err(signal);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err(
                    "the computation thread ended without a result",
                ));
            }
        }
    }
}
