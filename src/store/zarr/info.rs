//! What xarray and zarr-python users keep beside an array's values: its dimension names
//! and user attributes, and the arrays of a group. [`ZarrStore::dimension_names`] and
//! [`ZarrStore::attributes`] give an open store's; [`array_info`] reads one array's
//! metadata without opening it, and [`list_group`] lists a group's arrays (name, shape,
//! chunks, dtype, names, attributes).
//!
//! Metadata read back is untrusted: a `dimension_names` that is not a list of strings and
//! nulls, one name per axis, or `attributes` that is not a JSON object, is a typed
//! [`StoreError`] naming the store and the field, never a panic.
//!
//! ```
//! use spillway::store::zarr::{ZarrOptions, ZarrStore, create_group, list_group};
//! let dir = tempfile::tempdir().unwrap();
//! let group = dir.path().join("g.zarr");
//! create_group(&group).unwrap();
//! let o = ZarrOptions { dimension_names: Some(vec![Some("time".into()), None]), ..Default::default() };
//! ZarrStore::<f32>::create(group.join("t2m"), &[4, 3], &[2, 3], &o).unwrap();
//! let arrays = list_group(&group).unwrap();
//! assert_eq!(arrays[0].name, "t2m");
//! assert_eq!(arrays[0].shape, [4, 3]);
//! assert_eq!(arrays[0].data_type, "float32");
//! assert_eq!(arrays[0].dimension_names, Some(vec![Some("time".to_string()), None]));
//! ```

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{MARKER_KEY, Node, ZarrStore, inspect, io_error, limits};
use crate::dtype::{DType, Element};
use crate::store::StoreError;

/// What can name one axis: a string for a named axis, `None` for an unnamed one (zarrs's
/// `IntoDimensionName`, which its `ArrayBuilder::dimension_names` takes).
///
/// ```
/// use spillway::store::zarr::IntoDimensionName;
/// assert_eq!("time".into_dimension_name(), Some("time".to_string()));
/// assert_eq!(None::<&str>.into_dimension_name(), None);
/// ```
pub trait IntoDimensionName {
    /// The axis's name, `None` when it is unnamed.
    fn into_dimension_name(self) -> Option<String>;
}

impl IntoDimensionName for &str {
    fn into_dimension_name(self) -> Option<String> {
        Some(self.to_string())
    }
}

impl IntoDimensionName for String {
    fn into_dimension_name(self) -> Option<String> {
        Some(self)
    }
}

impl IntoDimensionName for Option<&str> {
    fn into_dimension_name(self) -> Option<String> {
        self.map(str::to_string)
    }
}

impl IntoDimensionName for Option<String> {
    fn into_dimension_name(self) -> Option<String> {
        self
    }
}

/// One zarr array's metadata, read without opening its chunks ([`array_info`],
/// [`list_group`]).
///
/// ```
/// use spillway::store::zarr::array_info;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("x.zarr");
/// spillway::arange(0i64, 10, 1, 4).to_zarr(&path).unwrap();
/// let info = array_info(&path).unwrap();
/// assert_eq!((info.shape.clone(), info.chunk_shape.clone()), (vec![10], Some(vec![4])));
/// assert_eq!(info.dtype(), Some(spillway::DType::Int64));
/// assert!(info.attributes.is_empty()); // spillway's completion record is left out
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ZarrArrayInfo {
    /// The array's name: its directory's name (inside the group, for [`list_group`]).
    pub name: String,
    /// The array's path.
    pub path: PathBuf,
    /// 3 for `zarr.json`, 2 for `.zarray`.
    pub zarr_format: u8,
    /// Extent per axis.
    pub shape: Vec<usize>,
    /// The chunk shape (the inner chunks of a sharded array); `None` for a chunk grid
    /// that is not regular.
    pub chunk_shape: Option<Vec<usize>>,
    /// The shard shape of a sharded array.
    pub shard_shape: Option<Vec<usize>>,
    /// The stored data type: spillway's name (`float64`, ...) for the dtypes it reads,
    /// the store's own text for the others (`<U8`, `datetime64[ns]`).
    pub data_type: String,
    /// zarr v3's `dimension_names`, or xarray's `_ARRAY_DIMENSIONS` attribute of a zarr
    /// v2 array; `None` when the store names none.
    pub dimension_names: Option<Vec<Option<String>>>,
    /// The user attributes, without spillway's completion record (`"spillway"`).
    pub attributes: Map<String, Value>,
}

impl ZarrArrayInfo {
    /// The element type when spillway reads it (`None` for strings, datetimes, ...).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("x.zarr");
    /// spillway::zeros::<u8>([3], 3).to_zarr(&path).unwrap();
    /// let info = spillway::store::zarr::array_info(&path).unwrap();
    /// assert_eq!(info.dtype(), Some(spillway::DType::UInt8));
    /// ```
    pub fn dtype(&self) -> Option<DType> {
        DType::from_name(&self.data_type)
    }
}

/// The metadata of the zarr array at `path` (v3 or v2), without opening its chunks.
///
/// Errors: [`StoreError::NotFound`]; [`StoreError::NotZarr`] for a group or a directory
/// that is not zarr; [`StoreError::Metadata`] and [`StoreError::DimensionNames`] for
/// malformed metadata.
///
/// ```
/// use spillway::store::{StoreError, zarr::array_info};
/// assert!(matches!(array_info("/no/such/x.zarr"), Err(StoreError::NotFound { .. })));
/// ```
pub fn array_info(path: impl AsRef<Path>) -> Result<ZarrArrayInfo, StoreError> {
    let path = path.as_ref();
    let location = path.display().to_string();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match inspect(path)? {
        Node::V3Array(json) => v3_info(&location, name, path, &json),
        Node::V2Array => v2_info(&location, name, path),
        Node::Group => Err(StoreError::NotZarr {
            location,
            reason: format!(
                "a zarr group holding arrays {:?}; list them with list_group(path)",
                super::group_children(path)
            ),
        }),
        Node::Other(reason) => Err(StoreError::NotZarr { location, reason }),
    }
}

/// The arrays directly inside the zarr group at `path` (v3 `zarr.json` or v2 `.zgroup`;
/// written by spillway, zarr-python, xarray or Dask), sorted by name. Sub-groups and
/// directories that are not zarr are left out; list a sub-group by its own path.
///
/// Errors: [`StoreError::NotFound`]; [`StoreError::NotGroup`] when `path` is an array or
/// not zarr; the errors of [`array_info`] for an array whose metadata is malformed.
///
/// ```
/// use spillway::store::zarr::{create_group, list_group};
/// let dir = tempfile::tempdir().unwrap();
/// let g = dir.path().join("g.zarr");
/// create_group(&g).unwrap();
/// spillway::zeros::<f64>([2, 3], 2).to_zarr(g.join("b")).unwrap();
/// spillway::zeros::<i32>([5], 2).to_zarr(g.join("a")).unwrap();
/// create_group(g.join("sub")).unwrap();
/// let names: Vec<String> = list_group(&g).unwrap().into_iter().map(|a| a.name).collect();
/// assert_eq!(names, ["a", "b"]);
/// assert!(list_group(g.join("a")).is_err()); // an array, not a group
/// ```
pub fn list_group(path: impl AsRef<Path>) -> Result<Vec<ZarrArrayInfo>, StoreError> {
    let path = path.as_ref();
    let location = path.display().to_string();
    match inspect(path)? {
        Node::Group => {}
        Node::V3Array(_) | Node::V2Array => {
            return Err(StoreError::NotGroup {
                location,
                reason: "an array; read its metadata with array_info(path)".into(),
            });
        }
        Node::Other(reason) => return Err(StoreError::NotGroup { location, reason }),
    }
    let mut children = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| io_error(path, e))? {
        let entry = entry.map_err(|e| io_error(path, e))?;
        let child = entry.path();
        if !child.is_dir() {
            continue;
        }
        if matches!(inspect(&child)?, Node::V3Array(_) | Node::V2Array) {
            children.push(child);
        }
    }
    children.sort();
    children.iter().map(array_info).collect()
}

/// The user metadata a [`ZarrStore`] holds: dimension names and attributes.
#[derive(Debug, Clone, Default)]
pub(super) struct UserMetadata {
    pub dimension_names: Option<Vec<Option<String>>>,
    pub attributes: Map<String, Value>,
}

impl<T: Element> ZarrStore<T> {
    /// The store's dimension names (zarr v3's `dimension_names`; xarray's
    /// `_ARRAY_DIMENSIONS` attribute for a zarr v2 array), one per axis, `None` for an
    /// unnamed axis; `None` when the store names no dimensions.
    ///
    /// ```
    /// use spillway::store::zarr::{ZarrOptions, ZarrStore};
    /// let dir = tempfile::tempdir().unwrap();
    /// let o = ZarrOptions { dimension_names: Some(vec![Some("x".into())]), ..Default::default() };
    /// ZarrStore::<f64>::create(dir.path().join("a"), &[4], &[2], &o).unwrap();
    /// let back = ZarrStore::<f64>::open(dir.path().join("a")).unwrap();
    /// assert_eq!(back.dimension_names(), Some(&[Some("x".to_string())][..]));
    /// ```
    pub fn dimension_names(&self) -> Option<&[Option<String>]> {
        self.user.dimension_names.as_deref()
    }

    /// The store's user attributes (zarr-python's and xarray's `attrs`), without
    /// spillway's completion record.
    ///
    /// ```
    /// use spillway::store::zarr::{ZarrOptions, ZarrStore};
    /// let dir = tempfile::tempdir().unwrap();
    /// let mut o = ZarrOptions::default();
    /// o.attributes.insert("units".into(), "K".into());
    /// ZarrStore::<f64>::create(dir.path().join("a"), &[4], &[2], &o).unwrap();
    /// let back = ZarrStore::<f64>::open(dir.path().join("a")).unwrap();
    /// assert_eq!(back.attributes()["units"], "K");
    /// assert!(!back.attributes().contains_key("spillway"));
    /// ```
    pub fn attributes(&self) -> &Map<String, Value> {
        &self.user.attributes
    }
}

/// Checks names to be written for an array of `ndim` dimensions: one per axis.
pub(crate) fn check_dimension_names(
    location: &str,
    names: &[Option<String>],
    ndim: usize,
) -> Result<(), StoreError> {
    if names.len() == ndim {
        return Ok(());
    }
    Err(StoreError::DimensionNames {
        location: location.to_string(),
        names: Value::from(names.to_vec()).to_string(),
        count: names.len(),
        ndim,
    })
}

/// Checks user attributes to be written: spillway's own key is refused.
pub(crate) fn check_attributes(
    location: &str,
    attributes: &Map<String, Value>,
) -> Result<(), StoreError> {
    if !attributes.contains_key(MARKER_KEY) {
        return Ok(());
    }
    Err(StoreError::Metadata {
        location: location.to_string(),
        field: format!("attributes.{MARKER_KEY}"),
        message: format!(
            "is spillway's own record of an unfinished write and cannot be a user attribute; rename the attribute (e.g. \"{MARKER_KEY}_user\")"
        ),
    })
}

fn malformed(location: &str, field: &str, message: impl Into<String>) -> StoreError {
    StoreError::Metadata {
        location: location.to_string(),
        field: field.to_string(),
        message: message.into(),
    }
}

/// A short description of a JSON value for error messages (at most 80 characters).
fn describe(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

/// `dimension_names` as read from disk: absent or null is `None`; otherwise a list of
/// strings and nulls, one per axis of an array of `ndim` dimensions.
fn parse_dimension_names(
    location: &str,
    field: &str,
    value: Option<&Value>,
    ndim: usize,
) -> Result<Option<Vec<Option<String>>>, StoreError> {
    let list = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(list)) => list,
        Some(other) => {
            return Err(malformed(
                location,
                field,
                format!(
                    "is {}, not a list of names; zarr v3 wants a list of strings and nulls, one per axis",
                    describe(other)
                ),
            ));
        }
    };
    let mut names = Vec::with_capacity(list.len().min(ndim + 1));
    for (axis, name) in list.iter().enumerate() {
        match name {
            Value::String(s) => names.push(Some(s.clone())),
            Value::Null => names.push(None),
            other => {
                return Err(malformed(
                    location,
                    field,
                    format!(
                        "has {} for axis {axis}; each name must be a string or null",
                        describe(other)
                    ),
                ));
            }
        }
    }
    check_dimension_names(location, &names, ndim)?;
    Ok(Some(names))
}

/// `attributes` as read from disk: absent or null is empty; otherwise a JSON object,
/// returned without spillway's completion record.
fn parse_attributes(
    location: &str,
    field: &str,
    value: Option<&Value>,
) -> Result<Map<String, Value>, StoreError> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => {
            let mut map = map.clone();
            map.remove(MARKER_KEY);
            Ok(map)
        }
        Some(other) => Err(malformed(
            location,
            field,
            format!("is {}, not a JSON object of attributes", describe(other)),
        )),
    }
}

/// A list of lengths (`shape`, `chunk_shape`), each a non-negative integer that fits
/// this machine's `usize`; with `positive`, each at least 1.
fn parse_lengths(
    location: &str,
    field: &str,
    value: Option<&Value>,
    positive: bool,
) -> Result<Vec<usize>, StoreError> {
    let Some(Value::Array(list)) = value else {
        return Err(malformed(
            location,
            field,
            format!(
                "is {}, not a list of lengths",
                value.map(describe).unwrap_or_else(|| "missing".into())
            ),
        ));
    };
    list.iter()
        .map(|v| {
            v.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .filter(|&n| !positive || n > 0)
                .ok_or_else(|| {
                    malformed(
                        location,
                        field,
                        format!(
                            "has {}; every length must be an integer of at least {}",
                            describe(v),
                            u8::from(positive)
                        ),
                    )
                })
        })
        .collect()
}

/// The shape of an array's metadata, with its element count checked.
fn parse_shape(location: &str, value: Option<&Value>) -> Result<Vec<usize>, StoreError> {
    let shape = parse_lengths(location, "shape", value, false)?;
    let elements = shape
        .iter()
        .try_fold(1u64, |n, &v| n.checked_mul(v as u64))
        .filter(|&n| n <= limits::MAX_ELEMENTS);
    if elements.is_none() {
        return Err(StoreError::Shape {
            location: location.to_string(),
            message: format!(
                "its shape {shape:?} has more than {} elements (its size in bytes overflows); the metadata is corrupt or not meant for this machine",
                limits::MAX_ELEMENTS
            ),
        });
    }
    Ok(shape)
}

/// A chunk shape that must have one length of at least 1 per axis of `shape`.
fn parse_chunk_shape(
    location: &str,
    field: &str,
    value: Option<&Value>,
    ndim: usize,
) -> Result<Vec<usize>, StoreError> {
    let chunks = parse_lengths(location, field, value, true)?;
    if chunks.len() != ndim {
        return Err(malformed(
            location,
            field,
            format!(
                "{chunks:?} has {} lengths for an array of {ndim} dimensions",
                chunks.len()
            ),
        ));
    }
    Ok(chunks)
}

/// The user metadata of a v3 array's `zarr.json`.
pub(super) fn v3_user_metadata(location: &str, json: &Value) -> Result<UserMetadata, StoreError> {
    let ndim = parse_shape(location, json.get("shape"))?.len();
    Ok(UserMetadata {
        dimension_names: parse_dimension_names(
            location,
            "dimension_names",
            json.get("dimension_names"),
            ndim,
        )?,
        attributes: parse_attributes(location, "attributes", json.get("attributes"))?,
    })
}

/// The user metadata of a v2 array: `.zattrs`, with xarray's `_ARRAY_DIMENSIONS` as the
/// dimension names.
pub(super) fn v2_user_metadata(path: &Path) -> Result<UserMetadata, StoreError> {
    let location = path.display().to_string();
    let zarray = read_json(path, ".zarray")?.unwrap_or(Value::Null);
    let ndim = parse_shape(&location, zarray.get("shape"))?.len();
    let zattrs = read_json(path, ".zattrs")?;
    let attributes = parse_attributes(&location, ".zattrs", zattrs.as_ref())?;
    let dimension_names = parse_dimension_names(
        &location,
        ".zattrs._ARRAY_DIMENSIONS",
        attributes.get("_ARRAY_DIMENSIONS"),
        ndim,
    )?;
    Ok(UserMetadata {
        dimension_names,
        attributes,
    })
}

/// The JSON document `name` inside `dir`, `None` when there is no such file; files over
/// the metadata limit and text that is not JSON are [`StoreError::Metadata`].
fn read_json(dir: &Path, name: &str) -> Result<Option<Value>, StoreError> {
    let file = dir.join(name);
    let location = dir.display().to_string();
    let len = match std::fs::metadata(&file) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(&file, e)),
    };
    if len > limits::MAX_METADATA_BYTES {
        return Err(malformed(
            &location,
            name,
            format!(
                "is {len} bytes; metadata of more than {} bytes is not read",
                limits::MAX_METADATA_BYTES
            ),
        ));
    }
    let text = std::fs::read(&file).map_err(|e| io_error(&file, e))?;
    serde_json::from_slice(&text)
        .map(Some)
        .map_err(|e| malformed(&location, name, format!("is not valid JSON: {e}")))
}

/// A data type's name as the store gives it: v3's string, or the `name` of an extension
/// type's object; v2's NumPy type string (`<f8`), or its list for a structured type.
fn data_type_name(
    location: &str,
    field: &str,
    value: Option<&Value>,
) -> Result<String, StoreError> {
    let text = match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => match o.get("name") {
            Some(Value::String(s)) => s.clone(),
            _ => {
                return Err(malformed(
                    location,
                    field,
                    "is an object without a \"name\"",
                ));
            }
        },
        Some(list @ Value::Array(_)) => describe(list),
        other => {
            return Err(malformed(
                location,
                field,
                format!(
                    "is {}, not a data type",
                    other.map(describe).unwrap_or_else(|| "missing".into())
                ),
            ));
        }
    };
    Ok(match DType::from_name(&text) {
        Some(dtype) => dtype.name().to_string(),
        None => text,
    })
}

fn v3_info(
    location: &str,
    name: String,
    path: &Path,
    json: &Value,
) -> Result<ZarrArrayInfo, StoreError> {
    let shape = parse_shape(location, json.get("shape"))?;
    let user = v3_user_metadata(location, json)?;
    let data_type = data_type_name(location, "data_type", json.get("data_type"))?;
    let grid = match json.pointer("/chunk_grid/name").and_then(Value::as_str) {
        Some("regular") => Some(parse_chunk_shape(
            location,
            "chunk_grid.configuration.chunk_shape",
            json.pointer("/chunk_grid/configuration/chunk_shape"),
            shape.len(),
        )?),
        _ => None,
    };
    let first_codec = json.pointer("/codecs/0");
    let sharded = first_codec
        .and_then(|c| c.get("name"))
        .and_then(Value::as_str)
        == Some("sharding_indexed");
    let (chunk_shape, shard_shape) = match (grid, sharded) {
        (Some(shard), true) => {
            let inner = parse_chunk_shape(
                location,
                "codecs[0].configuration.chunk_shape",
                first_codec.and_then(|c| c.pointer("/configuration/chunk_shape")),
                shape.len(),
            )?;
            (Some(inner), Some(shard))
        }
        (grid, _) => (grid, None),
    };
    Ok(ZarrArrayInfo {
        name,
        path: path.to_path_buf(),
        zarr_format: 3,
        shape,
        chunk_shape,
        shard_shape,
        data_type,
        dimension_names: user.dimension_names,
        attributes: user.attributes,
    })
}

fn v2_info(location: &str, name: String, path: &Path) -> Result<ZarrArrayInfo, StoreError> {
    let zarray = read_json(path, ".zarray")?.unwrap_or(Value::Null);
    let shape = parse_shape(location, zarray.get("shape"))?;
    let chunk_shape = parse_chunk_shape(location, "chunks", zarray.get("chunks"), shape.len())?;
    let data_type = data_type_name(location, "dtype", zarray.get("dtype"))?;
    let user = v2_user_metadata(path)?;
    Ok(ZarrArrayInfo {
        name,
        path: path.to_path_buf(),
        zarr_format: 2,
        shape,
        chunk_shape: Some(chunk_shape),
        shard_shape: None,
        data_type,
        dimension_names: user.dimension_names,
        attributes: user.attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(r: Result<impl std::fmt::Debug, StoreError>) -> StoreError {
        r.expect_err("malformed metadata must be refused")
    }

    #[test]
    fn malformed_dimension_names_are_typed_errors() {
        let meta = |names: Value| json!({"shape": [2, 3], "dimension_names": names});
        let e = err(v3_user_metadata("s", &meta(json!("time"))));
        assert!(e.to_string().contains("not a list of names"), "{e}");
        let e = err(v3_user_metadata("s", &meta(json!(["a", 3]))));
        assert!(e.to_string().contains("3 for axis 1"), "{e}");
        let e = err(v3_user_metadata("s", &meta(json!(["a"]))));
        assert!(
            matches!(
                e,
                StoreError::DimensionNames {
                    count: 1,
                    ndim: 2,
                    ..
                }
            ),
            "{e}"
        );
        let ok = v3_user_metadata("s", &meta(json!(["a", null]))).unwrap();
        assert_eq!(ok.dimension_names, Some(vec![Some("a".into()), None]));
        let none = v3_user_metadata("s", &meta(Value::Null)).unwrap();
        assert_eq!(none.dimension_names, None);
    }

    #[test]
    fn malformed_attributes_and_shapes_are_typed_errors() {
        let e = err(v3_user_metadata(
            "s",
            &json!({"shape": [2], "attributes": [1]}),
        ));
        assert!(
            matches!(&e, StoreError::Metadata { field, .. } if field == "attributes"),
            "{e}"
        );
        let e = err(v3_user_metadata("s", &json!({"shape": "big"})));
        assert!(e.to_string().contains("\"shape\""), "{e}");
        let e = err(v3_user_metadata("s", &json!({"shape": [-1]})));
        assert!(e.to_string().contains("-1"), "{e}");
        let e = err(v3_user_metadata(
            "s",
            &json!({"shape": [u64::MAX, u64::MAX]}),
        ));
        assert!(matches!(e, StoreError::Shape { .. }), "{e}");
        let long = "x".repeat(1000);
        let e = err(v3_user_metadata(
            "s",
            &json!({"shape": [1], "attributes": long}),
        ));
        assert!(e.to_string().len() < 400, "{e}");
        let attrs = v3_user_metadata(
            "s",
            &json!({"shape": [1], "attributes": {"units": "K", "spillway": {"complete": true}}}),
        )
        .unwrap()
        .attributes;
        assert_eq!(Value::Object(attrs), json!({"units": "K"}));
    }

    #[test]
    fn data_type_names() {
        let name = |v: Value| data_type_name("s", "dtype", Some(&v)).unwrap();
        assert_eq!(name(json!("<f8")), "float64");
        assert_eq!(name(json!("complex128")), "complex128");
        assert_eq!(
            name(json!({"name": "numpy.datetime64"})),
            "numpy.datetime64"
        );
        assert!(data_type_name("s", "dtype", Some(&json!(7))).is_err());
        assert!(data_type_name("s", "dtype", None).is_err());
    }
}
