//! The dtype of a stored zarr array, read from its metadata alone, for callers that learn
//! an array's element type at run time (`AnyArray::from_zarr`, the Python package).

use super::{Node, inspect, io_error};
use crate::dtype::DType;
use crate::store::StoreError;
use std::path::Path;

/// The element type of the zarr array at `path` (v3 `zarr.json`'s `data_type`, or v2
/// `.zarray`'s `dtype`), without opening its chunks.
///
/// ```
/// use spillway::DType;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("x.zarr");
/// spillway::arange(0i32, 10, 1, 4).to_zarr(&path).unwrap();
/// assert_eq!(spillway::store::zarr::stored_dtype(&path).unwrap(), DType::Int32);
/// assert!(spillway::store::zarr::stored_dtype(dir.path().join("none")).is_err());
/// ```
pub fn stored_dtype(path: impl AsRef<Path>) -> Result<DType, StoreError> {
    let path = path.as_ref();
    let location = path.display().to_string();
    let name = match inspect(path)? {
        Node::V3Array(json) => json
            .get("data_type")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        Node::V2Array => {
            let file = path.join(".zarray");
            let text = std::fs::read_to_string(&file).map_err(|e| io_error(&file, e))?;
            serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|json| {
                    json.get("dtype")
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                })
        }
        Node::Group => {
            return Err(StoreError::NotZarr {
                location,
                reason: "a zarr group, not an array; name one of its arrays".into(),
            });
        }
        Node::Other(reason) => return Err(StoreError::NotZarr { location, reason }),
    };
    let name = name.ok_or_else(|| StoreError::NotZarr {
        location: location.clone(),
        reason: "its metadata names no data type".into(),
    })?;
    DType::from_name(&name).ok_or_else(|| StoreError::DtypeMismatch {
        location,
        stored: name,
        requested: format!("one of {}", DType::ALL.map(DType::name).join(", ")),
    })
}
