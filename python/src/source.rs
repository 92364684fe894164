//! A lazy array read from a Python object by slicing (a zarr or h5py array, xarray's
//! lazily indexed variables): a [`ChunkStore`] whose chunk read calls the Python reader
//! under the GIL. Being a store, its chunks go through spillway's shared block pool, so a
//! chunk read by several evaluators in a stage (shifted slices of a rolling window, a
//! fancy index fused into a reduction) is read once, not once per reader.

use crate::array::PyArr;
use crate::blocks::raise_in_task;
use crate::convert::dtype_of;
use crate::elements::NumpyElement;
use numpy::{PyArrayDyn, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use spillway::array::stored::from_store;
use spillway::store::{ChunkStore, StoreError};
use std::sync::Arc;

/// Chunks of a regular grid read by `reader(start, shape)`, which returns a NumPy array
/// of `shape` (any dtype NumPy casts to `T`).
struct PySource {
    reader: Py<PyAny>,
    shape: Vec<usize>,
    chunk_shape: Vec<usize>,
    label: String,
}

impl<T: NumpyElement> ChunkStore<T> for PySource {
    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn chunk_shape(&self) -> &[usize] {
        &self.chunk_shape
    }

    fn read_chunk(&self, index: &[usize], out: &mut [T]) -> Result<(), StoreError> {
        let start: Vec<usize> = index
            .iter()
            .zip(&self.chunk_shape)
            .map(|(i, c)| i * c)
            .collect();
        let size: Vec<usize> = start
            .iter()
            .zip(&self.chunk_shape)
            .zip(&self.shape)
            .map(|((s, c), n)| (*c).min(n - s))
            .collect();
        Python::attach(|py| {
            let result = (|| -> PyResult<()> {
                let values = self.reader.call1(py, (start.clone(), size.clone()))?;
                let np = py.import("numpy")?;
                let values = np
                    .getattr("ascontiguousarray")?
                    .call1((values, T::DTYPE.name()))?;
                let values = values.cast::<PyArrayDyn<T::Np>>()?;
                let view = values.readonly();
                let view = view.as_array();
                if view.shape() != size.as_slice() {
                    return Err(PyValueError::new_err(format!(
                        "{}: the reader returned shape {:?} for the chunk at {start:?}, which has shape {size:?}",
                        self.label,
                        view.shape()
                    )));
                }
                // `ascontiguousarray` made it C-contiguous: one copy, not an n-d walk
                match view.as_slice() {
                    Some(values) => out.copy_from_slice(T::from_np(values)),
                    None => out
                        .iter_mut()
                        .zip(view.iter())
                        .for_each(|(o, v)| *o = T::from_np_one(*v)),
                }
                Ok(())
            })();
            if let Err(err) = result {
                // the computation fails with the reader's own exception
                raise_in_task(err);
            }
        });
        Ok(())
    }

    fn write_chunk(&self, _index: &[usize], _data: &[T]) -> Result<(), StoreError> {
        Err(StoreError::Io {
            location: self.label.clone(),
            message: "this array is read from a Python object and cannot be written; write to a zarr store instead".into(),
            source: None,
        })
    }

    fn contains_chunk(&self, _index: &[usize]) -> Result<bool, StoreError> {
        Ok(true)
    }

    fn location(&self) -> String {
        self.label.clone()
    }
}

/// A lazy array of `dtype` and `shape` in regular chunks of `chunk_shape`, each read by
/// `reader(start, shape)` when a computation needs it.
#[pyfunction]
pub fn from_reader(
    reader: Py<PyAny>,
    shape: Vec<usize>,
    chunk_shape: Vec<usize>,
    dtype: &str,
    label: String,
) -> PyResult<PyArr> {
    let source = PySource {
        reader,
        shape,
        chunk_shape,
        label,
    };
    let array = with_dtype!(dtype_of(dtype)?, T => {
        let store: Arc<dyn ChunkStore<T>> = Arc::new(source);
        from_store(store, "from_array", None).into()
    });
    PyArr::checked(array)
}
