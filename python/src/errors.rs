//! spillway's errors as the Python exceptions NumPy and Dask users expect: shape, axis
//! and chunk errors are `ValueError`, dtype errors `TypeError`, out-of-range indices
//! `IndexError`, a missing store `FileNotFoundError`, a plan refused for memory a
//! `spillway.MemoryBudgetError` (a `MemoryError`), all with spillway's message.

use pyo3::create_exception;
use pyo3::exceptions::{
    PyFileNotFoundError, PyIndexError, PyKeyboardInterrupt, PyMemoryError, PyOSError,
    PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use spillway::exec::error::PlanError;
use spillway::store::StoreError;
use spillway::{ArrayError, Error, MemoryError};

create_exception!(
    _spillway,
    MemoryBudgetError,
    PyMemoryError,
    "A computation the memory budget cannot hold: refused when the plan was made, or \
     memory that could not be reserved while it ran. Attributes: op, needed, budget, \
     suggestion (None where spillway gave none)."
);

/// The Python exception for a spillway error.
pub fn to_pyerr(error: Error) -> PyErr {
    if let Error::TaskPanicked { message, .. } = &error
        && let Some(raised) = crate::blocks::take_raised(message)
    {
        return raised;
    }
    let message = error.to_string();
    match &error {
        Error::Array(a) => match a {
            ArrayError::UnsupportedDtype { .. } | ArrayError::DtypeMismatch { .. } => {
                PyTypeError::new_err(message)
            }
            ArrayError::IndexOutOfRange { .. } | ArrayError::TooManyIndices { .. } => {
                PyIndexError::new_err(message)
            }
            _ => PyValueError::new_err(message),
        },
        Error::Linalg(_) | Error::Size(_) => PyValueError::new_err(message),
        Error::Store(s) => match s {
            StoreError::NotFound { .. } => PyFileNotFoundError::new_err(message),
            StoreError::DtypeMismatch { .. } => PyTypeError::new_err(message),
            StoreError::DimensionNames { .. } | StoreError::Metadata { .. } => {
                PyValueError::new_err(message)
            }
            StoreError::Memory(m) => memory_error(message, m.to_string(), None),
            _ => PyOSError::new_err(message),
        },
        Error::Plan(p) => match p {
            PlanError::TaskTooLarge {
                op,
                needed,
                budget,
                suggestion,
                ..
            } => budget_error(message, op, *needed, *budget, Some(suggestion)),
            _ => memory_error(message, String::new(), None),
        },
        Error::Memory(m) => match m {
            MemoryError::ResourcesExhausted {
                consumer,
                requested,
                limit,
                ..
            } => budget_error(message, consumer, *requested, *limit, None),
            _ => memory_error(message, String::new(), None),
        },
        Error::Runtime(r) if r.to_string().contains("interrupted") => {
            PyKeyboardInterrupt::new_err(message)
        }
        Error::Io { .. } => PyOSError::new_err(message),
        _ => PyRuntimeError::new_err(message),
    }
}

fn memory_error(message: String, _op: String, _s: Option<&str>) -> PyErr {
    MemoryBudgetError::new_err(message)
}

fn budget_error(
    message: String,
    op: &str,
    needed: u64,
    budget: u64,
    suggestion: Option<&String>,
) -> PyErr {
    let err = MemoryBudgetError::new_err(message);
    Python::attach(|py| {
        let value = err.value(py);
        let _ = value.setattr("op", op);
        let _ = value.setattr("needed", needed);
        let _ = value.setattr("budget", budget);
        let _ = value.setattr("suggestion", suggestion.cloned());
    });
    err
}

/// Converts a spillway result for Python.
pub trait IntoPy<T> {
    /// The value, or the error as a Python exception.
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for spillway::Result<T> {
    fn py(self) -> PyResult<T> {
        self.map_err(to_pyerr)
    }
}
