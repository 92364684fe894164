//! Shape manipulation: `reshape`, `ravel`, `squeeze`, `expand_dims`, `swapaxes`,
//! `moveaxis`, `flip`, `roll`, `tile`, `repeat`, `broadcast_to`, `pad`,
//! `sliding_window_view`, and the free
//! functions [`concatenate`] and [`stack`]. `transpose`, `t()` and `transpose_axes` are
//! in [`layout`](super::layout).
//!
//! Each op is a lazy node whose evaluator maps a requested output region to the input
//! regions it needs; nothing is materialised.

mod axes;
mod concat;
mod pad;
mod reorder;
mod reshape;
mod window;

pub use concat::{concatenate, stack};
