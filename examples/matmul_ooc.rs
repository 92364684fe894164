//! Multiplies two random N x N float64 arrays out of core, then (when the operands and
//! the product fit comfortably in this machine's memory) with faer directly on the same
//! values.
//!
//! ```text
//! cargo run --release --example matmul_ooc -- [--n 2000] [--chunk 500] [--memory-limit 256MB]
//!     [--seed 42] [--path DIR] [--keep] [--no-faer]
//! ```
//!
//! The N x N product would need N²·8 bytes (512 MB at N = 8000, more than a 256 MB
//! budget), so spillway's side computes `(a @ b).sum()`: every output block is made
//! (2·N³ flops either way) and folded into the sum, never stored. Only that compute is
//! timed. The faer side computes the full product in memory and sums it, so the two sums
//! check each other; it runs when a, b and the product take under a quarter of the
//! machine's memory (N = 8000: 1.5 GB) and `--no-faer` is not given.
//!
//! With `--path DIR` the operands are zarr arrays (zstd, C x C chunks) at `DIR/a.zarr`
//! and `DIR/b.zarr`, written first from the random values when missing; the product then
//! reads them with `from_zarr`. They are removed at the end unless `--keep` is given or
//! they existed before the run. Without `--path` the operands are random arrays made
//! chunk by chunk as the product needs them.
//!
//! Prints the run's report: `read_bytes=<bytes read from the stores>
//! spilled_bytes=<n> peak_reserved_bytes=<n> budget_bytes=<n>`. The last line is exactly
//! `gflops=<spillway> faer_gflops=<faer or 0 when skipped> seconds=<spillway seconds>`.

#[path = "common/cli.rs"]
mod cli;
#[path = "common/report.rs"]
mod report;
#[path = "common/zarr_input.rs"]
mod zarr_input;

use clap::Parser;
use spillway::util::machine::total_memory_bytes;
use spillway::{Array, Client, random};
use std::path::PathBuf;
use std::time::Instant;
use zarr_input::{ZarrInput, ensure_zarr};

/// (a @ b).sum() of two random N x N float64 arrays out of core, then with faer in memory.
#[derive(Parser, Debug)]
#[command(name = "matmul_ooc")]
struct Args {
    /// Rows and columns of a and b.
    #[arg(long, default_value_t = 2000, value_parser = cli::positive)]
    n: usize,
    /// Rows and columns of a chunk.
    #[arg(long, default_value_t = 500, value_parser = cli::positive)]
    chunk: usize,
    /// Memory budget (a size, or auto).
    #[arg(long, default_value = "256MB", value_parser = cli::memory_limit)]
    memory_limit: String,
    /// Seed of the random operands.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Store the operands as zarr arrays under this directory and read them from there.
    #[arg(long)]
    path: Option<PathBuf>,
    /// Keep the zarr operands at the end.
    #[arg(long)]
    keep: bool,
    /// Skip the in-memory faer product.
    #[arg(long)]
    no_faer: bool,
}

/// The two operands, random or (with `--path`) stored as zarr, and the stores to clean up.
fn operands(args: &Args) -> spillway::Result<(Array<f64>, Array<f64>, Vec<ZarrInput>)> {
    let (n, chunk) = (args.n, args.chunk);
    let rng = random::default_rng(args.seed);
    let (a, b) = (rng.random([n, n], chunk), rng.random([n, n], chunk));
    let Some(dir) = &args.path else {
        return Ok((a, b, Vec::new()));
    };
    let stores = vec![
        ensure_zarr(&dir.join("a.zarr"), &[n, n], &[chunk, chunk], || a)?,
        ensure_zarr(&dir.join("b.zarr"), &[n, n], &[chunk, chunk], || b)?,
    ];
    for s in &stores {
        println!("{}: stored_bytes={}", s.path.display(), s.stored_bytes);
    }
    Ok((stores[0].array(), stores[1].array(), stores))
}

fn main() {
    cli::run_main(run);
}

fn run(args: &Args) -> spillway::Result<()> {
    let n = args.n;
    let flops = 2.0 * (n as f64).powi(3);
    let client = Client::builder()
        .memory_limit(args.memory_limit.as_str())
        .build()?;
    println!("{client}");
    let (a, b, stores) = operands(args)?;
    let product = a.matmul(&b);
    println!("a @ b = {product}");
    let t0 = Instant::now();
    let (total, report) = product.sum().compute_with_report()?;
    let seconds = t0.elapsed().as_secs_f64();
    let value = total.iter().copied().next().unwrap_or(0.0);
    let gflops = flops / seconds / 1e9;
    println!("spillway: sum(a @ b) = {value:.6e} in {seconds:.3} s ({gflops:.1} GFLOP/s)");
    println!("{}", report::io_line(&report));

    // faer in memory, on the same values, when a, b and the product fit comfortably
    let needed = 3 * (n as u64) * (n as u64) * 8;
    let fits = total_memory_bytes().is_some_and(|t| needed < t / 4);
    let mut faer_gflops = 0.0;
    if fits && !args.no_faer {
        let big = Client::builder()
            .memory_limit(spillway::MemoryLimit::Bytes(needed * 2))
            .build()?;
        let av = a.compute_on(&big)?;
        let bv = b.compute_on(&big)?;
        let av = av.as_slice().expect("standard layout");
        let bv = bv.as_slice().expect("standard layout");
        let mut c = vec![0.0f64; n * n];
        let t1 = Instant::now();
        spillway::kernels::dense::gemm(&mut c, av, bv, n, n, n, false, faer::Par::rayon(0));
        let faer_seconds = t1.elapsed().as_secs_f64();
        faer_gflops = flops / faer_seconds / 1e9;
        let faer_sum: f64 = c.iter().sum();
        println!(
            "faer: sum(a @ b) = {faer_sum:.6e} in {faer_seconds:.3} s ({faer_gflops:.1} GFLOP/s); relative difference {:.2e}",
            ((faer_sum - value) / faer_sum).abs()
        );
        println!("spillway / faer = {:.2}", gflops / faer_gflops);
        big.close();
    } else if args.no_faer {
        println!("faer: skipped (--no-faer)");
    } else {
        println!(
            "faer: skipped (a, b and the product need {needed} bytes, over a quarter of this machine's memory)"
        );
    }
    for s in &stores {
        s.clean_up(args.keep);
    }
    client.close();
    println!("gflops={gflops:.2} faer_gflops={faer_gflops:.2} seconds={seconds:.3}");
    Ok(())
}
