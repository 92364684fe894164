//! More reductions.
