//! The lesson's Dask-MPI pi (`from dask_mpi import initialize`) on spillway over MPI. By
//! default every rank counts its share of the points and rank 0 also coordinates and
//! prints; `--layout dask-mpi` is the lesson's layout (rank 0 the scheduler, rank 1 runs
//! the program and prints, ranks 2+ count the points).
//!
//! ```text
//! cargo build --release --features mpi --example mpi_pi
//! mpirun -n 6 target/release/examples/mpi_pi -- [--size 100GB] [--chunks 40]
//!     [--threads-per-worker 4] [--memory-limit 40GB] [--seed 42] [--layout dask-mpi]
//! srun target/release/examples/mpi_pi --size 100GB   # threads and memory from Slurm
//! ```
//!
//! (As root add `--allow-run-as-root`, and `--oversubscribe` for more ranks than cores.)
//! Threads and memory not given come from what Slurm granted each task
//! (`--cpus-per-task`, `--mem`), else from this node's cores and memory shared by its
//! ranks. Every rank runs this program (see docs/mpi.md); only the client rank's
//! standard output is kept. The same seed gives the same bits as `pi_100gb` in one process. The last line
//! is `pi=<estimate> error=<abs error> seconds=<compute seconds> points=<n>`, as
//! `pi_100gb`'s.

#[path = "common/cli.rs"]
mod cli;
#[path = "common/mpi_cli.rs"]
mod mpi_cli;

use clap::Parser;
use spillway::array::chunks::python_tuple;
use spillway::mpi::{Layout, initialize_with};
use spillway::random;
use spillway::{Client, Result};
use std::time::Instant;

/// The lesson's Dask-MPI pi: run under `mpirun -n N` or `srun` (every rank counts points;
/// `--layout dask-mpi`: rank 0 the scheduler, rank 1 the program, ranks 2+ count them).
#[derive(Parser, Debug)]
#[command(name = "mpi_pi")]
struct Args {
    /// Bytes of random points.
    #[arg(long, default_value = "100GB", value_parser = cli::size)]
    size: u64,
    /// Chunks of the points.
    #[arg(long, default_value_t = 40, value_parser = cli::positive)]
    chunks: usize,
    /// Threads of each rank [default: SLURM_CPUS_PER_TASK, else this node's cores / its
    /// ranks].
    #[arg(long, alias = "nthreads")]
    threads_per_worker: Option<usize>,
    /// Memory budget per rank, a size or auto [default: what Slurm granted a task
    /// (SLURM_MEM_PER_NODE / SLURM_NTASKS_PER_NODE, or SLURM_MEM_PER_CPU x CPUs), else
    /// half of this node's memory / its ranks].
    #[arg(long, value_parser = cli::memory_limit)]
    memory_limit: Option<String>,
    /// Seed of the random points.
    #[arg(long, default_value_t = random::DEFAULT_SEED)]
    seed: u64,
    /// How the ranks share the work: every-rank (every rank computes, rank 0 also
    /// coordinates) or dask-mpi (the lesson's: rank 0 scheduler, rank 1 client, 2+ workers).
    #[arg(long, default_value = "every-rank", value_parser = mpi_cli::layout)]
    layout: Layout,
    /// Not a flag under MPI: the ranks are set by mpirun -n / srun.
    #[arg(long, hide = true, value_parser = no_workers_flag)]
    workers: Option<String>,
}

/// Refuses `--workers`, saying what sets the workers under MPI.
fn no_workers_flag(_: &str) -> std::result::Result<String, String> {
    Err("under MPI the ranks that compute are set by mpirun -n or srun (every rank, or ranks 2 and above with --layout dask-mpi)".to_string())
}

/// The lesson's function, line for line.
fn dask_calculate_pi(size_in_bytes: u64, nchunks: usize, seed: u64) -> Result<(f64, f64, usize)> {
    let rand_array_shape = ((size_in_bytes / 8 / 2) as usize, 2);
    let chunk_size = (rand_array_shape.0 / nchunks).max(1);
    println!("{chunk_size}");

    // 2D random array with positions (x, y)
    let xy = random::default_rng(seed).uniform(0.0, 1.0, rand_array_shape, chunk_size);
    println!(" Created xy\n {xy}\n");
    println!(
        " Number of partitions/chunks is {}\n",
        python_tuple(xy.numblocks())
    );

    // check if position (x, y) is in unit circle
    let xy_inside_circle = xy.powi(2).sum_axis(1).lt(1.0);

    // pi is the fraction of points in circle x 4
    let pi = 4.0 * xy_inside_circle.sum().astype::<f64>() / xy_inside_circle.size() as f64;

    let t0 = Instant::now();
    let result = pi.compute_scalar()?;
    let seconds = t0.elapsed().as_secs_f64();

    println!(
        "\nfrom {} GB randomly chosen positions",
        xy.nbytes() as f64 / 1e9
    );
    println!("   pi estimate: {result}");
    println!("   pi error: {}\n", (result - std::f64::consts::PI).abs());

    Ok((result, seconds, rand_array_shape.0))
}

fn fail(message: String, code: i32) -> ! {
    eprintln!("{message}");
    std::process::exit(code);
}

fn main() {
    // mpirun passes a `--` before the program's flags through to it
    let args = Args::parse_from(std::env::args().filter(|a| a != "--"));
    let options = mpi_cli::options(
        args.layout,
        args.threads_per_worker,
        args.memory_limit.as_deref(),
    );
    // initialize(nthreads=4, memory_limit='40GB')
    if let Err(e) = initialize_with(options) {
        fail(format!("error: {e}"), 2);
    }

    let client = Client::builder()
        .build()
        .unwrap_or_else(|e| fail(format!("error: {e}"), 2));

    let t0 = Instant::now();
    println!("{client}");
    let outcome = dask_calculate_pi(args.size, args.chunks, args.seed);
    let t1 = Instant::now();
    match outcome {
        Ok((pi, seconds, points)) => {
            println!("time taken for spillway is {}", (t1 - t0).as_secs_f64());
            client.close();
            println!(
                "pi={pi} error={} seconds={seconds:.3} points={points}",
                (pi - std::f64::consts::PI).abs()
            );
        }
        Err(e) => {
            client.close();
            fail(format!("error: {e}"), 1);
        }
    }
}
