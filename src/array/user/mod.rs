//! User functions: [`map_blocks`](crate::Array::map_blocks) and
//! [`blockwise`](blockwise::blockwise) apply a function to whole chunks,
//! [`reduction`](crate::Array::reduction) builds a reduction from `chunk`, `combine` and
//! `aggregate` functions, and [`map_overlap`](crate::Array::map_overlap) applies a
//! function to chunks extended by a halo from their neighbours (stencils).
//!
//! A block function runs inside a task; when it returns a block of the wrong shape the
//! task stops with [`Error::TaskPanicked`](crate::Error::TaskPanicked) naming the block,
//! the shape returned and the shape expected (an evaluator has no other way to report an
//! error while it runs). Everything that can be checked when the graph is built (chunk
//! alignment, depth against chunk sizes, output chunks) is checked then, as a typed
//! [`ArrayError`](crate::ArrayError).

pub mod blockwise;
pub mod overlap;
pub mod reduction;
