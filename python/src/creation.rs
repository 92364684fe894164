//! Array creation from Python: ranges, constant fills, random numbers, NumPy arrays and
//! zarr stores, and the functions of several arrays (concatenate, stack, where, linear
//! algebra).

use crate::array::PyArr;
use crate::convert::{chunk_spec, dtype_of, scalar_of};
use crate::elements::NumpyElement;
use crate::errors::IntoPy;
use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use spillway::DType;
use spillway::array::dynamic::layout::dyn_linalg;
use spillway::array::dynamic::{self, AnyArray};
use spillway::array::linalg::{NormOrd, TensorAxes};
use spillway::random::Generator;

/// `arange(start, stop, step)` of `dtype`, `n` elements long (the Python layer counts them).
#[pyfunction]
pub fn arange(
    start: &Bound<'_, PyAny>,
    stop: &Bound<'_, PyAny>,
    step: &Bound<'_, PyAny>,
    dtype: &str,
    chunks: &Bound<'_, PyAny>,
    n: usize,
) -> PyResult<PyArr> {
    let (a, b, s) = (scalar_of(start)?, scalar_of(stop)?, scalar_of(step)?);
    let spec = chunk_spec(chunks, &[n])?;
    let array: AnyArray = match dtype_of(dtype)? {
        DType::Float64 => spillway::arange(a.to::<f64>(), b.to(), s.to(), spec).into(),
        DType::Float32 => spillway::arange(a.to::<f32>(), b.to(), s.to(), spec).into(),
        DType::Int64 => spillway::arange(a.to::<i64>(), b.to(), s.to(), spec).into(),
        DType::Int32 => spillway::arange(a.to::<i32>(), b.to(), s.to(), spec).into(),
        DType::Int16 => spillway::arange(a.to::<i16>(), b.to(), s.to(), spec).into(),
        DType::Int8 => spillway::arange(a.to::<i8>(), b.to(), s.to(), spec).into(),
        DType::UInt64 => spillway::arange(a.to::<u64>(), b.to(), s.to(), spec).into(),
        DType::UInt32 => spillway::arange(a.to::<u32>(), b.to(), s.to(), spec).into(),
        DType::UInt16 => spillway::arange(a.to::<u16>(), b.to(), s.to(), spec).into(),
        DType::UInt8 => spillway::arange(a.to::<u8>(), b.to(), s.to(), spec).into(),
        other => {
            return Err(PyTypeError::new_err(format!(
                "arange: dtype {other} is not a real number type; use an integer or float dtype (for complex values, add 1j times a second arange)"
            )));
        }
    };
    PyArr::checked(array)
}

/// `linspace(start, stop, num)` in float64 or float32.
#[pyfunction]
pub fn linspace(
    start: f64,
    stop: f64,
    num: usize,
    dtype: &str,
    chunks: &Bound<'_, PyAny>,
) -> PyResult<PyArr> {
    let spec = chunk_spec(chunks, &[num])?;
    let array: AnyArray = match dtype_of(dtype)? {
        DType::Float32 => spillway::linspace(start as f32, stop as f32, num, spec).into(),
        DType::Float64 => spillway::linspace(start, stop, num, spec).into(),
        other => AnyArray::from(spillway::linspace(start, stop, num, spec)).astype(other),
    };
    PyArr::checked(array)
}

/// An array of `shape` filled with `value` (a Python number, complex included) as
/// `dtype`; `kind` (`"full"`, `"zeros"`, `"ones"`) names the operation, as Dask's key
/// prefix.
#[pyfunction]
pub fn full(
    shape: Vec<usize>,
    value: &Bound<'_, PyAny>,
    dtype: &str,
    chunks: &Bound<'_, PyAny>,
    kind: &str,
) -> PyResult<PyArr> {
    let v = scalar_of(value)?;
    let spec = chunk_spec(chunks, &shape)?;
    let array: AnyArray = with_dtype!(dtype_of(dtype)?, T => match kind {
        "zeros" => spillway::zeros::<T>(shape, spec).into(),
        "ones" => spillway::ones::<T>(shape, spec).into(),
        _ => spillway::full(shape, v.to::<T>(), spec).into(),
    });
    PyArr::checked(array)
}

/// `re + im·j` elementwise: a complex array from its real and imaginary parts (real
/// arrays, broadcast together; `complex64` when both are `float32` or narrower,
/// `complex128` otherwise).
#[pyfunction]
pub fn complex(re: &PyArr, im: &PyArr) -> PyResult<PyArr> {
    PyArr::checked(AnyArray::complex(&re.inner, &im.inner))
}

/// A seeded random generator (`da.random.default_rng(seed)`): each call draws a new
/// stream, so two arrays from one generator differ, and the same seed repeats them all.
#[pyclass(name = "_Generator", module = "spillway._spillway", frozen)]
pub struct PyGenerator {
    inner: Generator,
}

#[pymethods]
impl PyGenerator {
    #[new]
    fn new(seed: u64) -> Self {
        PyGenerator {
            inner: Generator::new(seed),
        }
    }
}

/// Random numbers: `kind` is `random`, `uniform`, `normal` or `integers`; `a`, `b` are
/// low/high (loc/scale for normal); without a generator, the process-wide one.
#[pyfunction]
#[pyo3(signature = (kind, a, b, shape, chunks, generator=None))]
pub fn random(
    kind: &str,
    a: f64,
    b: f64,
    shape: Vec<usize>,
    chunks: &Bound<'_, PyAny>,
    generator: Option<&PyGenerator>,
) -> PyResult<PyArr> {
    let spec = chunk_spec(chunks, &shape)?;
    let g = generator.map(|g| &g.inner);
    let array: AnyArray = match (kind, g) {
        ("random", Some(g)) => g.random(shape, spec).into(),
        ("random", None) => spillway::random::random(shape, spec).into(),
        ("uniform", Some(g)) => g.uniform(a, b, shape, spec).into(),
        ("uniform", None) => spillway::random::uniform(a, b, shape, spec).into(),
        ("normal", Some(g)) => g.normal(a, b, shape, spec).into(),
        ("normal", None) => spillway::random::normal(a, b, shape, spec).into(),
        ("integers", Some(g)) => g.integers(a as i64, b as i64, shape, spec).into(),
        ("integers", None) => spillway::random::integers(a as i64, b as i64, shape, spec).into(),
        (other, _) => {
            return Err(PyValueError::new_err(format!(
                "unknown distribution {other:?}"
            )));
        }
    };
    PyArr::checked(array)
}

/// Seeds the process-wide generator, as `da.random.seed`.
#[pyfunction]
pub fn seed(seed: u64) {
    spillway::random::seed(seed);
}

/// A C-contiguous NumPy array's buffer, read in place by spillway's tasks.
struct NumpyBuffer<T> {
    /// Keeps the NumPy array (and so its buffer) alive.
    _owner: Py<PyAny>,
    ptr: *const T,
    len: usize,
}

// SAFETY: the buffer belongs to the NumPy array `_owner` keeps alive; NumPy neither frees
// nor moves an array's data while a reference to the array exists (`resize` refuses), and
// spillway only reads it. As in Dask, writes made from Python after `from_array` are seen
// by later computations.
unsafe impl<T: Send> Send for NumpyBuffer<T> {}
unsafe impl<T: Sync> Sync for NumpyBuffer<T> {}

impl<T> AsRef<[T]> for NumpyBuffer<T> {
    fn as_ref(&self) -> &[T] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: `ptr` points at `len` initialized elements of a C-contiguous array that
        // `_owner` keeps alive (see above).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

fn wrap_numpy<T>(
    array: &Bound<'_, PyAny>,
    shape: &[usize],
    spec: spillway::ChunkSpec,
) -> PyResult<AnyArray>
where
    T: NumpyElement,
{
    // NumPy's complex elements have `T`'s layout: the buffer is read as `T` in place
    let typed = array.cast::<PyArrayDyn<T::Np>>()?;
    if !typed.is_c_contiguous() {
        return Err(PyValueError::new_err(
            "from_array needs a C-contiguous array (np.ascontiguousarray)",
        ));
    }
    let buffer = NumpyBuffer {
        _owner: array.clone().unbind(),
        ptr: typed.data() as *const T,
        len: typed.len(),
    };
    Ok(spillway::array::creation::from_shared(std::sync::Arc::new(buffer), shape, spec).into())
}

/// A lazy array over a NumPy array's buffer, without copying it, as `da.from_array`.
#[pyfunction]
pub fn from_numpy(array: &Bound<'_, PyAny>, chunks: &Bound<'_, PyAny>) -> PyResult<PyArr> {
    let untyped = array.cast::<numpy::PyUntypedArray>()?;
    let shape = untyped.shape().to_vec();
    let name: String = untyped.dtype().str()?.to_string();
    let spec = chunk_spec(chunks, &shape)?;
    let wrapped = with_dtype!(dtype_of(&name)?, T => wrap_numpy::<T>(array, &shape, spec)?);
    PyArr::checked(wrapped)
}

/// Opens a zarr array in the dtype it was stored with.
#[pyfunction]
pub fn from_zarr(path: std::path::PathBuf) -> PyResult<PyArr> {
    PyArr::checked(AnyArray::from_zarr(&path).py()?)
}

fn inner(arrays: &[PyArr]) -> Vec<AnyArray> {
    arrays.iter().map(|a| a.inner.clone()).collect()
}

#[pyfunction]
pub fn concatenate(arrays: Vec<PyArr>, axis: isize) -> PyResult<PyArr> {
    PyArr::checked(dynamic::layout::concatenate(&inner(&arrays), axis))
}

#[pyfunction]
pub fn stack(arrays: Vec<PyArr>, axis: isize) -> PyResult<PyArr> {
    PyArr::checked(dynamic::layout::stack(&inner(&arrays), axis))
}

#[pyfunction]
pub fn where_(cond: &PyArr, a: &PyArr, b: &PyArr) -> PyResult<PyArr> {
    PyArr::checked(dynamic::layout::where_(
        &cond.inner.typed::<bool>(),
        &a.inner,
        &b.inner,
    ))
}

#[pyfunction]
pub fn matmul(a: &PyArr, b: &PyArr) -> PyResult<PyArr> {
    PyArr::checked(dyn_linalg::matmul(&a.inner, &b.inner))
}

/// `tensordot`: `axes` is a count, or two lists of axes.
#[pyfunction]
pub fn tensordot(a: &PyArr, b: &PyArr, axes: &Bound<'_, PyAny>) -> PyResult<PyArr> {
    let axes = match axes.extract::<usize>() {
        Ok(n) => TensorAxes::Count(n),
        Err(_) => {
            let (x, y): (Vec<isize>, Vec<isize>) = axes.extract()?;
            TensorAxes::Pairs(x, y)
        }
    };
    PyArr::checked(dyn_linalg::tensordot(&a.inner, &b.inner, axes))
}

#[pyfunction]
pub fn einsum(subscripts: &str, operands: Vec<PyArr>) -> PyResult<PyArr> {
    let refs: Vec<&AnyArray> = operands.iter().map(|a| &a.inner).collect();
    PyArr::checked(dyn_linalg::einsum(subscripts, &refs))
}

/// The `da.linalg` functions by name: one array in, a tuple of arrays out.
#[pyfunction]
#[pyo3(signature = (name, a, b=None, k=0, n_power_iter=0, seed=0, lower=true, ord=None))]
#[allow(clippy::too_many_arguments)]
pub fn linalg(
    name: &str,
    a: &PyArr,
    b: Option<&PyArr>,
    k: usize,
    n_power_iter: usize,
    seed: u64,
    lower: bool,
    ord: Option<&str>,
) -> PyResult<Vec<PyArr>> {
    let need_b = || {
        b.map(|b| b.inner.clone())
            .ok_or_else(|| PyValueError::new_err(format!("{name} needs a second operand")))
    };
    let out: Vec<AnyArray> = match name {
        "solve" => vec![dyn_linalg::solve(&a.inner, &need_b()?)],
        "inv" => vec![dyn_linalg::inv(&a.inner)],
        "cholesky" => vec![dyn_linalg::cholesky(&a.inner, lower)],
        "lstsq" => {
            let (x, r) = dyn_linalg::lstsq(&a.inner, &need_b()?);
            vec![x, r]
        }
        "qr" => {
            let (q, r) = dyn_linalg::qr(&a.inner);
            vec![q, r]
        }
        "svd" => {
            let (u, s, v) = dyn_linalg::svd(&a.inner);
            vec![u, s, v]
        }
        "svd_compressed" => {
            let (u, s, v) = dyn_linalg::svd_compressed(&a.inner, k, n_power_iter, seed);
            vec![u, s, v]
        }
        "norm" => {
            let ord = match ord {
                None => NormOrd::Default,
                Some("fro") => NormOrd::Fro,
                Some("1") => NormOrd::One,
                Some("2") => NormOrd::Two,
                Some("inf") => NormOrd::Inf,
                Some("-inf") => NormOrd::NegInf,
                Some(other) => {
                    return Err(PyValueError::new_err(format!(
                        "norm: ord {other:?} is not supported; use None, 'fro', 1, 2, inf or -inf"
                    )));
                }
            };
            vec![dyn_linalg::norm(&a.inner, ord)]
        }
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown linalg function {other:?}"
            )));
        }
    };
    out.into_iter().map(PyArr::checked).collect()
}
