//! `_Client`: the native half of `spillway.distributed.Client`, one in-process
//! [`spillway::Client`] (workers share one memory budget; see the package README).

use crate::errors::to_pyerr;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use spillway::{Client, DashboardExt, MemoryLimit};

/// An in-process cluster: a thread pool and a memory budget.
#[pyclass(name = "_Client", module = "spillway._spillway", frozen)]
pub struct PyClient {
    inner: Client,
}

#[pymethods]
impl PyClient {
    #[new]
    #[pyo3(signature = (n_workers=None, threads_per_worker=None, memory_limit=None, dashboard_address=None))]
    fn new(
        n_workers: Option<usize>,
        threads_per_worker: Option<usize>,
        memory_limit: Option<&Bound<'_, PyAny>>,
        dashboard_address: Option<String>,
    ) -> PyResult<Self> {
        let mut builder = Client::builder();
        if let Some(n) = n_workers {
            builder = builder.n_workers(n);
        }
        if let Some(t) = threads_per_worker {
            builder = builder.threads_per_worker(t);
        }
        if let Some(limit) = memory_limit {
            let limit: MemoryLimit = if let Ok(text) = limit.extract::<String>() {
                text.into()
            } else if let Ok(bytes) = limit.extract::<u64>() {
                bytes.into()
            } else if let Ok(bytes) = limit.extract::<f64>() {
                (bytes as u64).into()
            } else {
                return Err(PyTypeError::new_err(
                    "memory_limit must be a string such as '1GB', a number of bytes, or 'auto'",
                ));
            };
            builder = builder.memory_limit(limit);
        }
        if let Some(address) = dashboard_address {
            builder = builder.dashboard(address);
        }
        let inner = builder.build().map_err(|e| to_pyerr(e.into()))?;
        Ok(PyClient { inner })
    }

    #[getter]
    fn n_workers(&self) -> usize {
        self.inner.n_workers()
    }
    #[getter]
    fn threads_per_worker(&self) -> usize {
        self.inner.threads_per_worker()
    }
    #[getter]
    fn total_threads(&self) -> usize {
        self.inner.total_threads()
    }
    #[getter]
    fn memory_limit(&self) -> u64 {
        self.inner.memory_limit_per_worker()
    }
    #[getter]
    fn total_memory(&self) -> u64 {
        self.inner.total_memory()
    }
    #[getter]
    fn status(&self) -> String {
        self.inner.status().to_string()
    }
    #[getter]
    fn dashboard_link(&self) -> Option<String> {
        self.inner.dashboard_url().map(|u| format!("{u}/status"))
    }
    /// Bytes held by computations now, and the most held at once.
    fn memory_held(&self) -> (u64, u64) {
        let b = self.inner.budget();
        (b.reserved(), b.peak_reserved())
    }
    fn close(&self) {
        self.inner.close();
    }
    fn interrupt(&self) {
        self.inner.interrupt();
    }
    fn __str__(&self) -> String {
        self.inner.to_string()
    }
}

/// Draws a progress bar for the current client's computations until
/// [`progress_stop`] (`spillway.diagnostics.ProgressBar`); `min_time` seconds pass before
/// a bar appears.
#[pyfunction]
pub fn progress_start(min_time: f64) {
    let settings = spillway::observe::progress::Progress::always()
        .delay(std::time::Duration::from_secs_f64(min_time.max(0.0)));
    spillway::observe::progress::install(&Client::current(), settings);
}

/// Stops the progress bar of the current client.
#[pyfunction]
pub fn progress_stop() {
    spillway::observe::progress::uninstall(&Client::current());
}

/// The memory budget (bytes, all workers together) and the thread count of the client
/// computations run on now, for planners on the Python side that size their blocks.
#[pyfunction]
pub fn current_budget() -> (u64, usize) {
    let client = Client::current();
    (client.total_memory(), client.total_threads())
}
