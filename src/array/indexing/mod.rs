//! Indexing: NumPy's `x[...]` with slices, integers, new axes, index lists and boolean
//! masks ([`s!`](crate::s) and [`Array::index`](crate::Array::index)), `take` and
//! `compress`.
//!
//! Every selection is one lazy node that maps a requested output region to the input
//! indices it reads and pulls only those: a slice of a 100 GB random array computes only
//! the selected elements.

pub(crate) mod axis_map;
pub mod elem;
mod index;
pub(crate) mod select;
mod take;

pub use elem::{Ellipsis, IndexElem, NewAxis};
