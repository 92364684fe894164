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
}
