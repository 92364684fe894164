//! `spillway.mpi.initialize` for `mpirun python script.py`: joins this process to the MPI
//! job through the Rust library's `spillway::mpi::initialize_with`, as the lesson calls
//! `dask_mpi.initialize`. Built only with the package's `mpi` feature (it links the MPI
//! library); without it, `mpi_available()` is false and Python raises an error that says
//! how to rebuild.

use pyo3::prelude::*;

/// Whether this build can join an MPI job (the package's `mpi` feature).
#[pyfunction]
pub fn mpi_available() -> bool {
    cfg!(feature = "mpi")
}

/// Joins the MPI job; returns `(rank, size, role, layout, is_client)`.
#[cfg(feature = "mpi")]
#[pyfunction]
#[pyo3(signature = (nthreads=None, memory_limit=None, layout=None, timeout=None, work_dir=None))]
pub fn mpi_initialize(
    py: Python<'_>,
    nthreads: Option<usize>,
    memory_limit: Option<String>,
    layout: Option<&str>,
    timeout: Option<f64>,
    work_dir: Option<std::path::PathBuf>,
) -> PyResult<(usize, usize, String, String, bool)> {
    use spillway::mpi::{Layout, Options};
    let mut options = Options::default();
    if let Some(n) = nthreads {
        options = options.nthreads(n);
    }
    if let Some(m) = memory_limit {
        options = options.memory_limit(m.as_str());
    }
    options = match layout.unwrap_or("every-rank") {
        "every-rank" => options.layout(Layout::EveryRankComputes),
        "dask-mpi" => options.layout(Layout::DaskMpi),
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "layout {other:?} is not one of \"every-rank\" (every rank runs tasks) or \
                 \"dask-mpi\" (rank 0 the scheduler, rank 1 the client, the rest workers)"
            )));
        }
    };
    if let Some(t) = timeout {
        if !(t.is_finite() && t > 0.0) {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "timeout {t} is not a positive number of seconds; give e.g. timeout=600"
            )));
        }
        options = options.timeout(std::time::Duration::from_secs_f64(t));
    }
    if let Some(dir) = work_dir {
        options = options.work_dir(dir);
    }
    let job = py
        .detach(|| spillway::mpi::initialize_with(options))
        .map_err(|e| crate::errors::to_pyerr(e.into()))?;
    Ok((
        job.rank(),
        job.size(),
        job.role().to_string(),
        job.layout().to_string(),
        job.is_client(),
    ))
}

/// Without the `mpi` feature: an error that says how to build with it.
#[cfg(not(feature = "mpi"))]
#[pyfunction]
#[pyo3(signature = (nthreads=None, memory_limit=None, layout=None, timeout=None, work_dir=None))]
pub fn mpi_initialize(
    nthreads: Option<usize>,
    memory_limit: Option<String>,
    layout: Option<&str>,
    timeout: Option<f64>,
    work_dir: Option<std::path::PathBuf>,
) -> PyResult<(usize, usize, String, String, bool)> {
    let _ = (nthreads, memory_limit, layout, timeout, work_dir);
    Err(pyo3::exceptions::PyRuntimeError::new_err(
        "this spillway package was built without MPI; install it with MPI (an MPI library such \
         as Debian's libopenmpi-dev, and libclang-dev, are needed to build): \
         MATURIN_PEP517_ARGS=\"--features mpi\" pip install ./python",
    ))
}
