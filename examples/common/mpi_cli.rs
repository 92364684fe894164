//! The MPI examples' shared flags (`#[path = "common/mpi_cli.rs"] mod mpi_cli;`, feature
//! `mpi`): the `--layout` value and the `initialize` options built from the optional
//! `--threads-per-worker` and `--memory-limit`, whatever is not given coming from Slurm
//! or from the node (spillway::mpi::Options::default()).

// each example uses only some of these helpers
#![allow(dead_code)]

use spillway::mpi::{Layout, Options};

/// `--layout`'s value: every-rank (every rank computes, rank 0 also coordinates) or
/// dask-mpi (the lesson's: rank 0 scheduler, rank 1 client, ranks 2+ workers).
pub fn layout(text: &str) -> Result<Layout, String> {
    match text {
        "every-rank" => Ok(Layout::EveryRankComputes),
        "dask-mpi" => Ok(Layout::DaskMpi),
        other => Err(format!(
            "unknown layout {other:?}: every-rank (every rank computes) or dask-mpi (rank 0 scheduler, rank 1 client, ranks 2+ workers)"
        )),
    }
}

/// The options of `initialize_with`: `layout`, and the threads and memory limit given on
/// the command line, the others left to Slurm's grant or the node's share.
pub fn options(layout: Layout, threads: Option<usize>, memory_limit: Option<&str>) -> Options {
    let mut options = Options::default().layout(layout);
    if let Some(threads) = threads {
        options = options.nthreads(threads);
    }
    if let Some(memory) = memory_limit {
        options = options.memory_limit(memory);
    }
    options
}
