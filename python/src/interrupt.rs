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
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError, channel};
use std::time::{Duration, Instant};

/// Threads that run computations for Python callers, kept between calls so a small
/// `compute()` does not pay for starting a thread.
mod drivers {
    use std::sync::Mutex;
    use std::sync::mpsc::{Sender, TryRecvError, channel};

    /// A computation to run.
    pub type Job = Box<dyn FnOnce() + Send>;

    /// Drivers waiting for a job.
    static IDLE: Mutex<Vec<Sender<Job>>> = Mutex::new(Vec::new());

    /// Runs `job` on an idle driver, or on a new one when all are busy.
    pub fn run(job: Job) -> std::io::Result<()> {
        let idle = IDLE.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let job = match idle {
            Some(driver) => match driver.send(job) {
                Ok(()) => return Ok(()),
                Err(returned) => returned.0,
            },
            None => job,
        };
        let (tx, rx) = channel::<Job>();
        std::thread::Builder::new()
            .name("spillway-compute".into())
            .spawn(move || {
                let mut next = Some(job);
                while let Some(job) = next.take() {
                    job();
                    IDLE.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(tx.clone());
                    // a caller computing in a loop sends the next job within the spin
                    next = match super::spin_recv(&rx) {
                        Ok(job) => Some(job),
                        Err(TryRecvError::Empty) => rx.recv().ok(),
                        Err(TryRecvError::Disconnected) => None,
                    };
                }
            })?;
        Ok(())
    }
}

/// How often the waiting thread looks for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(20);

/// How long a thread handing work to another polls for the answer before it sleeps. A
/// small `compute()` is answered within it, so neither the driver nor the caller pays
/// for being woken (two thread switches, most of a one-chunk computation's time); a
/// longer one costs this much more CPU time.
const SPIN: Duration = Duration::from_micros(60);

/// The next message on `rx` if one comes within [`SPIN`]; `Empty` when none did.
fn spin_recv<T>(rx: &Receiver<T>) -> Result<T, TryRecvError> {
    let started = Instant::now();
    loop {
        match rx.try_recv() {
            Err(TryRecvError::Empty) if started.elapsed() < SPIN => std::hint::spin_loop(),
            other => return other,
        }
    }
}

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
    drivers::run(Box::new(move || {
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(f));
        let _ = tx.send(outcome);
    }))
    .map_err(|e| PyRuntimeError::new_err(format!("cannot start the computation thread: {e}")))?;
    // a Mutex makes the receiver shareable with the detached (GIL-free) closure
    let rx = std::sync::Mutex::new(rx);
    let wait = |py: Python<'_>| {
        py.detach(|| {
            let rx = rx.lock().unwrap_or_else(|e| e.into_inner());
            match spin_recv(&rx) {
                Ok(outcome) => Ok(outcome),
                Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
                Err(TryRecvError::Empty) => rx.recv_timeout(SIGNAL_POLL),
            }
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
