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

use spillway::{Client, DashboardExt, random};
use std::time::{Duration, Instant};

struct Args {
    port: u16,
    seconds: f64,
    workers: usize,
    threads_per_worker: usize,
    memory_limit: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 8787,
        seconds: 30.0,
        workers: 2,
        threads_per_worker: 1,
        memory_limit: "64MB".to_string(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = || format!("{flag}: cannot parse {value:?}");
        match flag.as_str() {
            "--port" => args.port = value.parse().map_err(|_| bad())?,
            "--seconds" => args.seconds = value.parse().map_err(|_| bad())?,
            "--workers" => args.workers = value.parse().map_err(|_| bad())?,
            "--threads-per-worker" => args.threads_per_worker = value.parse().map_err(|_| bad())?,
            "--memory-limit" => args.memory_limit = value,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if !(args.seconds.is_finite() && args.seconds >= 0.0) {
        return Err("--seconds must be a non-negative number".to_string());
    }
    Ok(args)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args().map_err(|e| {
        format!(
            "{e}\nusage: dashboard [--port 8787] [--seconds 30] [--workers 2] \
             [--threads-per-worker 1] [--memory-limit 64MB]"
        )
    })?;
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
