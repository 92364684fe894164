//! `(x + x.T).sum()` of a zarr array over MPI, with the one-process answer to check it
//! against: with `--one-process` it writes `DIR/x.zarr` when missing (an N x N float64
//! array of uniform random values in C x C chunks, from `--seed`) and computes the sum in
//! this process, without MPI; without it, under `mpirun` or `srun`, every rank reads
//! `DIR/x.zarr` with `from_zarr` and the sum is computed over the ranks.
//!
//! ```text
//! cargo build --release --features mpi --example mpi_transpose_sum
//! target/release/examples/mpi_transpose_sum --path DIR --one-process [--n 4000] [--chunk 1000] [--seed 5]
//! mpirun -n 4 target/release/examples/mpi_transpose_sum --path DIR [--layout dask-mpi]
//! srun target/release/examples/mpi_transpose_sum --path DIR   # threads and memory from Slurm
//! ```
//!
//! (As root add `--allow-run-as-root` to mpirun, and `--oversubscribe` for more ranks than
//! cores.) DIR must be a directory every rank sees, and x.zarr must be there before the
//! job starts (written once, by `--one-process`): the ranks only read it. Threads and
//! memory not given come from what Slurm granted each task, as in `mpi_pi`. The same store
//! gives the same bits in one process and on any number of ranks, in either layout. The
//! last line is `sum=<value> bits=<the f64's bits in hex> seconds=<compute seconds>
//! shape=<rows>x<cols> chunks=<rows>x<cols>`.

#[path = "common/cli.rs"]
mod cli;
#[path = "common/mpi_cli.rs"]
mod mpi_cli;
#[path = "common/zarr_input.rs"]
mod zarr_input;

use clap::Parser;
use spillway::mpi::{Layout, initialize_with};
use spillway::{Client, from_zarr, random};
use std::path::PathBuf;
use std::time::Instant;

/// `(x + x.T).sum()` of DIR/x.zarr over MPI ranks, or (`--one-process`) in this process.
#[derive(Parser, Debug)]
#[command(name = "mpi_transpose_sum")]
struct Args {
    /// Directory of x.zarr, seen by every rank.
    #[arg(long)]
    path: PathBuf,
    /// Compute in this process without MPI, writing x.zarr first when it is missing or
    /// has another shape or chunking (the answer the ranks' must equal).
    #[arg(long)]
    one_process: bool,
    /// Rows and columns of x, when --one-process writes it.
    #[arg(long, default_value_t = 4_000, value_parser = cli::positive)]
    n: usize,
    /// Rows and columns of x's chunks, when --one-process writes it.
    #[arg(long, default_value_t = 1_000, value_parser = cli::positive)]
    chunk: usize,
    /// Seed of x's values, when --one-process writes it.
    #[arg(long, default_value_t = 5)]
    seed: u64,
    /// Threads of each rank (of the process with --one-process) [default: as mpi_pi's].
    #[arg(long, alias = "nthreads")]
    threads_per_worker: Option<usize>,
    /// Memory budget per rank, a size or auto [default: as mpi_pi's; 1GB with
    /// --one-process].
    #[arg(long, value_parser = cli::memory_limit)]
    memory_limit: Option<String>,
    /// How the ranks share the work: every-rank or dask-mpi (as mpi_pi's).
    #[arg(long, default_value = "every-rank", value_parser = mpi_cli::layout)]
    layout: Layout,
}

fn main() {
    // mpirun passes a `--` before the program's flags through to it
    let args = Args::parse_from(std::env::args().filter(|a| a != "--"));
    let store = args.path.join("x.zarr");
    let client = if args.one_process {
        let built = Client::builder()
            .n_workers(1)
            .threads_per_worker(
                args.threads_per_worker
                    .unwrap_or_else(cli::available_threads),
            )
            .memory_limit(args.memory_limit.as_deref().unwrap_or("1GB"))
            .build();
        let client = built.unwrap_or_else(|e| fail(format!("error: {e}"), 2));
        let (n, chunk, seed) = (args.n, args.chunk, args.seed);
        zarr_input::ensure_zarr(&store, &[n, n], &[chunk, chunk], || {
            random::default_rng(seed).random([n, n], chunk)
        })
        .unwrap_or_else(|e| fail(format!("error: {e}"), 1));
        client
    } else {
        let options = mpi_cli::options(
            args.layout,
            args.threads_per_worker,
            args.memory_limit.as_deref(),
        );
        if let Err(e) = initialize_with(options) {
            fail(format!("error: {e}"), 2);
        }
        Client::builder()
            .build()
            .unwrap_or_else(|e| fail(format!("error: {e}"), 2))
    };
    println!("{client}");

    // every rank opens the same store and builds the same array
    let x = from_zarr::<f64>(&store).check().unwrap_or_else(|e| {
        fail(
            format!(
                "error: {e} (the ranks only read x.zarr: write it first with `mpi_transpose_sum --path {} --one-process`)",
                args.path.display()
            ),
            1,
        )
    });
    println!("x = {x}");
    let t0 = Instant::now();
    let outcome = (&x + &x.t()).sum().compute_scalar();
    let seconds = t0.elapsed().as_secs_f64();
    client.close();
    match outcome {
        Ok(total) => println!(
            "sum={total:?} bits={:#018x} seconds={seconds:.3} shape={}x{} chunks={}x{}",
            total.to_bits(),
            x.shape()[0],
            x.shape()[1],
            x.chunksize()[0],
            x.chunksize()[1]
        ),
        Err(e) => fail(format!("error: {e}"), 1),
    }
}

/// Prints `message` to stderr and exits with `code` (2: bad setup, 1: the run failed).
fn fail(message: String, code: i32) -> ! {
    eprintln!("{message}");
    std::process::exit(code);
}
