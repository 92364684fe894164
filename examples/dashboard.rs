//! A client with a live dashboard, kept busy: the lesson's Monte-Carlo pi (3.2 GB of points
//! through a 128 MB budget) and two other reductions, in a loop, so the page has progress,
//! memory and a task stream to show.
//!
//! ```text
//! cargo run --release --example dashboard -- [--port 8787] [--seconds 30]
//!     [--workers 2] [--threads-per-worker 1] [--memory-limit 64MB]
//! ```
//!
//! It prints the client (with the dashboard URL) and then one line per round; open the URL
//! in a browser while it runs. `--port 0` lets the OS pick a free port.

#[path = "common/cli.rs"]
mod cli;

use clap::Parser;
use spillway::{Client, random};
use std::time::{Duration, Instant};

/// A client with a live dashboard, kept busy with the lesson's pi and two other
/// reductions in a loop.
#[derive(Parser, Debug)]
#[command(name = "dashboard")]
struct Args {
    /// The dashboard's port on 127.0.0.1 (0: the OS picks a free one).
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// How long to keep computing, in seconds.
    #[arg(long, default_value_t = 30.0, value_parser = seconds)]
    seconds: f64,
    /// Workers of the client.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Threads of each worker.
    #[arg(long, default_value_t = 1)]
    threads_per_worker: usize,
    /// Memory budget per worker (a size, or auto).
    #[arg(long, default_value = "64MB", value_parser = cli::memory_limit)]
    memory_limit: String,
}

/// A non-negative number of seconds.
fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Ok(s),
        Ok(_) => Err("must be a non-negative number".to_string()),
        Err(e) => Err(e.to_string()),
    }
}

fn main() {
    cli::run_main(run);
}

fn run(args: &Args) -> spillway::Result<()> {
    let client = Client::builder()
        .n_workers(args.workers)
        .threads_per_worker(args.threads_per_worker)
        .memory_limit(args.memory_limit.as_str())
        .dashboard(format!("127.0.0.1:{}", args.port))
        .build()?;
    println!("{client}");
    if let Some(url) = client.dashboard_url() {
        println!("dashboard at {url}");
    }

    let deadline = Instant::now() + Duration::from_secs_f64(args.seconds);
    let mut round = 0u64;
    while Instant::now() < deadline {
        round += 1;
        // The lesson's pi: 3.2 GB of random points in 50 chunks, through a 128 MB budget.
        let xy = random::default_rng(round).uniform(0.0, 1.0, (200_000_000, 2), (4_000_000, 2));
        let inside = xy.powi(2).sum_axis(1).lt(1.0);
        let pi = 4.0 * inside.sum().astype::<f64>() / inside.size() as f64;
        let pi = pi.compute_on(&client)?;
        // Two more ops, so the task stream has several colours.
        let ones = spillway::ones::<f64>((32_000_000, 4), (1_000_000, 4));
        let total = (&ones * 2.0).sum().compute_on(&client)?;
        let mean = random::default_rng(round + 1_000)
            .random([128_000_000], 4_000_000)
            .mean()
            .compute_on(&client)?;
        println!(
            "round {round}: pi={:.5} sum={} mean={:.4}",
            pi.sum(),
            total.sum(),
            mean.sum()
        );
        std::thread::sleep(Duration::from_millis(150));
    }
    client.close();
    Ok(())
}
