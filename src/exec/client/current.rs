//! The current-client slot: [`Client::current`] is the most recently built client, closed
//! or not, else (where no client was ever built) a process-wide default made on first use.
//!
//! A budget the user set is never escaped without the user saying so: closing the current
//! client leaves it current, so computations that name no client fail with
//! [`RuntimeError::Closed`](super::RuntimeError::Closed) until another client is built,
//! instead of running under a default budget.

use super::builder::ClientBuilder;
use super::limit::{FALLBACK_MEMORY, machine_share};
use super::{Client, ClientInner};
use crate::memory::MemoryBudget;
use crate::util::machine::available_cores;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The most recently built client (strongly held, closed or not, until another is built).
static CURRENT: Mutex<Option<Client>> = Mutex::new(None);
/// The process-wide default client, made on first use where no client was ever built.
static DEFAULT: Mutex<Option<Client>> = Mutex::new(None);

/// Locks a global slot, recovering from poisoning (the slot holds no
/// invariant a panic could break).
fn lock_slot(slot: &'static Mutex<Option<Client>>) -> MutexGuard<'static, Option<Client>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Makes `client` the current client.
pub(super) fn make_current(client: &Client) {
    let previous = lock_slot(&CURRENT).replace(client.clone());
    // Drop the replaced handle outside the lock.
    drop(previous);
}

impl Client {
    /// The client computations use when none is given: the most recently built client
    /// (by [`ClientBuilder::build`] or [`Client::default_for_machine`]), **even once it is
    /// closed**; only where no client was ever built in this process, a process-wide
    /// default ([`Client::default_for_machine`]'s settings: all cores, half the machine's
    /// memory) made on first use.
    ///
    /// So a budget you set is never escaped without your saying so: after
    /// [`close`](Self::close), computations that name no client fail with
    /// [`RuntimeError::Closed`](super::RuntimeError::Closed) until you build another
    /// client; a computation racing `close` either runs under the closed client's budget
    /// or fails with `Closed`. A client built with
    /// [`set_as_current(false)`](ClientBuilder::set_as_current) never becomes current.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::{Client, Error, RuntimeError};
    ///
    /// let client = Client::builder().n_workers(1).threads_per_worker(1).build()?;
    /// assert!(Client::current().same_client(&client));
    /// client.close();
    /// // still current: computations fail instead of running under another budget
    /// assert!(Client::current().same_client(&client));
    /// let err = spillway::ones::<f64>([4], 2).compute().unwrap_err();
    /// assert!(matches!(err, Error::Runtime(RuntimeError::Closed)));
    /// let next = Client::builder().n_workers(1).threads_per_worker(1).build()?;
    /// assert_eq!(spillway::ones::<f64>([4], 2).sum().compute_scalar()?, 4.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn current() -> Client {
        if let Some(c) = lock_slot(&CURRENT).as_ref() {
            return c.clone();
        }
        let mut default = lock_slot(&DEFAULT);
        match default.as_ref() {
            Some(c) => c.clone(),
            None => {
                let fresh = Client::machine_builder()
                    .build_detached()
                    .unwrap_or_else(|_| Client::minimal());
                *default = Some(fresh.clone());
                fresh
            }
        }
    }

    /// Settings for one worker with all cores and half the machine's memory.
    fn machine_builder() -> ClientBuilder {
        if let Some((nthreads, limit)) = crate::exec::distributed::client_defaults() {
            return Client::builder()
                .n_workers(1)
                .threads_per_worker(nthreads)
                .memory_limit(limit);
        }
        Client::builder()
            .n_workers(1)
            .threads_per_worker(available_cores())
            .memory_limit(machine_share())
    }

    /// A last-resort client for when even the machine default cannot start
    /// (the OS refused threads): one worker, one thread.
    fn minimal() -> Client {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .thread_name(|_| "spillway-worker-0-0".to_string())
            .build()
            .or_else(|_| rayon::ThreadPoolBuilder::new().num_threads(1).build());
        let pool = match pool {
            Ok(pool) => pool,
            // Without a single thread nothing can run; this is not user input.
            Err(e) => panic!("spillway cannot start even one worker thread: {e}"),
        };
        Client {
            inner: Arc::new(ClientInner {
                n_workers: 1,
                threads_per_worker: 1,
                memory_limit_per_worker: FALLBACK_MEMORY,
                memory_limit_text: None,
                budget: MemoryBudget::new(FALLBACK_MEMORY),
                pool,
                closed: AtomicBool::new(false),
                interrupts: std::sync::atomic::AtomicU64::new(0),
                monitors: std::sync::RwLock::new(Vec::new()),
                page: Mutex::new(None),
                spill: Default::default(),
                gate: Default::default(),
                admission_timeout: super::builder::DEFAULT_ADMISSION_TIMEOUT,
            }),
        }
    }

    /// One worker with all cores ([`available_cores`]) and a memory limit of
    /// half of [`total_memory_bytes`](crate::util::machine::total_memory_bytes) (1 GiB when unknown). Like every built
    /// client it becomes [`Client::current`].
    ///
    /// Should the OS refuse that many threads, this falls back to a single
    /// thread with a 1 GiB limit.
    ///
    /// # Panics
    ///
    /// Only when not even one thread can be started.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::default_for_machine();
    /// assert_eq!(client.n_workers(), 1);
    /// assert!(client.total_memory() > 0);
    /// ```
    pub fn default_for_machine() -> Client {
        Client::machine_builder().build().unwrap_or_else(|_| {
            let client = Client::minimal();
            make_current(&client);
            client
        })
    }
}

#[cfg(test)]
mod tests {
    // What `Client::current` returns is tested in tests/client_current.rs (a process of
    // its own): a closed current client would fail the computations of other unit tests.
    use super::*;
    use crate::exec::client::ClientStatus;

    fn detached() -> Client {
        Client::builder()
            .n_workers(1)
            .threads_per_worker(1)
            .memory_limit("64MB")
            .set_as_current(false)
            .build()
            .unwrap()
    }

    #[test]
    fn machine_builder_uses_all_cores_and_half_memory() {
        let client = Client::machine_builder().build_detached().unwrap();
        assert_eq!(client.n_workers(), 1);
        assert_eq!(client.threads_per_worker(), available_cores());
        assert_eq!(client.total_memory(), machine_share());
        client.close();
        assert_eq!(client.status(), ClientStatus::Closed);
    }

    #[test]
    fn close_from_inside_a_worker_does_not_deadlock() {
        let client = detached();
        let inside = client.clone();
        client.pool().install(move || {
            inside.close();
            assert!(inside.is_closed());
        });
        assert!(client.is_closed());
        // Dropping the last handle on a pool thread is fine too.
        let last = detached();
        let handle = last.clone();
        last.close();
        drop(last);
        let (tx, rx) = std::sync::mpsc::channel();
        handle.pool().spawn(move || {
            let _ = tx.send(());
        });
        rx.recv().unwrap();
        drop(handle);
    }

    #[test]
    fn a_detached_client_is_not_current() {
        let client = detached();
        assert!(!Client::current().same_client(&client));
        client.close();
    }
}
