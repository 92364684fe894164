//! Sorts a random float64 array larger than the memory budget, and times it against the
//! disk.
//!
//! ```text
//! cargo run --release --example sort_ooc -- [--size 16GB] [--memory-limit 1GB]
//!     [--chunk-size 128MB] [--threads N] [--spill-dir DIR] [--disk-bw]
//! ```
//!
//! The input is made on the fly (uniform random numbers), so the sort's only disk traffic
//! is its own: sorted runs spilled under the budget and read back by the merge. The
//! computation is `sort(x)` checked as it is read: the number of places where a value is
//! smaller than the one before it (0 for a sorted array) and the sum of the sorted values
//! against the input's. With `--disk-bw` the disk's sequential bandwidth is measured first
//! in the spill directory and the sort's time is printed against the time the same bytes
//! take to be written once and read once at that bandwidth (`disk_ratio`), the least any
//! out-of-core sort needs. The last line is
//! `seconds=<sort seconds> decreases=<count> spilled_bytes=<n>` with ` disk_ratio=<r>`.

#[path = "common/cli.rs"]
mod cli;
#[path = "common/disk.rs"]
mod disk;
#[path = "common/report.rs"]
mod report;

use clap::Parser;
use spillway::{Client, random, s};
use std::path::PathBuf;
use std::time::Instant;

/// Sorts a random float64 array larger than the memory budget.
#[derive(Parser, Debug)]
#[command(name = "sort_ooc")]
struct Args {
    /// Bytes of float64 to sort.
    #[arg(long, default_value = "16GB", value_parser = cli::size)]
    size: u64,
    /// Memory budget (a size, or auto).
    #[arg(long = "memory-limit", default_value = "1GB", value_parser = cli::memory_limit)]
    memory: String,
    /// Bytes per chunk of the input.
    #[arg(long = "chunk-size", default_value = "128MB", value_parser = cli::size)]
    chunk_size: u64,
    /// Worker threads (default: every core).
    #[arg(long, value_parser = cli::positive)]
    threads: Option<usize>,
    /// Where spilled runs go (default: the system's temporary directory).
    #[arg(long = "spill-dir")]
    spill_dir: Option<PathBuf>,
    /// Measure the disk's bandwidth first and compare the sort's time to it.
    #[arg(long)]
    disk_bw: bool,
}

fn main() {
    cli::run_main(run);
}

fn run(args: &Args) -> spillway::Result<()> {
    let n = (args.size / 8) as usize;
    let chunk = ((args.chunk_size / 8) as usize).clamp(1, n.max(1));
    let threads = args.threads.unwrap_or_else(cli::available_threads);
    let dir = args.spill_dir.clone().unwrap_or_else(std::env::temp_dir);
    let client = Client::builder()
        .n_workers(1)
        .threads_per_worker(threads)
        .memory_limit(args.memory.as_str())
        .spill_dir(dir.clone())
        .build()?;
    println!("{client}");
    let disk = if args.disk_bw {
        std::fs::create_dir_all(&dir).map_err(|e| spillway::Error::io(&dir, e))?;
        Some(disk::measure(&dir)?)
    } else {
        None
    };
    let x = random::default_rng(2026).random(n, chunk);
    println!("x = {x}");
    let sorted = x.sort();
    // one plan, timed: the sort, one full read of it (its sum), and the number of
    // decreases in 1M-element windows at its start, middle and end (each window merges
    // the runs from the fences; 0 for a sorted array)
    let window = n.min(1 << 20);
    let mut checks = vec![sorted.sum()];
    for start in [0, (n - window) / 2, n - window] {
        let part = sorted.index(s![start..start + window]);
        let steps = (part.index(s![1..]) - part.index(s![..-1])).lt(0.0);
        checks.push(steps.astype::<f64>().sum());
    }
    let t0 = Instant::now();
    let (values, run) = spillway::compute_all_with_report(&checks)?;
    let seconds = t0.elapsed().as_secs_f64();
    let sum = values[0].iter().next().copied().unwrap_or(f64::NAN);
    let decreases: f64 = values[1..].iter().flat_map(|v| v.iter().copied()).sum();
    let input_sum = x.sum().compute_scalar()?;
    println!(
        "sort of {n} float64 ({:.2} GB) and a read of it in {seconds:.2} s; sum {sum:.9e}, the input's {input_sum:.9e}; decreases {decreases}",
        (n * 8) as f64 / 1e9
    );
    println!("{}", report::io_line(&run));
    for stage in &run.stages {
        println!(
            "  stage {}: {} tasks, {:.2} s ({})",
            stage.label, stage.tasks, stage.seconds, stage.time
        );
    }
    let mut last = format!(
        "seconds={seconds:.3} decreases={decreases} spilled_bytes={}",
        run.io.spilled_bytes
    );
    if let Some((write_gbs, read_gbs)) = disk {
        let bytes = (n * 8) as f64;
        let floor = bytes / (write_gbs * 1e9) + bytes / (read_gbs * 1e9);
        println!(
            "writing and reading {bytes:.0} bytes once at {write_gbs:.3}/{read_gbs:.3} GB/s takes {floor:.2} s"
        );
        last.push_str(&format!(" disk_ratio={:.2}", seconds / floor));
    }
    println!("{last}");
    Ok(())
}
