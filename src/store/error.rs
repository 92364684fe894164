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
    /// Spilling would take the spill directory past its disk quota.
    #[error(
        "spill quota exhausted: writing {req} more to spill directory {directory} would \
         exceed its {q} quota ({u} in use); raise the quota with \
         SpillDir::builder().quota(..) or the SPILLWAY_SPILL_QUOTA environment variable \
         (e.g. SPILLWAY_SPILL_QUOTA=200GB), or give the computation more memory",
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
    /// The element type is not one of spillway's eight dtypes, so its bytes cannot be spilled.
    #[error(
        "cannot spill elements of type {type_name}: only f64, f32, i64, i32, u64, u32, u8 and bool can be spilled"
    )]
    UnsupportedElement {
        /// The Rust type.
        type_name: String,
    },
    /// A store that holds chunks in memory could not reserve them from the memory budget
    /// (and could not spill them, because spilling is disabled).
    #[error(transparent)]
    Memory(#[from] crate::exec::budget::MemoryError),
}
