//! NumPy's universal functions beyond the arithmetic in [`elementwise`](super::elementwise):
//! float math ([`float`]), integer remainder and bitwise operators ([`integer`]), logical
//! operators on bool arrays ([`logical`]) and selection ([`where_`](select::where_),
//! [`clip`](crate::Array::clip)).
//!
//! Every function here is an elementwise node built on the same unary, binary or
//! ternary evaluators, so it fuses into the chain that pulls it.

pub mod float;
pub mod integer;
pub mod logical;
pub mod select;
