//! [`ClientBuilder`]: a client's settings, checked and turned into a running client by
//! [`build`](ClientBuilder::build) (thread pool, budget, status page).

use super::current::make_current;
use super::hooks::{PageRequest, StatusPage};
use super::limit::MemoryLimit;
use super::{Client, ClientInner, RuntimeError};
use crate::memory::MemoryBudget;
use crate::util::machine::available_cores;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// Settings for a [`Client`]; unset values get machine-based defaults.
///
/// Defaults follow Dask's `LocalCluster`: with neither count set, one worker
/// with all cores; with one count set, the other divides the cores
/// ([`available_cores`]) by it (at least 1); the memory limit defaults to
/// [`MemoryLimit::Auto`].
///
/// # Example
///
/// ```
/// use spillway::Client;
///
/// let client = Client::builder().n_workers(2).threads_per_worker(2).memory_limit("1GB").build()?;
/// assert_eq!(client.memory_limit_per_worker(), 1_000_000_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientBuilder {
    n_workers: Option<usize>,
    threads_per_worker: Option<usize>,
    memory_limit: Option<MemoryLimit>,
    /// The status page to start once built (observe's dashboard).
    status_page: Option<PageRequest>,
    spill: crate::exec::spill_settings::SpillSettings,
    spill_quota_text: Option<String>,
}

impl ClientBuilder {
    /// Whether intermediates that do not fit in memory spill to disk (default true).
    ///
    /// ```
    /// let client = spillway::Client::builder().spill(false).build().unwrap();
    /// assert!(!client.spill_settings().enabled);
    /// client.close();
    /// ```
    #[must_use]
    pub fn spill(mut self, enabled: bool) -> Self {
        self.spill.enabled = enabled;
        self
    }

    /// The directory spill files go in (each computation makes and removes its own
    /// directory inside it).
    ///
    /// ```
    /// let client = spillway::Client::builder().spill_dir("/tmp").build().unwrap();
    /// assert_eq!(client.spill_settings().dir.as_deref(), Some(std::path::Path::new("/tmp")));
    /// client.close();
    /// ```
    #[must_use]
    pub fn spill_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.spill.dir = Some(dir.into());
        self
    }

    /// The most disk one computation may spill, as `"20GB"`; past it the computation
    /// fails with an error that names the quota.
    ///
    /// ```
    /// let client = spillway::Client::builder().spill_quota("20GB").build().unwrap();
    /// assert_eq!(client.spill_settings().quota, Some(20_000_000_000));
    /// assert!(spillway::Client::builder().spill_quota("lots").build().is_err());
    /// client.close();
    /// ```
    #[must_use]
    pub fn spill_quota(mut self, quota: &str) -> Self {
        self.spill_quota_text = Some(quota.to_string());
        self
    }
    /// Number of workers (each with its own threads and memory limit).
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(3).threads_per_worker(1).build()?;
    /// assert_eq!(client.n_workers(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn n_workers(mut self, n: usize) -> Self {
        self.n_workers = Some(n);
        self
    }

    /// Threads in each worker.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(1).threads_per_worker(3).build()?;
    /// assert_eq!(client.total_threads(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn threads_per_worker(mut self, n: usize) -> Self {
        self.threads_per_worker = Some(n);
        self
    }

    /// Memory limit of each worker: bytes (`u64`), a text such as `"1GB"` or
    /// `"512MiB"`, or `"auto"`. The client's budget is this times the number
    /// of workers.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let client = Client::builder().n_workers(2).memory_limit("512MiB").build()?;
    /// assert_eq!(client.total_memory(), 1 << 30);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn memory_limit(mut self, limit: impl Into<MemoryLimit>) -> Self {
        self.memory_limit = Some(limit.into());
        self
    }

    /// Starts a status page for the client once it is built (how observe's
    /// `DashboardExt::dashboard` hooks in): `start` runs at the end of [`build`](Self::build), which fails with its error;
    /// the page's URL is then [`Client::dashboard_url`] and in the client's `Display`, and
    /// [`Client::close`] stops it. `what` names it in the builder's `Debug`. A later call
    /// replaces an earlier one.
    ///
    /// ```
    /// use spillway::Client;
    /// use spillway::exec::client::StatusPage;
    ///
    /// struct Fixed;
    /// impl StatusPage for Fixed {
    ///     fn url(&self) -> String {
    ///         "http://127.0.0.1:1/status".to_string()
    ///     }
    ///     fn stop(&self) {}
    /// }
    ///
    /// let builder = Client::builder().memory_limit("64MB").status_page("a fixed page", |_client| {
    ///     Ok(Box::new(Fixed) as Box<dyn StatusPage>)
    /// });
    /// assert!(format!("{builder:?}").contains("a fixed page"));
    /// let client = builder.build()?;
    /// assert_eq!(client.dashboard_url().as_deref(), Some("http://127.0.0.1:1/status"));
    /// client.close();
    /// assert_eq!(client.dashboard_url(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn status_page<F>(mut self, what: impl Into<String>, start: F) -> Self
    where
        F: Fn(&Client) -> Result<Box<dyn StatusPage>, RuntimeError> + Send + Sync + 'static,
    {
        self.status_page = Some(PageRequest {
            what: what.into(),
            start: Arc::new(start),
        });
        self
    }

    /// Validates the settings, starts the worker threads and makes the new
    /// client [`Client::current`].
    ///
    /// # Errors
    ///
    /// [`RuntimeError::ZeroWorkers`] / [`RuntimeError::ZeroThreads`] for zero
    /// counts, [`RuntimeError::Size`] for an unparsable memory limit,
    /// [`RuntimeError::ZeroMemory`] for a zero one,
    /// [`RuntimeError::MemoryOverflow`] when the total overflows, and
    /// [`RuntimeError::ThreadPool`] when threads cannot be started, and the error of the
    /// [status page](Self::status_page) when it cannot start (for the dashboard,
    /// [`RuntimeError::DashboardAddressInUse`] or [`RuntimeError::DashboardAddress`]).
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::Client;
    ///
    /// let err = Client::builder().memory_limit("1GXB").build().unwrap_err();
    /// assert!(err.to_string().contains("unknown unit \"GXB\""));
    /// let err = Client::builder().memory_limit(0u64).build().unwrap_err();
    /// assert!(err.to_string().contains("is zero bytes"));
    /// ```
    pub fn build(self) -> Result<Client, RuntimeError> {
        let client = self.with_rank_defaults().build_detached()?;
        make_current(&client);
        Ok(client)
    }

    /// After a distributed hook was registered (`spillway::mpi::initialize`), fills unset
    /// values with the rank's settings.
    fn with_rank_defaults(mut self) -> Self {
        if let Some((nthreads, limit)) = crate::exec::distributed::client_defaults() {
            self.n_workers.get_or_insert(1);
            self.threads_per_worker.get_or_insert(nthreads);
            self.memory_limit.get_or_insert(limit);
        }
        self
    }

    /// Builds without touching [`Client::current`].
    pub(super) fn build_detached(self) -> Result<Client, RuntimeError> {
        let cores = available_cores();
        let mut spill = self.spill.clone();
        if let Some(text) = &self.spill_quota_text {
            spill.quota = Some(MemoryLimit::Text(text.clone()).per_worker(1)?);
        }
        let (n_workers, threads_per_worker) = match (self.n_workers, self.threads_per_worker) {
            (Some(0), _) => return Err(RuntimeError::ZeroWorkers),
            (_, Some(0)) => return Err(RuntimeError::ZeroThreads),
            (Some(w), Some(t)) => (w, t),
            (Some(w), None) => (w, (cores / w).max(1)),
            (None, Some(t)) => ((cores / t).max(1), t),
            (None, None) => (1, cores),
        };
        let total_threads = n_workers.checked_mul(threads_per_worker).ok_or_else(|| {
            RuntimeError::ThreadPool(format!(
                "{n_workers} workers × {threads_per_worker} threads is too many threads"
            ))
        })?;

        let limit = self.memory_limit.unwrap_or(MemoryLimit::Auto);
        let per_worker = limit.per_worker(n_workers)?;
        let total_memory = u64::try_from(n_workers)
            .ok()
            .and_then(|w| per_worker.checked_mul(w))
            .ok_or(RuntimeError::MemoryOverflow {
                per_worker,
                n_workers,
            })?;
        let memory_limit_text = match limit {
            MemoryLimit::Text(t) => Some(t.trim().to_string()),
            _ => None,
        };

        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(total_threads)
            .thread_name(move |i| {
                format!(
                    "spillway-worker-{}-{}",
                    i / threads_per_worker,
                    i % threads_per_worker
                )
            })
            .build()
            .map_err(|e| RuntimeError::ThreadPool(e.to_string()))?;

        let client = Client {
            inner: Arc::new(ClientInner {
                n_workers,
                threads_per_worker,
                memory_limit_per_worker: per_worker,
                memory_limit_text,
                budget: MemoryBudget::new(total_memory),
                pool,
                closed: AtomicBool::new(false),
                interrupts: std::sync::atomic::AtomicU64::new(0),
                monitors: std::sync::RwLock::new(Vec::new()),
                page: Mutex::new(None),
                spill,
            }),
        };
        if let Some(request) = &self.status_page {
            let page = (request.start)(&client)?;
            *client.lock_page() = Some(page);
        }
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::client::{ClientStatus, client_test_guard};
    use crate::util::size::SizeError;
    use std::sync::MutexGuard;

    fn serial() -> MutexGuard<'static, ()> {
        client_test_guard()
    }

    fn dask_like() -> Client {
        crate::exec::client::dask_like_client()
    }

    #[test]
    fn builds_like_dask() {
        let _g = serial();
        let client = dask_like();
        assert_eq!(client.n_workers(), 2);
        assert_eq!(client.threads_per_worker(), 2);
        assert_eq!(client.total_threads(), 4);
        assert_eq!(client.memory_limit_per_worker(), 1_000_000_000);
        assert_eq!(client.total_memory(), 2_000_000_000);
        assert_eq!(client.budget().limit(), 2_000_000_000);
        assert_eq!(client.pool().current_num_threads(), 4);
        assert_eq!(client.status(), ClientStatus::Running);
        client.close();
    }

    #[test]
    fn builder_validation_errors() {
        let _g = serial();
        let err = Client::builder().n_workers(0).build().unwrap_err();
        assert_eq!(err, RuntimeError::ZeroWorkers);
        assert_eq!(
            err.to_string(),
            "n_workers must be at least 1, got 0; use .n_workers(1) or more"
        );
        let err = Client::builder().threads_per_worker(0).build().unwrap_err();
        assert_eq!(err, RuntimeError::ZeroThreads);
        assert!(
            err.to_string()
                .starts_with("threads_per_worker must be at least 1")
        );

        let err = Client::builder().memory_limit("1GXB").build().unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"cannot parse "1GXB" as a byte size: unknown unit "GXB"; use a number with an optional unit such as "512MiB", "1GB" or "100000""#
        );
        assert!(matches!(
            err,
            RuntimeError::Size(SizeError::UnknownUnit { .. })
        ));

        let err = Client::builder().memory_limit("0GB").build().unwrap_err();
        assert_eq!(
            err,
            RuntimeError::ZeroMemory {
                value: "0GB".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "memory limit \"0GB\" is zero bytes; use a positive size such as \"1GB\" or \"512MiB\", \
             or \"auto\" for a share of this machine's memory"
        );
        let err = Client::builder().memory_limit(0u64).build().unwrap_err();
        assert_eq!(err, RuntimeError::ZeroMemory { value: "0".into() });

        let err = Client::builder().memory_limit("").build().unwrap_err();
        assert_eq!(err, RuntimeError::Size(SizeError::Empty));

        let err = Client::builder()
            .n_workers(4)
            .threads_per_worker(1)
            .memory_limit(u64::MAX / 2)
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            RuntimeError::MemoryOverflow {
                per_worker: u64::MAX / 2,
                n_workers: 4
            }
        );
        assert!(err.to_string().contains("overflows"));
    }

    #[test]
    fn thread_defaults_divide_the_cores() {
        let _g = serial();
        let cores = available_cores();
        let c = Client::builder().n_workers(2).build().unwrap();
        assert_eq!(c.threads_per_worker(), (cores / 2).max(1));
        let d = Client::builder().threads_per_worker(1).build().unwrap();
        assert_eq!(d.n_workers(), cores);
        let e = Client::builder().build().unwrap();
        assert_eq!((e.n_workers(), e.threads_per_worker()), (1, cores));
        for client in [c, d, e] {
            client.close();
        }
    }
}
