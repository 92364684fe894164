//! Hot loops, vectorised with runtime dispatch (AVX-512, AVX2, or portable code): random
//! number generation, elementwise maps and reductions; a stable radix sort. One binary runs fast on any x86-64.

pub mod dense;
pub mod elementwise;
pub mod random;
pub mod reduce;
pub mod shuffle;
pub mod simd;
pub mod sort;
