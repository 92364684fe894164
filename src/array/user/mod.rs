//! User functions.
