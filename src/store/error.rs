//! What can go wrong reading and writing stores.

/// A store operation that failed; every variant names the store's location.
///
/// ```
/// use spillway::store::StoreError;
/// let e = StoreError::Io { location: "/data/x.zarr".into(), message: "Permission denied".into() };
/// assert!(e.to_string().contains("/data/x.zarr"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// The file system refused a read or a write.
    #[error("store {location}: {message}")]
    Io {
        /// The store, or the file in it.
        location: String,
        /// What the operating system said.
        message: String,
    },
    /// Nothing exists at the path that was opened.
    #[error(
        "store {location}: no such file or directory; create it first (to_zarr or ZarrStore::create)"
    )]
    NotFound {
        /// The path.
        location: String,
    },
    /// The path exists but holds no zarr array that can be opened.
    #[error(
        "store {location}: not a zarr array ({reason}); give the path of an array (a directory with zarr.json, or .zarray for zarr v2), or the group and the array's name"
    )]
    NotZarr {
        /// The path.
        location: String,
        /// What was found instead.
        reason: String,
    },
    /// The array holds another element type than the one asked for.
    #[error("store {location}: holds {stored} elements, not {requested}; open it as {stored} (e.g. from_zarr::<{rust}>)", rust = rust_type(stored))]
    DtypeMismatch {
        /// The path.
        location: String,
        /// The stored data type (zarr's name).
        stored: String,
        /// The element type asked for.
        requested: String,
    },
    /// A chunk's bytes on disk cannot be decoded: corrupt or truncated.
    #[error(
        "store {location}: chunk {key} is corrupt or truncated: {reason}; rewrite the chunk (resume the write) or restore the file"
    )]
    CorruptChunk {
        /// The chunk's key in the store (`c/0/1`).
        key: String,
        /// The store's path.
        location: String,
        /// What the decoder said.
        reason: String,
    },
    /// A shape, chunk shape, chunk index or buffer length that does not fit the array.
    #[error("store {location}: {message}")]
    Shape {
        /// The store.
        location: String,
        /// What does not fit, with the values (`got chunk index [3, 0], the grid is [2, 2]`).
        message: String,
    },
    /// A write to a store that was opened for reading only (zarr v2, or `open`).
    #[error("store {location}: opened read-only ({reason}); {fix}")]
    ReadOnly {
        /// The store.
        location: String,
        /// Why it is read-only.
        reason: String,
        /// What to do instead.
        fix: String,
    },
    /// Creating a store where one exists already, without `overwrite`.
    #[error(
        "store {location}: already exists; set ZarrOptions {{ overwrite: true, .. }} to replace it or resume it with ZarrStore::resume"
    )]
    AlreadyExists {
        /// The path.
        location: String,
    },
    /// Any other failure reported by the zarr library.
    #[error("store {location}: {message}")]
    Zarr {
        /// The store.
        location: String,
        /// What zarrs said.
        message: String,
    },
}

/// The Rust element type for a zarr data type name, for hints.
fn rust_type(zarr: &str) -> &str {
    match zarr {
        "float64" => "f64",
        "float32" => "f32",
        "int64" => "i64",
        "int32" => "i32",
        "uint64" => "u64",
        "uint32" => "u32",
        "uint8" => "u8",
        "bool" => "bool",
        other => other,
    }
}
