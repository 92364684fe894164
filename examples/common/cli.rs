//! The examples' flags: each example derives its `Args` with clap, and this file holds the
//! pieces they share: the value parsers (byte sizes, memory limits, counts) and the
//! `main` of the flag-driven examples. Every example answers `--help`; an unknown flag or
//! a bad value exits with code 2 and a message saying which (clap's usage errors); a run
//! that fails exits with 1.
//!
//! Included with `#[path = "common/cli.rs"] mod cli;`; an example uses the parsers it
//! needs, so the others are dead code there.
#![allow(dead_code)]

use clap::{CommandFactory, Parser};
use spillway::util::size::parse_bytes;

/// Parses the command line into `A` (exit 2 for a bad flag, 0 after `--help`) and runs
/// `run` on it (exit 1 when it fails, with the error).
pub fn run_main<A: Parser>(run: impl FnOnce(&A) -> spillway::Result<()>) {
    let args = A::parse();
    if let Err(e) = run(&args) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// Exits as clap does for a bad value (code 2, with the usage), for checks that look at
/// several flags together.
pub fn usage_error<A: CommandFactory>(message: impl std::fmt::Display) -> ! {
    A::command()
        .error(clap::error::ErrorKind::ValueValidation, message)
        .exit()
}

/// A byte size: `1GB`, `512MiB`, `2e9` or plain bytes (spillway's `parse_bytes`).
pub fn size(text: &str) -> Result<u64, String> {
    parse_bytes(text).map_err(|e| e.to_string())
}

/// A memory limit, kept as written for the client builder: a byte size or `auto`.
pub fn memory_limit(text: &str) -> Result<String, String> {
    if text.trim().eq_ignore_ascii_case("auto") {
        return Ok(text.to_string());
    }
    size(text).map(|_| text.to_string())
}

/// A count of at least 1.
pub fn positive(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// The threads this machine runs at once (the default of the thread-count flags).
pub fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
