//! Python callables on blocks: `map_blocks` and `map_overlap` with a Python function.
//! The function runs on spillway's worker threads, taking the GIL only while it runs
//! (so blocks overlap where the function releases the GIL, as NumPy's kernels do). An
//! exception it raises stops the computation and reaches the caller as itself.

use crate::array::PyArr;
use crate::convert::dtype_of;
use crate::elements::NumpyElement;
use numpy::{IntoPyArray, PyArrayDyn, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyComplex;
use spillway::array::user::overlap::Boundary;
use spillway::{Array, Element};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Exceptions raised by Python callables inside tasks, by id, until the computation's
/// error is turned back into them.
static RAISED: Mutex<Option<HashMap<u64, PyErr>>> = Mutex::new(None);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The marker a task's panic message carries for a Python exception.
const MARKER: &str = "[python exception #";

/// Keeps `err` and stops the task: the panic message names it for [`take_raised`].
pub(crate) fn raise_in_task(err: PyErr) -> ! {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let text = Python::attach(|py| {
        err.value(py)
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_default()
    });
    RAISED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(id, err);
    std::panic::panic_any(format!("{MARKER}{id}] {text}"))
}

/// The Python exception a task's panic message refers to, when it carries one.
pub fn take_raised(message: &str) -> Option<PyErr> {
    let start = message.find(MARKER)? + MARKER.len();
    let end = message[start..].find(']')? + start;
    let id: u64 = message[start..end].parse().ok()?;
    RAISED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_mut()?
        .remove(&id)
}

/// Where a block lies, passed to a located function as `(block_id, start, shape)`.
type Location = (Vec<usize>, Vec<usize>, Vec<usize>);

/// Calls `func(block)` (or `func(block, block_id, start, shape)` when `at` is given) under
/// the GIL and converts the result to `U`'s block.
fn call_block<T, U>(
    func: &Py<PyAny>,
    block: ndarray::ArrayViewD<'_, T>,
    out_dtype: &'static str,
    at: Option<Location>,
) -> ndarray::ArrayD<U>
where
    T: NumpyElement,
    U: NumpyElement,
{
    Python::attach(|py| {
        let result = (|| -> PyResult<ndarray::ArrayD<U>> {
            // one copy into an array NumPy owns, as `to_pyarray` would make
            let input = T::to_np_owned(block).into_pyarray(py);
            let out = match at {
                None => func.call1(py, (input,))?,
                Some((id, start, shape)) => func.call1(py, (input, id, start, shape))?,
            };
            let np = py.import("numpy")?;
            let out = np.getattr("ascontiguousarray")?.call1((out, out_dtype))?;
            let out = out.cast::<PyArrayDyn<U::Np>>()?;
            Ok(U::from_np_view(out.readonly().as_array()))
        })();
        match result {
            Ok(values) => values,
            Err(err) => raise_in_task(err),
        }
    })
}

/// `func` on every block; the result has dtype `dtype` and the input's chunks, or
/// `chunks` (explicit lengths per axis) when given. With `located`, `func` also gets the
/// block's grid index, the output block's start and its shape (Dask's `block_id` and
/// `block_info`, and what a lazy source needs to read its region).
pub fn map_blocks(
    a: &PyArr,
    func: Py<PyAny>,
    dtype: &str,
    chunks: Option<Vec<Vec<usize>>>,
    located: bool,
) -> PyResult<PyArr> {
    let out = dtype_of(dtype)?;
    let func = Arc::new(func);
    let array = with_dtype!(a.inner.dtype(), T => {
        let input: Array<T> = a.inner.typed::<T>();
        with_dtype!(out, U => {
            let f = func.clone();
            let name = out.name();
            input
                .map_blocks_with(chunks, move |b, info| {
                    let at = located.then(|| {
                        (info.block_id.clone(), info.output_start.clone(), info.output_shape.clone())
                    });
                    call_block::<T, U>(&f, b, name, at)
                })
                .into()
        })
    });
    PyArr::checked(array)
}

/// `func` on every block extended by `depth` neighbours per axis; `boundary` is
/// `"none"`, `"reflect"`, `"nearest"`, `"periodic"` or a number (a complex one for
/// complex arrays). Same dtype.
pub fn map_overlap(
    a: &PyArr,
    func: Py<PyAny>,
    depth: Vec<usize>,
    boundary: &Bound<'_, PyAny>,
) -> PyResult<PyArr> {
    let func = Arc::new(func);
    let text: Option<String> = boundary.extract().ok();
    let constant: Option<(f64, f64)> = match boundary.cast::<PyComplex>() {
        Ok(z) => Some((z.real(), z.imag())),
        Err(_) => boundary.extract::<f64>().ok().map(|x| (x, 0.0)),
    };
    let array = with_dtype!(a.inner.dtype(), T => {
        let input: Array<T> = a.inner.typed::<T>();
        let b: Boundary<T> = match (text.as_deref(), constant) {
            (Some("none"), _) => Boundary::None,
            (Some("reflect"), _) => Boundary::Reflect,
            (Some("nearest"), _) => Boundary::Nearest,
            (Some("periodic"), _) => Boundary::Periodic,
            (None, Some((re, im))) => Boundary::Constant(T::from_complex(re, im)),
            (other, _) => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "map_overlap: boundary {other:?} is not supported; use 'none', 'reflect', 'nearest', 'periodic' or a number"
                )));
            }
        };
        let f = func.clone();
        let name = T::DTYPE.name();
        input.map_overlap(&depth, b, move |blk| call_block::<T, T>(&f, blk, name, None)).into()
    });
    PyArr::checked(array)
}
