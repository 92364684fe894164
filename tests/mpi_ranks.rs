//! The MPI feature end to end: this binary drives itself under `mpirun`.
//!
//! Run plainly (`cargo test --features mpi --test mpi_ranks`), it is the driver: it starts
//! `mpirun --allow-run-as-root --oversubscribe -n N <itself> <scenario>` for each check,
//! with a timeout, and compares what the client rank printed with the same computation
//! done in this process without MPI. Started by mpirun with a scenario argument, it is the
//! program every rank runs (see `scenarios`).

#[path = "mpi/driver.rs"]
mod driver;
#[path = "mpi/embed.rs"]
mod embed;
#[path = "mpi/scenarios.rs"]
mod scenarios;
#[path = "mpi/zarr.rs"]
mod zarr;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--child") => scenarios::run(&args[1..]),
        // libtest flags (`--nocapture`, a filter) are ignored: every check runs
        _ => driver::run_all(),
    }
}
