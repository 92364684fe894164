//! Admission of whole computations to a client's budget: one computation starts once the
//! memory its plan needs at its peak fits beside what the computations already running
//! were admitted with, in the order they arrived (first come, first served), or fails
//! after the client's [admission timeout](crate::ClientBuilder::admission_timeout).
//!
//! Plan validation checks a plan against the whole budget (its own needs only); the gate
//! is what makes concurrent computations on one client wait for one another instead of
//! failing. What a computation reserves while it runs stays within what it was admitted
//! with, except for extra workers' transient working sets, which end with their stage, so
//! an admitted computation waits for memory only while other stages finish, never for
//! memory held by a computation that itself waits.

use super::client::RuntimeError;
use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Computations admitted to one client's budget and those waiting for their turn.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    state: Mutex<GateState>,
    turn: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    /// Bytes the running computations were admitted with.
    admitted: u64,
    /// Computations running.
    running: usize,
    /// The next ticket handed out.
    next_ticket: u64,
    /// Waiting tickets, in arrival order: only the front one may start.
    waiting: VecDeque<u64>,
}

/// A computation's place in the budget; dropping it lets the next one in.
#[derive(Debug)]
pub(crate) struct Admitted<'a> {
    gate: &'a Gate,
    bytes: u64,
}

impl Gate {
    fn lock(&self) -> MutexGuard<'_, GateState> {
        // nothing panics under the lock; a poisoned lock still holds consistent counts
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until a computation needing `bytes` at its peak may start under `limit`:
    /// when no computation is waiting before it and its bytes fit beside those admitted
    /// (or nothing runs). Fails with [`RuntimeError::AdmissionTimeout`] after `timeout`.
    pub(crate) fn admit(
        &self,
        bytes: u64,
        limit: u64,
        timeout: Duration,
    ) -> Result<Admitted<'_>, RuntimeError> {
        let started = Instant::now();
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.waiting.push_back(ticket);
        loop {
            let first = state.waiting.front() == Some(&ticket);
            let fits = state.running == 0
                || state
                    .admitted
                    .checked_add(bytes)
                    .is_some_and(|total| total <= limit);
            if first && fits {
                state.waiting.pop_front();
                state.admitted = state.admitted.saturating_add(bytes);
                state.running += 1;
                drop(state);
                // the next in line may fit too
                self.turn.notify_all();
                return Ok(Admitted { gate: self, bytes });
            }
            let waited = started.elapsed();
            let Some(left) = timeout.checked_sub(waited).filter(|l| !l.is_zero()) else {
                state.waiting.retain(|&t| t != ticket);
                let error = RuntimeError::AdmissionTimeout {
                    needed: bytes,
                    budget: limit,
                    admitted: state.admitted,
                    running: state.running,
                    waited_seconds: waited.as_secs(),
                };
                drop(state);
                self.turn.notify_all();
                return Err(error);
            };
            state = self
                .turn
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Bytes the running computations were admitted with.
    #[cfg(test)]
    pub(crate) fn admitted(&self) -> u64 {
        self.lock().admitted
    }
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        {
            let mut state = self.gate.lock();
            state.admitted = state.admitted.saturating_sub(self.bytes);
            state.running -= 1;
        }
        self.gate.turn.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const LONG: Duration = Duration::from_secs(60);

    #[test]
    fn admits_what_fits_and_queues_the_rest_in_order() {
        let gate = Arc::new(Gate::default());
        let first = gate.admit(60, 100, LONG).unwrap();
        assert_eq!(gate.admitted(), 60);
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut handles = Vec::new();
        // 70 does not fit beside 60; 40 not beside 70; 20 would fit beside 70 but must
        // not pass 40, which came first
        for (i, bytes) in [(0, 70u64), (1, 40), (2, 20)] {
            let (mine, order) = (gate.clone(), order.clone());
            handles.push(std::thread::spawn(move || {
                let held = mine.admit(bytes, 100, LONG).unwrap();
                order.lock().unwrap().push(i);
                std::thread::sleep(Duration::from_millis(20));
                // who was admitted while this one held its place
                let seen = order.lock().unwrap().clone();
                drop(held);
                seen
            }));
            // arrive in index order
            while gate.lock().waiting.len() < i + 1 {
                std::thread::yield_now();
            }
        }
        std::thread::sleep(Duration::from_millis(50));
        assert!(order.lock().unwrap().is_empty());
        drop(first);
        let seen: Vec<Vec<usize>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(seen[0], vec![0], "nothing passed 40 while 70 ran");
        assert_eq!(order.lock().unwrap()[0], 0);
        assert_eq!(gate.admitted(), 0);
    }

    #[test]
    fn a_computation_larger_than_the_rest_runs_alone() {
        let gate = Gate::default();
        // validation refuses plans over the limit; the gate only orders them
        let alone = gate.admit(150, 100, LONG).unwrap();
        drop(alone);
        assert_eq!(gate.admitted(), 0);
    }

    #[test]
    fn waiting_too_long_is_a_clear_error_and_leaves_the_queue() {
        let gate = Gate::default();
        let held = gate.admit(80, 100, LONG).unwrap();
        let err = gate.admit(30, 100, Duration::from_millis(30)).unwrap_err();
        assert!(
            matches!(
                err,
                RuntimeError::AdmissionTimeout {
                    needed: 30,
                    budget: 100,
                    admitted: 80,
                    running: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("admission_timeout"), "{err}");
        assert!(gate.lock().waiting.is_empty());
        drop(held);
        drop(gate.admit(30, 100, Duration::ZERO).unwrap());
    }
}
