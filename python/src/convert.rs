//! Conversions between Python values and spillway's: chunk specifications, dtype names,
//! scalars, index tuples, and computed values to NumPy arrays (handed over without a
//! copy: the NumPy array owns spillway's buffer).

use crate::elements::NumpyElement;
use numpy::IntoPyArray;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyComplex, PyFloat, PyInt, PyList, PyString, PyTuple};
use spillway::array::dynamic::{AnyValues, Scalar};
use spillway::dtype::{Complex64, Complex128};
use spillway::{ChunkSpec, DType, IndexElem};

/// A dtype from its NumPy name (`"float64"`, `"f8"`, `"<i4"`, `"bool"`, `"<c16"`).
pub fn dtype_of(name: &str) -> PyResult<DType> {
    DType::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = DType::ALL.iter().map(|d| d.name()).collect();
        PyTypeError::new_err(format!(
            "dtype {name:?} is not supported by spillway; use one of {}",
            names.join(", ")
        ))
    })
}

/// A chunk specification: an int (every axis; -1 one chunk), a string (`"auto"`,
/// `"128MiB"`), a tuple of ints per axis (-1 or None: the whole axis), or a tuple of
/// tuples (explicit lengths).
pub fn chunk_spec(chunks: &Bound<'_, PyAny>, shape: &[usize]) -> PyResult<ChunkSpec> {
    if let Ok(s) = chunks.cast::<PyString>() {
        return Ok(ChunkSpec::Bytes(s.to_cow()?.into_owned()));
    }
    if chunks.is_instance_of::<PyInt>() {
        let n: i64 = chunks.extract()?;
        return Ok(match n {
            -1 => ChunkSpec::Uniform(usize::MAX),
            n if n < 0 => ChunkSpec::Negative(n),
            n => ChunkSpec::Uniform(n as usize),
        });
    }
    let items: Vec<Bound<'_, PyAny>> = chunks
        .try_iter()
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "chunks must be an int, a string such as 'auto' or '128MiB', or a tuple per axis; got {}",
                chunks.repr().map(|r| r.to_string()).unwrap_or_default()
            ))
        })?
        .collect::<PyResult<_>>()?;
    if items.len() != shape.len() {
        return Err(PyValueError::new_err(format!(
            "chunks {} has {} entries but the array has {} dimensions; give one entry per axis",
            chunks.repr()?,
            items.len(),
            shape.len()
        )));
    }
    if items
        .iter()
        .any(|i| i.cast::<PyTuple>().is_ok() || i.cast::<PyList>().is_ok())
    {
        let mut explicit = Vec::with_capacity(items.len());
        for (axis, item) in items.iter().enumerate() {
            if item.is_instance_of::<PyInt>() || item.is_none() {
                let n: Option<i64> = item.extract()?;
                let extent = shape[axis];
                let c = match n {
                    None | Some(-1) => extent.max(1),
                    Some(n) if n > 0 => n as usize,
                    Some(n) => return Ok(ChunkSpec::Negative(n)),
                };
                explicit.push(regular(extent, c));
            } else {
                let lengths: Vec<usize> = item.extract()?;
                explicit.push(lengths);
            }
        }
        return Ok(ChunkSpec::Explicit(explicit));
    }
    let mut per_axis = Vec::with_capacity(items.len());
    for (axis, item) in items.iter().enumerate() {
        let n: Option<i64> = item.extract()?;
        per_axis.push(match n {
            None | Some(-1) => shape[axis].max(1),
            Some(n) if n >= 0 => n as usize,
            Some(n) => return Ok(ChunkSpec::Negative(n)),
        });
    }
    Ok(ChunkSpec::PerAxis(per_axis))
}

fn regular(extent: usize, chunk: usize) -> Vec<usize> {
    if extent == 0 {
        return vec![0];
    }
    let mut out = vec![chunk; extent / chunk];
    if !extent.is_multiple_of(chunk) {
        out.push(extent % chunk);
    }
    out
}

/// A Python number as a weak scalar.
pub fn scalar_of(value: &Bound<'_, PyAny>) -> PyResult<Scalar> {
    if value.is_instance_of::<PyBool>() {
        return Ok(Scalar::Bool(value.extract()?));
    }
    if value.is_instance_of::<PyInt>() {
        return value.extract::<i64>().map(Scalar::Int).map_err(|_| {
            PyValueError::new_err(format!(
                "the integer {} does not fit in 64 bits",
                value.repr().map(|r| r.to_string()).unwrap_or_default()
            ))
        });
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(Scalar::Float(value.extract()?));
    }
    if let Ok(z) = value.cast::<PyComplex>() {
        return Ok(Scalar::Complex(z.real(), z.imag()));
    }
    // NumPy scalars and 0-d arrays: by their value's kind
    if let Ok(kind) = value.getattr("dtype").and_then(|d| d.getattr("kind")) {
        let kind: String = kind.extract()?;
        if kind == "i" || kind == "u" {
            return Ok(Scalar::Int(value.extract()?));
        }
        if kind == "f" {
            return Ok(Scalar::Float(value.extract()?));
        }
        if kind == "b" {
            return Ok(Scalar::Bool(value.extract()?));
        }
        if kind == "c" {
            let re: f64 = value.getattr("real")?.extract()?;
            let im: f64 = value.getattr("imag")?.extract()?;
            return Ok(Scalar::Complex(re, im));
        }
    }
    Err(PyTypeError::new_err(format!(
        "unsupported operand {} of type {}; use a number or an array",
        value.repr().map(|r| r.to_string()).unwrap_or_default(),
        value
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default()
    )))
}

/// One index element from the tuple the Python layer builds: `("slice", start, stop,
/// step)`, `("int", i)`, `("list", [..])`, `("mask", [..])`, `("newaxis",)`,
/// `("ellipsis",)`.
pub fn index_elem(item: &Bound<'_, PyAny>) -> PyResult<IndexElem> {
    let kind: String = item.get_item(0)?.extract()?;
    Ok(match kind.as_str() {
        "slice" => IndexElem::Slice {
            start: item.get_item(1)?.extract()?,
            stop: item.get_item(2)?.extract()?,
            step: item.get_item(3)?.extract()?,
        },
        "int" => IndexElem::Index(item.get_item(1)?.extract()?),
        "list" => IndexElem::List(item.get_item(1)?.extract()?),
        "mask" => IndexElem::Mask(item.get_item(1)?.extract()?),
        "newaxis" => IndexElem::NewAxis,
        "ellipsis" => IndexElem::Ellipsis,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown index kind {other:?}"
            )));
        }
    })
}

/// Computed values as a NumPy array that owns the buffer (no copy; complex values are
/// cast in place to NumPy's complex elements).
pub fn to_numpy(py: Python<'_>, values: AnyValues) -> PyResult<Py<PyAny>> {
    Ok(match values {
        AnyValues::Float64(v) => v.into_pyarray(py).into_any().unbind(),
        AnyValues::Float32(v) => v.into_pyarray(py).into_any().unbind(),
        AnyValues::Int64(v) => v.into_pyarray(py).into_any().unbind(),
        AnyValues::Int32(v) => v.into_pyarray(py).into_any().unbind(),
        AnyValues::Int16(v) => v.into_pyarray(py).into_any().unbind(),
        AnyValues::Int8(v) => v.into_pyarray(py).into_any().unbind(),
        AnyValues::UInt64(v) => v.into_pyarray(py).into_any().unbind(),
        AnyValues::UInt32(v) => v.into_pyarray(py).into_any().unbind(),
        AnyValues::UInt16(v) => v.into_pyarray(py).into_any().unbind(),
        AnyValues::UInt8(v) => v.into_pyarray(py).into_any().unbind(),
        AnyValues::Bool(v) => v.into_pyarray(py).into_any().unbind(),
        AnyValues::Complex64(v) => Complex64::into_np(v).into_pyarray(py).into_any().unbind(),
        AnyValues::Complex128(v) => Complex128::into_np(v).into_pyarray(py).into_any().unbind(),
        other => {
            return Err(PyTypeError::new_err(format!(
                "values of dtype {} cannot be handed to NumPy by this build of spillway; rebuild the package against the same spillway library",
                other.dtype()
            )));
        }
    })
}
