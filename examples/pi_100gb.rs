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

use spillway::array::chunks::python_tuple;
use spillway::observe::progress::{self, Progress};
use spillway::observe::trace::TraceRecorder;
use spillway::random;
use spillway::util::size::parse_bytes;
use spillway::{Client, Result};
use std::sync::Arc;
use std::time::Instant;

struct Args {
    size: u64,
    chunks: usize,
    workers: usize,
    threads_per_worker: usize,
    memory_limit: String,
    seed: u64,
    trace: Option<String>,
    progress: Option<bool>,
}

fn parse_args() -> std::result::Result<Args, String> {
    let mut args = Args {
        size: 100_000_000_000,
        chunks: 40,
        workers: 1,
        threads_per_worker: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        memory_limit: "1GB".to_string(),
        seed: random::DEFAULT_SEED,
        trace: None,
        progress: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let bad = |v: &str| format!("{flag}: cannot parse {v:?}");
        match flag.as_str() {
            "--size" => {
                let v = value()?;
                args.size = parse_bytes(&v).map_err(|e| e.to_string())?;
            }
            "--chunks" => {
                let v = value()?;
                args.chunks = v.parse().map_err(|_| bad(&v))?;
            }
            "--workers" => {
                let v = value()?;
                args.workers = v.parse().map_err(|_| bad(&v))?;
            }
            "--threads-per-worker" => {
                let v = value()?;
                args.threads_per_worker = v.parse().map_err(|_| bad(&v))?;
            }
            "--memory-limit" => args.memory_limit = value()?,
            "--seed" => {
                let v = value()?;
                args.seed = v.parse().map_err(|_| bad(&v))?;
            }
            "--trace" => args.trace = Some(value()?),
            "--progress" => args.progress = Some(true),
            "--no-progress" => args.progress = Some(false),
            "--help" | "-h" => {
                return Err("usage: pi_100gb [--size 100GB] [--chunks 40] [--workers N] [--threads-per-worker N] [--memory-limit 1GB] [--seed 42] [--trace out.json] [--progress | --no-progress]".into());
            }
            other => return Err(format!("unknown flag {other}; see --help")),
        }
    }
    if args.chunks == 0 {
        return Err("--chunks must be at least 1".into());
    }
    Ok(args)
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
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
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
    match args.progress {
        None => drop(progress::install(&client, Progress::auto())),
        Some(true) => drop(progress::install(&client, Progress::always())),
        Some(false) => {}
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
