//! `_Delayed`: a Python call as a task of spillway's task graph (`spillway.delayed`).
//! The function runs on a worker thread, taking the GIL while it runs; the tasks it
//! depends on run first, independent tasks in parallel. An exception a task raises is
//! its value's error: the tasks that depend on it do not run, and `compute` raises it.

use crate::interrupt::run_interruptible;
use pyo3::prelude::*;
use spillway::Delayed;
use std::sync::Arc;

/// A task's outcome: the value it returned, or the exception it raised.
pub type Outcome = Result<Arc<Py<PyAny>>, Arc<PyErr>>;

/// A lazy Python call.
#[pyclass(
    name = "_Delayed",
    module = "spillway._spillway",
    frozen,
    from_py_object
)]
#[derive(Clone)]
pub struct PyDelayed {
    pub inner: Delayed<Outcome>,
}

fn raise(outcome: &Outcome, py: Python<'_>) -> PyResult<Py<PyAny>> {
    match outcome {
        Ok(v) => Ok(v.clone_ref(py)),
        Err(e) => Err(e.clone_ref(py)),
    }
}

#[pymethods]
impl PyDelayed {
    /// The task's name (the function's).
    #[getter]
    fn key(&self) -> String {
        self.inner.task_name()
    }

    /// Runs the task and those it depends on; returns its value.
    fn compute(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let d = self.inner.clone();
        let outcome = run_interruptible(py, move || d.compute())?;
        raise(&outcome, py)
    }

    fn svg(&self) -> String {
        self.inner.visualize().svg()
    }
}

/// `func(*args, **kwargs)` as a task once the tasks in `deps` have run: `call` receives
/// their values as a list and builds the arguments (the Python layer substitutes them).
#[pyfunction]
#[pyo3(signature = (call, deps, name, memory=None))]
pub fn delayed_call(
    call: Py<PyAny>,
    deps: Vec<PyDelayed>,
    name: String,
    memory: Option<String>,
) -> PyResult<PyDelayed> {
    let inputs: Vec<Delayed<Outcome>> = deps.into_iter().map(|d| d.inner).collect();
    let task = spillway::delayed::delayed_many(&inputs, move |values: &[&Outcome]| -> Outcome {
        Python::attach(|py| {
            let mut resolved = Vec::with_capacity(values.len());
            for v in values {
                match v {
                    Ok(x) => resolved.push(x.clone_ref(py)),
                    Err(e) => return Err(Arc::new(e.clone_ref(py))),
                }
            }
            call.call1(py, (resolved,)).map(Arc::new).map_err(Arc::new)
        })
    })
    .name(&name);
    let task = match memory {
        Some(m) => task.memory(&m),
        None => task,
    };
    Ok(PyDelayed { inner: task })
}

/// Computes several delayed values in one run (shared tasks run once).
#[pyfunction]
pub fn compute_delayed(py: Python<'_>, values: Vec<PyDelayed>) -> PyResult<Vec<Py<PyAny>>> {
    let inner: Vec<Delayed<Outcome>> = values.into_iter().map(|d| d.inner).collect();
    let outcomes = run_interruptible(py, move || spillway::delayed::compute_all(&inner))?;
    outcomes.iter().map(|o| raise(o, py)).collect()
}

/// The task graph of several delayed values, as SVG.
#[pyfunction]
pub fn visualize_delayed(values: Vec<PyDelayed>) -> String {
    let inner: Vec<Delayed<Outcome>> = values.into_iter().map(|d| d.inner).collect();
    spillway::delayed::visualize(&inner).svg()
}
