//! Spilling: where intermediates go when the memory budget cannot hold them.
//!
//! * [`SpillDir`]: one temporary directory per computation with a disk quota, removed
//!   when the computation ends (on success, error or panic); spilled chunks are records
//!   in a few [`arena`] files; one a killed process left is reclaimed by the next
//!   (`owner.rs`: a locked owner file).
//! * [`codec`]: the spill file format, a byte shuffle plus LZ4 where it pays, raw where
//!   it does not, in frames so the scratch memory is bounded.
//! * [`SpillableStore`]: a [`ChunkStore`](crate::store::ChunkStore) for intermediates
//!   that keeps chunks in memory under the budget and writes them to its `SpillDir`
//!   when the budget asks for memory back.
//!
//! See `docs/spilling.md` for the whole story.

pub mod arena;
mod bytes;
pub mod codec;
pub mod dir;
mod owner;
pub mod store;

pub use dir::{
    SPILL_DIR_ENV, SPILL_QUOTA_ENV, SpillDir, SpillDirBuilder, SpillDirMetrics, SpillFile,
};
pub use store::{SpillableStore, SpillableStoreMetrics};
