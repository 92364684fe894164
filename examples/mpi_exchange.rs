//! What moving results between MPI ranks costs: the time of one small reduction (8-byte
//! partials: a sum of one element per rank) and of a 100 MB result that every rank gets
//! (an output stage of `ones`, whose tasks cost next to nothing), each the median of
//! several `compute()` calls.
//!
//! ```text
//! cargo build --release --features mpi --example mpi_exchange
//! mpirun -n 4 target/release/examples/mpi_exchange [--bytes 100MB] [--repeats 9]
//! ```
//!
//! (As root add `--allow-run-as-root`, and `--oversubscribe` for more ranks than cores.)
//! Prints `ranks=<n> reduce_seconds=<median> gather_seconds=<median> gather_bytes=<n>`.

#[path = "common/cli.rs"]
mod cli;

use clap::Parser;
use spillway::mpi::{Options, initialize_with};
use std::time::Instant;

/// Times a small reduction and a large gathered result over the job's ranks.
#[derive(Parser, Debug)]
#[command(name = "mpi_exchange")]
struct Args {
    /// Bytes of the gathered result.
    #[arg(long, default_value = "100MB", value_parser = cli::size)]
    bytes: u64,
    /// Computations timed for each (the median is printed).
    #[arg(long, default_value_t = 9, value_parser = cli::positive)]
    repeats: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args = Args::parse_from(std::env::args().filter(|a| a != "--"));
    let mpi = match initialize_with(Options::new(1, "2GB")) {
        Ok(mpi) => mpi,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let ranks = mpi.size();
    let run = || -> spillway::Result<(f64, f64)> {
        // one element per rank: each rank's partial is one f64
        let small = spillway::ones::<f64>(ranks, 1).sum();
        let n = (args.bytes / 8).max(1) as usize;
        let big = spillway::ones::<f64>(n, n.div_ceil(ranks));
        small.compute_scalar()?; // warm up
        let mut reduce = Vec::new();
        for _ in 0..args.repeats {
            let t = Instant::now();
            small.compute_scalar()?;
            reduce.push(t.elapsed().as_secs_f64());
        }
        let mut gather = Vec::new();
        for _ in 0..args.repeats.min(5) {
            let t = Instant::now();
            let v = big.compute()?;
            gather.push(t.elapsed().as_secs_f64());
            drop(v);
        }
        Ok((median(reduce), median(gather)))
    };
    match run() {
        Ok((reduce, gather)) => println!(
            "ranks={ranks} reduce_seconds={reduce:.6} gather_seconds={gather:.4} gather_bytes={}",
            args.bytes / 8 * 8
        ),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
