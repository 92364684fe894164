//! What can go wrong reading and writing stores.

/// A store operation that failed; every variant names the store's location.
///
/// ```
/// use spillway::store::StoreError;
/// let e = StoreError::Io { location: "/data/x.zarr".into(), message: "Permission denied".into(), source: None };
/// assert!(e.to_string().contains("/data/x.zarr"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file system refused a read or a write.
    #[error("store {location}: {message}")]
    Io {
        /// The store, or the file in it.
        location: String,
        /// What went wrong, with what the operating system said.
        message: String,
        /// The operating system's error, where there was one (the `source()` of this
        /// error); zarrs's storage errors carry only their text.
        #[source]
        source: Option<IoSource>,
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
    /// The path exists but is not a zarr group whose arrays can be listed.
    #[error(
        "store {location}: not a zarr group ({reason}); give the path of a group (a directory with zarr.json whose node_type is \"group\", or .zgroup for zarr v2)"
    )]
    NotGroup {
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
        "store {location}: chunk {key} is corrupt or truncated: {reason}; rewrite it by writing the same array again with to_zarr_with(path, &ToZarr::default().repair(true)) (ZarrStore::verify lists every damaged chunk), or restore the file"
    )]
    CorruptChunk {
        /// The chunk's key in the store (`c/0/1`).
        key: String,
        /// The store's path.
        location: String,
        /// What the decoder said.
        reason: String,
    },
    /// A chunk file missing from a store that spillway recorded complete with every chunk
    /// written: the file was lost (deleted, or a copy left it out).
    #[error(
        "store {location}: chunk {key} is missing, but the store was marked complete with {recorded} chunk files written; rewrite it by writing the same array again with to_zarr_with(path, &ToZarr::default().repair(true)), restore the file, or read missing chunks as the fill value (zarr's rule) with from_zarr_with(path, &FromZarr::default().fill_missing(true))"
    )]
    MissingChunk {
        /// The chunk's key in the store (`c/0/1`; the shard's, when sharded).
        key: String,
        /// The store's path.
        location: String,
        /// Chunk files (shards) the completion record counts.
        recorded: u64,
    },
    /// Reading a store whose write was interrupted: some chunks may never have been
    /// written and would read as the fill value.
    #[error(
        "store {location}: incomplete (its write was interrupted before every chunk was written; zarr.json says \"spillway\": {{\"complete\": false}}); finish it with to_zarr_with(path, &ToZarr::default().resume(true)), or read it anyway, missing chunks as the fill value, with from_zarr_with(path, &FromZarr::default().allow_incomplete(true))"
    )]
    Incomplete {
        /// The store's path.
        location: String,
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
    /// Dimension names that do not fit the array: not one per axis. Raised when a store is
    /// created with them, and when a `zarr.json` read back lists them.
    #[error(
        "store {location}: {count} dimension names {names} for an array of {ndim} dimensions; give one name per axis (None, or null in zarr.json, for an unnamed axis)"
    )]
    DimensionNames {
        /// The store.
        location: String,
        /// The names given, as JSON (`["time", null]`).
        names: String,
        /// How many names were given.
        count: usize,
        /// The array's number of dimensions.
        ndim: usize,
    },
    /// A field of a store's metadata that is malformed (read back from `zarr.json`,
    /// `.zarray` or `.zattrs`), or user metadata that cannot be written (an attribute
    /// that spillway reserves).
    #[error("store {location}: metadata field {field:?} {message}")]
    Metadata {
        /// The store.
        location: String,
        /// The field (`dimension_names`, `attributes`, `shape`, ...).
        field: String,
        /// What is wrong with it and what would be accepted.
        message: String,
    },
    /// Any other failure reported by the zarr library.
    #[error("store {location}: {message}")]
    Zarr {
        /// The store.
        location: String,
        /// What zarrs said.
        message: String,
    },
    /// Spilling would take the spill directory past its disk quota.
    #[error(
        "spill quota exhausted: writing {req} more to spill directory {directory} would \
         exceed its {q} quota ({u} in use); raise the quota with {setting}, or give the \
         computation more memory",
        req = crate::util::size::format_bytes(*requested),
        q = crate::util::size::format_bytes(*quota),
        u = crate::util::size::format_bytes(*used)
    )]
    SpillQuotaExceeded {
        /// The spill directory.
        directory: String,
        /// The directory's quota in bytes.
        quota: u64,
        /// Bytes its spill files held when the write was refused.
        used: u64,
        /// Bytes the refused write asked for.
        requested: u64,
        /// The setting that gave the quota, as the user wrote it
        /// (`Client::builder().spill_quota(..)`, `SpillDir::builder().quota(..)`, the
        /// `SPILLWAY_SPILL_QUOTA` environment variable).
        setting: String,
    },
    /// The file system holding the spill directory has no space left.
    #[error(
        "disk full: cannot write {req} more to spill directory {directory} ({message}); \
         free space there, or spill elsewhere with SpillDir::builder().parent(..) or the \
         SPILLWAY_SPILL_DIR environment variable",
        req = crate::util::size::format_bytes(*requested)
    )]
    DiskFull {
        /// The spill directory.
        directory: String,
        /// Bytes the failed write asked for.
        requested: u64,
        /// What the operating system said.
        message: String,
    },
    /// A spill file that does not decode (truncated, overwritten or not a spill file).
    #[error("corrupt spill file {file}: {message}")]
    CorruptSpill {
        /// The file.
        file: String,
        /// What is wrong with it.
        message: String,
    },
    /// A spill setting (builder argument or environment variable) that cannot be used.
    #[error("invalid spill setting {setting} = {value:?}: {reason}")]
    InvalidSpillSetting {
        /// The setting (`SPILLWAY_SPILL_QUOTA`, `SpillDir::builder().parent(..)`).
        setting: String,
        /// The value given.
        value: String,
        /// Why it cannot be used, and what would.
        reason: String,
    },
    /// A chunk index outside the store's grid, or chunk data of the wrong length.
    #[error("store {location}: chunk {index:?}: {message}")]
    BadChunk {
        /// The store.
        location: String,
        /// The chunk's grid index.
        index: Vec<usize>,
        /// What does not fit, with the numbers.
        message: String,
    },
    /// The element type is not one of spillway's thirteen dtypes, so its bytes cannot be spilled.
    #[error(
        "cannot spill elements of type {type_name}: only spillway's element types ({}) can be spilled",
        crate::dtype::DType::rust_names()
    )]
    UnsupportedElement {
        /// The Rust type.
        type_name: String,
    },
    /// A store that holds chunks in memory could not reserve them from the memory budget
    /// (and could not spill them, because spilling is disabled).
    #[error(transparent)]
    Memory(#[from] crate::memory::MemoryError),
}

/// The Rust element type for a zarr data type name, for hints.
fn rust_type(zarr: &str) -> &str {
    crate::dtype::DType::from_name(zarr).map_or(zarr, |d| d.rust_name())
}

/// An operating-system error kept as the `source()` of a [`StoreError::Io`]: shared so the
/// error stays `Clone`, and equal to another when their kind and text are.
///
/// ```
/// use spillway::store::{IoSource, StoreError};
/// use std::error::Error;
/// let os = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "Permission denied");
/// let e = StoreError::io("/data/x.zarr", "cannot write", os);
/// assert_eq!(e.to_string(), "store /data/x.zarr: cannot write: Permission denied");
/// let source = e.source().unwrap().downcast_ref::<IoSource>().unwrap();
/// assert_eq!(source.kind(), std::io::ErrorKind::PermissionDenied);
/// ```
#[derive(Debug, Clone)]
pub struct IoSource(std::sync::Arc<std::io::Error>);

impl IoSource {
    /// The operating system's error.
    ///
    /// ```
    /// let s = spillway::store::IoSource::from(std::io::Error::other("full"));
    /// assert_eq!(s.error().to_string(), "full");
    /// ```
    pub fn error(&self) -> &std::io::Error {
        &self.0
    }

    /// Its kind.
    ///
    /// ```
    /// let s = spillway::store::IoSource::from(std::io::Error::from(std::io::ErrorKind::NotFound));
    /// assert_eq!(s.kind(), std::io::ErrorKind::NotFound);
    /// ```
    pub fn kind(&self) -> std::io::ErrorKind {
        self.0.kind()
    }
}

impl From<std::io::Error> for IoSource {
    fn from(e: std::io::Error) -> Self {
        IoSource(std::sync::Arc::new(e))
    }
}

impl PartialEq for IoSource {
    fn eq(&self, other: &Self) -> bool {
        self.kind() == other.kind() && self.0.to_string() == other.0.to_string()
    }
}

impl std::fmt::Display for IoSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for IoSource {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}

impl StoreError {
    /// A file-system failure at `location`: `what` was being done, `e` is the operating
    /// system's error, kept as the `source()`.
    ///
    /// ```
    /// use spillway::store::StoreError;
    /// let e = StoreError::io("/tmp/s", "cannot read spill file", std::io::Error::other("EIO"));
    /// assert_eq!(e.to_string(), "store /tmp/s: cannot read spill file: EIO");
    /// ```
    pub fn io(location: impl Into<String>, what: &str, e: std::io::Error) -> Self {
        let message = if what.is_empty() {
            e.to_string()
        } else {
            format!("{what}: {e}")
        };
        StoreError::Io {
            location: location.into(),
            message,
            source: Some(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DType;

    #[test]
    fn the_dtype_hint_names_the_rust_type_of_every_dtype() {
        for d in DType::ALL {
            assert_eq!(rust_type(d.name()), d.rust_name(), "{d}");
        }
        assert_eq!(rust_type("<U8"), "<U8");
    }
}
