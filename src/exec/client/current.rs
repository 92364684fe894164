//! The current-client slot: [`Client::current`] is the most recently built client that is
//! still open, else a process-wide default made on first use.

use super::builder::ClientBuilder;
use super::limit::{FALLBACK_MEMORY, machine_share};
use super::{Client, ClientInner};
use crate::memory::MemoryBudget;
use crate::util::machine::available_cores;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The most recently built client (strongly held until it is closed).
static CURRENT: Mutex<Option<Client>> = Mutex::new(None);
/// The lazily created process-wide default client.
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

/// Empties the current slot if it holds `client` (on close).
pub(super) fn forget(client: &Client) {
    let removed = {
        let mut current = lock_slot(&CURRENT);
        if current.as_ref().is_some_and(|c| c.same_client(client)) {
            current.take()
        } else {
            None
        }
    };
    // Dropped after the lock is released, so no Drop runs under it.
    drop(removed);
}

impl Client {
    /// The client computations use when none is given: the most recently
    /// built client, unless it has been closed; otherwise a process-wide
    /// default ([`Client::default_for_machine`]'s settings) created on first
    /// use. Closing the current client does not bring back an earlier one.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(1).threads_per_worker(1).build()?;
    /// assert!(Client::current().same_client(&client));
    /// client.close();
    /// assert!(!Client::current().same_client(&client));
    /// assert!(!Client::current().is_closed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn current() -> Client {
        {
            let mut current = lock_slot(&CURRENT);
            match current.as_ref() {
                Some(c) if !c.is_closed() => return c.clone(),
                Some(_) => {
                    // Closed: forget it, dropping the handle after unlocking.
                    let stale = current.take();
                    drop(current);
                    drop(stale);
                }
                None => {}
            }
        }
        let mut default = lock_slot(&DEFAULT);
        match default.as_ref() {
            Some(c) if !c.is_closed() => c.clone(),
            _ => {
                let fresh = Client::machine_builder()
                    .build_detached()
                    .unwrap_or_else(|_| Client::minimal());
                let stale = default.replace(fresh.clone());
                drop(default);
                drop(stale);
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
    use super::*;
    use crate::exec::client::{ClientStatus, client_test_guard};

    fn serial() -> MutexGuard<'static, ()> {
        client_test_guard()
    }

    fn dask_like() -> Client {
        crate::exec::client::dask_like_client()
    }

    #[test]
    fn failed_build_keeps_current() {
        let _g = serial();
        let client = dask_like();
        assert!(Client::builder().n_workers(0).build().is_err());
        assert!(Client::current().same_client(&client));
        client.close();
    }

    #[test]
    fn default_for_machine_uses_all_cores_and_half_memory() {
        let _g = serial();
        let client = Client::default_for_machine();
        assert_eq!(client.n_workers(), 1);
        assert_eq!(client.threads_per_worker(), available_cores());
        assert_eq!(client.total_memory(), machine_share());
        assert!(Client::current().same_client(&client));
        client.close();
    }

    #[test]
    fn close_and_current() {
        let _g = serial();
        let first = dask_like();
        assert!(Client::current().same_client(&first));
        let second = Client::builder()
            .n_workers(1)
            .threads_per_worker(1)
            .memory_limit("64MB")
            .build()
            .unwrap();
        assert!(Client::current().same_client(&second));

        // Closing a client that is not current leaves current alone.
        first.close();
        assert!(first.is_closed());
        assert_eq!(first.status(), ClientStatus::Closed);
        assert!(Client::current().same_client(&second));

        // Closing the current client falls back to the process default.
        second.close();
        second.close(); // idempotent
        let fallback = Client::current();
        assert!(!fallback.same_client(&first));
        assert!(!fallback.same_client(&second));
        assert!(!fallback.is_closed());
        assert_eq!(fallback.n_workers(), 1);
        assert_eq!(fallback.threads_per_worker(), available_cores());
        assert!(
            Client::current().same_client(&fallback),
            "default is reused"
        );

        // Closing the default makes a fresh one.
        fallback.close();
        let renewed = Client::current();
        assert!(!renewed.same_client(&fallback));
        assert!(!renewed.is_closed());

        // A new build takes over again.
        let third = dask_like();
        assert!(Client::current().same_client(&third));
        third.close();
    }

    #[test]
    fn close_from_inside_a_worker_does_not_deadlock() {
        let _g = serial();
        let client = dask_like();
        let inside = client.clone();
        client.pool().install(move || {
            inside.close();
            assert!(!Client::current().same_client(&inside));
        });
        assert!(client.is_closed());
        // Dropping the last handle on a pool thread is fine too.
        let last = Client::builder()
            .n_workers(1)
            .threads_per_worker(1)
            .build()
            .unwrap();
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
    fn current_is_thread_safe() {
        let _g = serial();
        let client = dask_like();
        let handles: Vec<_> = (0..8)
            .map(|_| {
                std::thread::spawn(|| (0..200).filter(|_| !Client::current().is_closed()).count())
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), 200);
        }
        client.close();
    }
}
