//! `_Array`: the native half of `spillway.array.Array`, one [`AnyArray`] behind a frozen
//! Python object. The Python class parses Dask's arguments; this one dispatches on the
//! dtype and runs the computation with the GIL released.

use crate::convert::{chunk_spec, dtype_of, index_elem, scalar_of, to_numpy};
use crate::errors::to_pyerr;
use crate::interrupt::run_interruptible;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use spillway::array::dynamic::arith::UnaryOp;
use spillway::array::dynamic::{AnyArray, BinaryOp, Reduction};

/// A lazy spillway array of any dtype (the native object inside `spillway.array.Array`).
#[pyclass(name = "_Array", module = "spillway._spillway", frozen, from_py_object)]
#[derive(Clone)]
pub struct PyArr {
    pub inner: AnyArray,
}

impl PyArr {
    /// Wraps an array, raising its error now when an operation that made it was invalid
    /// (NumPy and Dask raise shape and dtype errors when the expression is written).
    pub fn checked(inner: AnyArray) -> PyResult<PyArr> {
        match inner.error() {
            Some(e) => Err(to_pyerr(e)),
            None => Ok(PyArr { inner }),
        }
    }
}

fn binary_op(name: &str) -> PyResult<BinaryOp> {
    Ok(match name {
        "add" => BinaryOp::Add,
        "subtract" => BinaryOp::Sub,
        "multiply" => BinaryOp::Mul,
        "true_divide" | "divide" => BinaryOp::TrueDiv,
        "floor_divide" => BinaryOp::FloorDiv,
        "remainder" | "mod" => BinaryOp::Mod,
        "power" => BinaryOp::Pow,
        "less" => BinaryOp::Lt,
        "less_equal" => BinaryOp::Le,
        "greater" => BinaryOp::Gt,
        "greater_equal" => BinaryOp::Ge,
        "equal" => BinaryOp::Eq,
        "not_equal" => BinaryOp::Ne,
        "bitwise_and" | "logical_and" => BinaryOp::And,
        "bitwise_or" | "logical_or" => BinaryOp::Or,
        "bitwise_xor" | "logical_xor" => BinaryOp::Xor,
        "maximum" => BinaryOp::Maximum,
        "minimum" => BinaryOp::Minimum,
        other => {
            return Err(PyValueError::new_err(format!(
                "{other:?} is not a binary operation spillway computes"
            )));
        }
    })
}

#[pymethods]
impl PyArr {
    #[getter]
    fn shape(&self) -> Vec<usize> {
        self.inner.shape().to_vec()
    }

    #[getter]
    fn dtype(&self) -> &'static str {
        self.inner.dtype().name()
    }

    #[getter]
    fn chunks(&self) -> Vec<Vec<usize>> {
        self.inner.chunks().as_vecs().to_vec()
    }

    #[getter]
    fn name(&self) -> String {
        self.inner.name().to_string()
    }

    #[getter]
    fn nbytes(&self) -> u64 {
        self.inner.nbytes()
    }

    fn __repr__(&self) -> String {
        self.inner.to_string()
    }

    fn html(&self) -> String {
        self.inner.html_repr()
    }

    fn svg(&self) -> String {
        self.inner.visualize_svg()
    }

    /// `self op other` for another array.
    fn binary(&self, op: &str, other: &PyArr) -> PyResult<PyArr> {
        PyArr::checked(self.inner.binary(binary_op(op)?, &other.inner))
    }

    /// `self op scalar` (`scalar op self` when `reflected`).
    fn binary_scalar(
        &self,
        op: &str,
        scalar: &Bound<'_, PyAny>,
        reflected: bool,
    ) -> PyResult<PyArr> {
        let s = scalar_of(scalar)?;
        PyArr::checked(self.inner.binary_scalar(binary_op(op)?, s, reflected))
    }

    fn unary(&self, name: &str) -> PyResult<PyArr> {
        let op = UnaryOp::from_name(name).ok_or_else(|| {
            PyValueError::new_err(format!(
                "{name:?} is not a unary function spillway computes"
            ))
        })?;
        PyArr::checked(self.inner.unary(op))
    }

    #[pyo3(signature = (name, axes, keepdims, ddof))]
    fn reduce(
        &self,
        name: &str,
        axes: Option<Vec<isize>>,
        keepdims: bool,
        ddof: f64,
    ) -> PyResult<PyArr> {
        let r = Reduction::from_name(name, ddof).ok_or_else(|| {
            PyValueError::new_err(format!("{name:?} is not a reduction spillway computes"))
        })?;
        PyArr::checked(self.inner.reduce(r, axes.as_deref(), keepdims))
    }

    #[pyo3(signature = (max, axis, keepdims))]
    fn arg_extreme(&self, max: bool, axis: Option<isize>, keepdims: bool) -> PyResult<PyArr> {
        PyArr::checked(self.inner.arg_extreme(max, axis, keepdims))
    }

    fn cumulative(&self, product: bool, axis: isize) -> PyResult<PyArr> {
        PyArr::checked(self.inner.cumulative(product, axis))
    }

    fn sort(&self, argsort: bool) -> PyResult<PyArr> {
        PyArr::checked(self.inner.sort(argsort))
    }

    fn percentile(&self, py: Python<'_>, q: f64) -> PyResult<f64> {
        let inner = self.inner.clone();
        run_interruptible(py, move || inner.percentile(q))
    }

    fn histogram(&self, bins: usize, lo: f64, hi: f64) -> PyResult<(PyArr, Vec<f64>)> {
        let (counts, edges) = self.inner.histogram(bins, (lo, hi));
        Ok((PyArr::checked(counts)?, edges))
    }

    fn histogram_edges(&self, edges: Vec<f64>) -> PyResult<PyArr> {
        PyArr::checked(self.inner.histogram_edges(&edges))
    }

    fn astype(&self, dtype: &str) -> PyResult<PyArr> {
        PyArr::checked(self.inner.astype(dtype_of(dtype)?))
    }

    fn rechunk(&self, chunks: &Bound<'_, PyAny>) -> PyResult<PyArr> {
        let spec = chunk_spec(chunks, self.inner.shape())?;
        PyArr::checked(self.inner.rechunk(spec))
    }

    fn index(&self, elems: Vec<Bound<'_, PyAny>>) -> PyResult<PyArr> {
        let index = elems.iter().map(index_elem).collect::<PyResult<Vec<_>>>()?;
        PyArr::checked(self.inner.index(&index))
    }

    fn index_mask(&self, mask: &PyArr, axis: isize) -> PyResult<PyArr> {
        PyArr::checked(self.inner.index_mask(&mask.inner.typed::<bool>(), axis))
    }

    fn transpose(&self, axes: Vec<isize>) -> PyResult<PyArr> {
        PyArr::checked(self.inner.transpose(&axes))
    }

    fn reshape(&self, shape: Vec<isize>) -> PyResult<PyArr> {
        PyArr::checked(self.inner.reshape(&shape))
    }

    #[pyo3(signature = (axis=None))]
    fn squeeze(&self, axis: Option<isize>) -> PyResult<PyArr> {
        PyArr::checked(self.inner.squeeze(axis))
    }

    fn expand_dims(&self, axis: isize) -> PyResult<PyArr> {
        PyArr::checked(self.inner.expand_dims(axis))
    }

    fn swapaxes(&self, a: isize, b: isize) -> PyResult<PyArr> {
        PyArr::checked(self.inner.swapaxes(a, b))
    }

    fn moveaxis(&self, source: isize, destination: isize) -> PyResult<PyArr> {
        PyArr::checked(self.inner.moveaxis(source, destination))
    }

    fn broadcast_to(&self, shape: Vec<usize>) -> PyResult<PyArr> {
        PyArr::checked(self.inner.broadcast_to(&shape))
    }

    fn flip(&self, axis: isize) -> PyResult<PyArr> {
        PyArr::checked(self.inner.flip(axis))
    }

    fn sliding_window_view(&self, window: usize, axis: isize) -> PyResult<PyArr> {
        PyArr::checked(self.inner.sliding_window_view(window, axis))
    }

    /// Computes with the GIL released; Ctrl-C stops the computation.
    fn compute(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let inner = self.inner.clone();
        let values = run_interruptible(py, move || inner.compute())?;
        to_numpy(py, values)
    }

    fn persist(&self, py: Python<'_>) -> PyResult<PyArr> {
        let inner = self.inner.clone();
        let persisted = run_interruptible(py, move || inner.persist())?;
        PyArr::checked(persisted)
    }

    /// Writes to a zarr v3 store; returns the number of chunks written. `dimension_names`
    /// (one per axis, `None` for an unnamed one) and `attributes` (a JSON object's text)
    /// go into `zarr.json` when the store is created.
    #[pyo3(signature = (path, overwrite=false, resume=false, dimension_names=None, attributes=None))]
    fn to_zarr(
        &self,
        py: Python<'_>,
        path: std::path::PathBuf,
        overwrite: bool,
        resume: bool,
        dimension_names: Option<Vec<Option<String>>>,
        attributes: Option<&str>,
    ) -> PyResult<u64> {
        let inner = self.inner.clone();
        let mut how = spillway::array::zarr::ToZarr::default()
            .overwrite(overwrite)
            .resume(resume);
        if let Some(names) = dimension_names {
            how = how.dimension_names(names);
        }
        if let Some(text) = attributes {
            how = how.attributes(crate::zarr::attributes_from_json(text)?);
        }
        let report = run_interruptible(py, move || inner.to_zarr(&path, &how))?;
        Ok(report.chunks_written as u64)
    }

    #[pyo3(signature = (func, dtype, chunks=None, located=false))]
    fn map_blocks(
        &self,
        func: Py<PyAny>,
        dtype: &str,
        chunks: Option<Vec<Vec<usize>>>,
        located: bool,
    ) -> PyResult<PyArr> {
        crate::blocks::map_blocks(self, func, dtype, chunks, located)
    }

    fn map_overlap(
        &self,
        func: Py<PyAny>,
        depth: Vec<usize>,
        boundary: &Bound<'_, PyAny>,
    ) -> PyResult<PyArr> {
        crate::blocks::map_overlap(self, func, depth, boundary)
    }

    fn error(&self) -> PyResult<()> {
        match self.inner.error() {
            Some(e) => Err(to_pyerr(e)),
            None => Ok(()),
        }
    }
}

/// Computes several arrays in one pass, as `dask.compute(*arrays)`.
#[pyfunction]
pub fn compute_many(py: Python<'_>, arrays: Vec<PyArr>) -> PyResult<Vec<Py<PyAny>>> {
    let inner: Vec<AnyArray> = arrays.into_iter().map(|a| a.inner).collect();
    let values = run_interruptible(py, move || {
        spillway::array::dynamic::values::compute_many(&inner)
    })?;
    values.into_iter().map(|v| to_numpy(py, v)).collect()
}
