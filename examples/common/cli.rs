//! The `main` of the flag-driven examples: parse the flags, run, and exit with 2 for bad
//! flags (the message says which) or 1 for a run that failed.

/// Parses with `parse` and runs `run` on the flags, exiting as described above.
pub fn run_main<A>(
    parse: impl FnOnce() -> Result<A, String>,
    run: impl FnOnce(&A) -> spillway::Result<()>,
) {
    let args = parse().unwrap_or_else(|message| {
        eprintln!("{message}");
        std::process::exit(2);
    });
    if let Err(e) = run(&args) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
