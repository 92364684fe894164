//! The lesson's exercise: the serial `calculate_pi` for 1x .. 5x a unit size, timed as a
//! plain loop and then as five delayed tasks computed together on a client
//! (`dask.delayed(calculate_pi)` and `dask.compute(*results)`).
//!
//! ```text
//! cargo run --release --example delayed_pi -- [--unit 1GB] [--workers 5] \
//!     [--threads-per-worker 1] [--memory-limit 3GB]
//! ```
//!
//! Each task materialises its whole array, as NumPy does, and declares the memory it holds
//! at its peak (the points, their squares, the row sums and the inside-circle flags:
//! 2.5625 x its size) to the client's budget, so when the five together need more than
//! the budget they run as the budget allows rather than all at once; a task that alone
//! needs more than the budget is refused before anything runs (here: before the serial
//! loop). With the defaults (5 workers x 3GB = 15 GB) the five tasks together need 38 GB,
//! so they run a few at a time, and the 5 GB task (12.8 GB) fits alone. On a machine with
//! less than 16 GB, pass a smaller `--unit` and `--memory-limit`. The last line is
//! `serial_seconds=<s> delayed_seconds=<s> speedup=<x>`.

#[path = "common/cli.rs"]
mod cli;

use clap::Parser;
use spillway::delayed::{DelayedError, TASK_OVERHEAD_BYTES, compute_all_with_report};
use spillway::util::size::format_bytes;
use spillway::{Client, delayed};
use std::time::Instant;

/// The lesson's serial calculate_pi for 1x .. 5x a unit size, as a loop and as five
/// delayed tasks on a client.
#[derive(Parser, Debug)]
#[command(name = "delayed_pi")]
struct Args {
    /// The unit size of points (the tasks take 1x .. 5x it).
    #[arg(long, default_value = "1GB", value_parser = cli::size)]
    unit: u64,
    /// Workers of the client.
    #[arg(long, default_value_t = 5)]
    workers: usize,
    /// Threads of each worker.
    #[arg(long, default_value_t = 1)]
    threads_per_worker: usize,
    /// Memory budget per worker (a size, or auto).
    #[arg(long, default_value = "3GB", value_parser = cli::memory_limit)]
    memory_limit: String,
}

#[path = "lesson/serial_pi.rs"]
mod serial_pi;
use serial_pi::calculate_pi;

/// The memory `calculate_pi(size_in_bytes)` holds at its peak: the points (`size`), the
/// squares before their row sums are taken (`size`, freed after), the row sums
/// (`size / 2`) and the flags (`size / 16`). The squares and the points are alive
/// together, so the peak is about `2.5625 x size`; declared conservatively.
fn task_bytes(size_in_bytes: usize) -> u64 {
    let size = size_in_bytes as u64;
    2 * size + size / 2 + size / 16
}

fn main() {
    cli::run_main(run);
}

fn run(args: &Args) -> spillway::Result<()> {
    let unit = usize::try_from(args.unit).unwrap_or(usize::MAX);
    let (workers, threads) = (args.workers, args.threads_per_worker);
    let memory_limit = args.memory_limit.as_str();
    let sizes: Vec<usize> = (1..=5).map(|i| unit.saturating_mul(i)).collect();

    let client = Client::builder()
        .n_workers(workers)
        .threads_per_worker(threads)
        .memory_limit(memory_limit)
        .build()?;
    println!("{client}");
    // the largest task must fit the budget: say so before the long serial loop
    let largest = task_bytes(sizes[4]);
    if largest + TASK_OVERHEAD_BYTES > client.budget().limit() {
        let budget = client.budget().limit();
        client.close();
        return Err(DelayedError::TaskTooLarge {
            task: "calculate_pi".to_string(),
            memory: largest,
            budget,
        }
        .into());
    }

    println!(
        "serial: calculate_pi for {} .. {}",
        format_bytes(sizes[0] as u64),
        format_bytes(sizes[4] as u64)
    );
    let t0 = Instant::now();
    for &size in &sizes {
        calculate_pi(size);
    }
    let serial = t0.elapsed().as_secs_f64();
    println!("time taken for the serial loop is {serial:.3} s\n");

    let results: Vec<_> = sizes
        .iter()
        .map(|&size| {
            delayed(move || calculate_pi(size))
                .name("calculate_pi")
                .memory_bytes(task_bytes(size))
        })
        .collect();
    let t0 = Instant::now();
    let (pis, report) = compute_all_with_report(&results, &client)?;
    let lazy = t0.elapsed().as_secs_f64();
    println!("time taken for delayed w{workers}/t{threads} is {lazy:.3} s");
    println!("pi estimates: {pis:?}");
    println!("{report}");
    client.close();
    println!(
        "serial_seconds={serial:.3} delayed_seconds={lazy:.3} speedup={:.2}",
        serial / lazy
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Args;
    use clap::Parser;

    #[test]
    fn flags_parse_and_bad_ones_exit_with_2() {
        let args = Args::try_parse_from(["delayed_pi", "--unit", "1MB", "--workers", "2"]).unwrap();
        assert_eq!(
            (args.unit, args.workers, args.threads_per_worker),
            (1_000_000, 2, 1)
        );
        assert_eq!(args.memory_limit, "3GB");
        for bad in [
            &["delayed_pi", "--max-gb", "abc"][..],
            &["delayed_pi", "--unit", "abc"],
            &["delayed_pi", "--workers", "two"],
            &["delayed_pi", "--memory-limit", "lots"],
        ] {
            assert_eq!(
                Args::try_parse_from(bad).unwrap_err().exit_code(),
                2,
                "{bad:?}"
            );
        }
    }
}
