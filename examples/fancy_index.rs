//! Fancy indexing of a stored array: random rows taken unsorted against the same rows
//! sorted.
//!
//! ```text
//! cargo run --release --example fancy_index -- [--path DIR] [--n 16000] [--chunk 2000]
//!     [--rows 5000] [--memory-limit 256MB] [--threads N] [--rounds 2] [--keep]
//! ```
//!
//! Creates (if missing) an N x N float64 zarr array of uniform random values in C x C
//! chunks at `DIR/x.zarr`, picks `--rows` distinct random rows, and times
//! `x.take(rows, 0).sum()` with the rows in random order and sorted, alternately, printing
//! for each run its seconds and the chunks read, then
//! `fancy_index unsorted=<s> sorted=<s> ratio=<unsorted/sorted>` (the fastest run of each).
//! Unsorted rows are gathered an output block at a time, grouped by input chunk, so each
//! chunk a block needs is read once (before, every row read its chunks again).

#[path = "common/cli.rs"]
mod cli;
#[path = "common/zarr_input.rs"]
mod zarr_input;

use clap::Parser;
use spillway::array::stored::from_store;
use spillway::store::zarr::ZarrStore;
use spillway::{Client, random};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Random rows of a stored array, unsorted against sorted.
#[derive(Parser, Debug)]
#[command(name = "fancy_index")]
struct Args {
    /// Directory of the array (x.zarr).
    #[arg(long, default_value_os_t = std::env::temp_dir().join("spillway-fancy"))]
    path: PathBuf,
    /// Rows and columns of the array.
    #[arg(long, default_value_t = 16_000, value_parser = cli::positive)]
    n: usize,
    /// Rows and columns of a chunk.
    #[arg(long, default_value_t = 2_000, value_parser = cli::positive)]
    chunk: usize,
    /// Rows taken.
    #[arg(long, default_value_t = 5_000, value_parser = cli::positive)]
    rows: usize,
    /// Memory budget (a size, or auto).
    #[arg(long, default_value = "256MB", value_parser = cli::memory_limit)]
    memory_limit: String,
    /// Threads of the client.
    #[arg(long, default_value_t = cli::available_threads())]
    threads: usize,
    /// Runs of each order.
    #[arg(long, default_value_t = 2, value_parser = cli::positive)]
    rounds: usize,
    /// Keep the array at the end.
    #[arg(long)]
    keep: bool,
}

fn main() {
    cli::run_main(run);
}

/// `count` distinct rows of `0..n` in a random order (a seeded shuffle).
fn random_rows(n: usize, count: usize) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..n).collect();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for i in (1..n).rev() {
        // SplitMix64
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        rows.swap(i, (z % (i as u64 + 1)) as usize);
    }
    rows.truncate(count.min(n));
    rows
}

fn run(args: &Args) -> spillway::Result<()> {
    let client = Client::builder()
        .n_workers(1)
        .threads_per_worker(args.threads)
        .memory_limit(args.memory_limit.as_str())
        .build()?;
    println!("{client}");
    let (n, chunk) = (args.n, args.chunk);
    let input =
        zarr_input::ensure_zarr(&args.path.join("x.zarr"), &[n, n], &[chunk, chunk], || {
            random::uniform(0.0, 1.0, (n, n), chunk)
        })?;
    let store = Arc::new(ZarrStore::<f64>::open(&input.path)?);
    let x = from_store::<f64>(store.clone(), "x", None);
    let unsorted = random_rows(n, args.rows);
    let mut sorted = unsorted.clone();
    sorted.sort_unstable();
    let mut best = [f64::INFINITY; 2];
    let mut sums = [0.0; 2];
    for round in 0..args.rounds {
        for (k, (name, rows)) in [("unsorted", &unsorted), ("sorted", &sorted)]
            .into_iter()
            .enumerate()
        {
            let list: Vec<isize> = rows.iter().map(|&r| r as isize).collect();
            let before = store.io_counters();
            let t = Instant::now();
            let total = x.take(&list, 0).sum().compute_scalar()?;
            let seconds = t.elapsed().as_secs_f64();
            let after = store.io_counters();
            println!(
                "  round {round}: {name} seconds={seconds:.3} chunks_read={} read_bytes={} sum={total}",
                after.chunks_read - before.chunks_read,
                after.bytes_read - before.bytes_read
            );
            best[k] = best[k].min(seconds);
            sums[k] = total;
        }
    }
    let agree = (sums[0] - sums[1]).abs() <= 1e-9 * sums[1].abs();
    println!(
        "fancy_index unsorted={:.3} sorted={:.3} ratio={:.2} sums_agree={agree}",
        best[0],
        best[1],
        best[0] / best[1]
    );
    input.clean_up(args.keep);
    client.close();
    Ok(())
}
