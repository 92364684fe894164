//! The lesson's `dask_calculate_pi(100000000000, 40)` on spillway: 100 GB of random
//! points in 40 chunks, under a 1GB memory limit, counted in one fused streaming pass.
//!
//! ```text
//! cargo run --release --example pi_100gb -- [--size 100GB] [--chunks 40] [--workers 1]
//!     [--threads-per-worker <cores>] [--memory-limit 1GB] [--seed 42]
//!     [--trace out.json] [--progress | --no-progress]
//! ```
//!
//! `--trace` writes the computation's tasks as a Chrome trace (open it at
//! <https://ui.perfetto.dev>). The progress bar goes to stderr: by default only when stderr
//! is a terminal and the computation takes more than a second; `--progress` always,
//! `--no-progress` never.
//!
//! The last line is `pi=<estimate> error=<abs error> seconds=<compute seconds> points=<n>`.

#[path = "common/cli.rs"]
mod cli;

use clap::Parser;
use spillway::array::chunks::python_tuple;
use spillway::exec::progress::{self, Progress};
use spillway::exec::trace::TraceRecorder;
use spillway::random;
use spillway::{Client, Result};
use std::sync::Arc;
use std::time::Instant;

/// The lesson's dask_calculate_pi(100000000000, 40): random points counted in one fused
/// streaming pass under a memory limit.
#[derive(Parser, Debug)]
#[command(name = "pi_100gb")]
struct Args {
    /// Bytes of random points.
    #[arg(long, default_value = "100GB", value_parser = cli::size)]
    size: u64,
    /// Chunks of the points.
    #[arg(long, default_value_t = 40, value_parser = cli::positive)]
    chunks: usize,
    /// Workers of the client.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Threads of each worker (default: this machine's).
    #[arg(long, default_value_t = cli::available_threads())]
    threads_per_worker: usize,
    /// Memory budget per worker (a size, or auto).
    #[arg(long, default_value = "1GB", value_parser = cli::memory_limit)]
    memory_limit: String,
    /// Seed of the random points.
    #[arg(long, default_value_t = random::DEFAULT_SEED)]
    seed: u64,
    /// Write the computation's tasks as a Chrome trace to this file.
    #[arg(long)]
    trace: Option<String>,
    /// Always show the progress bar (default: when stderr is a terminal and the
    /// computation takes over a second).
    #[arg(long, overrides_with = "no_progress")]
    progress: bool,
    /// Never show the progress bar.
    #[arg(long, overrides_with = "progress")]
    no_progress: bool,
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

fn main() {
    let args = Args::parse();
    let client = match Client::builder()
        .n_workers(args.workers)
        .threads_per_worker(args.threads_per_worker)
        .memory_limit(args.memory_limit.as_str())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    println!("{client}");
    match (args.progress, args.no_progress) {
        (true, _) => drop(progress::install(&client, Progress::always())),
        (false, false) => drop(progress::install(&client, Progress::auto())),
        (false, true) => {}
    }
    let trace = args.trace.as_ref().map(|_| {
        let recorder = Arc::new(TraceRecorder::new());
        client.add_monitor(recorder.clone());
        recorder
    });

    let t0 = Instant::now();
    let outcome = dask_calculate_pi(args.size, args.chunks, args.seed);
    let t1 = Instant::now();
    if let (Some(path), Some(trace)) = (&args.trace, &trace) {
        match trace.write(path) {
            Ok(()) => eprintln!("trace of {} tasks written to {path}", trace.len()),
            Err(e) => {
                eprintln!("error: {e}");
                client.close();
                std::process::exit(1);
            }
        }
    }
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
            eprintln!("error: {e}");
            client.close();
            std::process::exit(1);
        }
    }
}
