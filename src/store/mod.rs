//! Chunk stores: where chunked arrays live when they are not being computed.
//!
//! A [`ChunkStore`] reads and writes whole chunks of one array on a regular chunk grid
//! (edge chunks clipped to the array's shape). Stores compose as adapters in front of
//! one another: the zarr store on disk, an in-memory store, an LRU chunk cache charged to
//! the memory budget, a metrics adapter that counts chunks and bytes, and the spillable
//! store intermediates live in; [`IoMeter`] is how a store reports the bytes it moved.
//! The store layer knows nothing of graphs, clients or MPI: it imports only the
//! memory budget ([`crate::memory`]), element types and utilities below it.

pub(crate) mod bytes;
pub mod cache;
pub mod error;
mod identity;
pub mod memory;
pub mod meter;
pub mod metrics;
pub mod spill;
pub mod zarr;

pub use cache::{CacheStats, ChunkCache};
pub use error::{IoSource, StoreError};
pub use identity::StoreIdentity;
pub use memory::MemoryStore;
pub use meter::{IoCounts, IoMeter};
pub use metrics::{MetricsSnapshot, MetricsStore};
pub use zarr::{ZarrOptions, ZarrStore};

use crate::dtype::Element;

/// One array's chunks, read and written whole.
///
/// Chunk `index` is a position on the chunk grid; its values are the array's elements in
/// the box `index[d] * chunk_shape[d] .. min((index[d] + 1) * chunk_shape[d], shape[d])`,
/// row-major. Implementations are shared by worker threads.
pub trait ChunkStore<T: Element>: Send + Sync {
    /// The array's extent per axis.
    fn shape(&self) -> &[usize];
    /// The regular chunk shape (edge chunks are clipped to [`shape`](Self::shape)).
    fn chunk_shape(&self) -> &[usize];
    /// Reads chunk `index` into `out`, whose length is the clipped chunk's size. A chunk
    /// never written reads as the store's fill value.
    fn read_chunk(&self, index: &[usize], out: &mut [T]) -> Result<(), StoreError>;
    /// Writes chunk `index` from `data` (the clipped chunk's values), replacing it whole:
    /// a reader sees the old chunk or the new one, never a mix.
    fn write_chunk(&self, index: &[usize], data: &[T]) -> Result<(), StoreError>;
    /// Whether chunk `index` has been written (how a resumed write skips finished chunks).
    fn contains_chunk(&self, index: &[usize]) -> Result<bool, StoreError>;
    /// Where the store is, for messages (`"/data/x.zarr"`, `"memory"`).
    fn location(&self) -> String;
    /// Bytes one read or write of a chunk holds beyond the caller's buffer while it runs
    /// (the encoded chunk of a compressed store), so the planner can reserve them.
    fn io_scratch_bytes(&self) -> u64 {
        0
    }
    /// A hint that chunk `index` will be read soon. A store on files may have the
    /// operating system start reading it in the background (into its page cache, not
    /// this process's memory); the default ignores it. Never fails: a hint that cannot
    /// be taken is dropped.
    fn will_need(&self, _index: &[usize]) {}
    /// True when another process that opens the store at the same
    /// [`location`](Self::location) sees the chunks this one wrote (a store on a file
    /// system, such as [`ZarrStore`]): under MPI the ranks then split writes to it,
    /// each writing its share of the chunks. False (the default) for stores that live in
    /// one process; every rank then writes every chunk into its own copy.
    fn shared_between_processes(&self) -> bool {
        false
    }
    /// The directory the store's data lives in, when it is on a file system (a
    /// [`ZarrStore`]'s root); `None` (the default) for a store in memory. A write whose
    /// target is read by the same computation is refused by comparing these
    /// ([`StoreIdentity`]).
    fn local_path(&self) -> Option<&std::path::Path> {
        None
    }
}

/// The number of chunks along each axis of a grid.
///
/// ```
/// assert_eq!(spillway::store::grid_shape(&[10, 7], &[4, 7]), vec![3, 1]);
/// ```
pub fn grid_shape(shape: &[usize], chunk_shape: &[usize]) -> Vec<usize> {
    shape
        .iter()
        .zip(chunk_shape)
        .map(|(&n, &c)| if n == 0 { 0 } else { n.div_ceil(c.max(1)) })
        .collect()
}

/// The clipped extent of chunk `index` along each axis.
///
/// ```
/// assert_eq!(spillway::store::chunk_extent(&[10, 7], &[4, 7], &[2, 0]), vec![2, 7]);
/// ```
pub fn chunk_extent(shape: &[usize], chunk_shape: &[usize], index: &[usize]) -> Vec<usize> {
    shape
        .iter()
        .zip(chunk_shape)
        .zip(index)
        .map(|((&n, &c), &i)| c.min(n.saturating_sub(i * c)))
        .collect()
}

/// The clipped extent of chunk `index`, after checking that `index` is on the grid and
/// that a buffer of `len` elements fits it exactly.
pub(crate) fn checked_extent(
    location: &str,
    shape: &[usize],
    chunk_shape: &[usize],
    index: &[usize],
    len: usize,
) -> Result<Vec<usize>, StoreError> {
    let grid = grid_shape(shape, chunk_shape);
    if index.len() != grid.len() || index.iter().zip(&grid).any(|(&i, &g)| i >= g) {
        return Err(StoreError::Shape {
            location: location.to_string(),
            message: format!("got chunk index {index:?}, the chunk grid is {grid:?}"),
        });
    }
    let extent = chunk_extent(shape, chunk_shape, index);
    let want: usize = extent.iter().product();
    if len != want {
        return Err(StoreError::Shape {
            location: location.to_string(),
            message: format!(
                "got a buffer of {len} elements for chunk {index:?}, expected {want} (its clipped shape {extent:?})"
            ),
        });
    }
    Ok(extent)
}
