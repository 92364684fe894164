//! Zarr metadata for Python: one array's ([`zarr_array_info`]) and a group's arrays
//! ([`zarr_list_group`]), handed over as JSON text that `spillway.array.zarr_io` turns into
//! `ZarrArrayInfo` objects, and user attributes parsed from the JSON text Python sends.

use crate::errors::to_pyerr;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde_json::{Map, Value, json};
use spillway::store::zarr::{ZarrArrayInfo, array_info, list_group};

/// `text` (Python's `json.dumps` of the attributes) as a JSON object.
pub fn attributes_from_json(text: &str) -> PyResult<Map<String, Value>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(PyValueError::new_err(format!(
            "attributes must be a dict of JSON values, got {other}"
        ))),
        Err(e) => Err(PyValueError::new_err(format!(
            "attributes are not valid JSON: {e}"
        ))),
    }
}

fn info_json(info: &ZarrArrayInfo) -> Value {
    json!({
        "name": info.name,
        "path": info.path.display().to_string(),
        "zarr_format": info.zarr_format,
        "shape": info.shape,
        "chunks": info.chunk_shape,
        "shards": info.shard_shape,
        "data_type": info.data_type,
        "dimension_names": info.dimension_names,
        "attributes": info.attributes,
    })
}

/// The metadata of the zarr array at `path`, as JSON text.
#[pyfunction]
pub fn zarr_array_info(path: std::path::PathBuf) -> PyResult<String> {
    let info = array_info(&path).map_err(|e| to_pyerr(e.into()))?;
    Ok(info_json(&info).to_string())
}

/// The arrays directly inside the zarr group at `path`, as JSON text (a list).
#[pyfunction]
pub fn zarr_list_group(path: std::path::PathBuf) -> PyResult<String> {
    let arrays = list_group(&path).map_err(|e| to_pyerr(e.into()))?;
    Ok(Value::from(arrays.iter().map(info_json).collect::<Vec<_>>()).to_string())
}
