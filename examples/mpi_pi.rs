//! The lesson's Dask-MPI pi (`from dask_mpi import initialize`) on spillway over MPI:
//! rank 0 the scheduler, rank 1 runs the program and prints, ranks 2+ count the points.
//!
//! ```text
//! cargo build --release --features mpi --example mpi_pi
//! mpirun -n 6 target/release/examples/mpi_pi -- [--size 100GB] [--chunks 40]
//!     [--threads-per-worker 4] [--memory-limit 40GB] [--seed 42] [--scheduler-in-client]
//! ```
//!
//! (As root add `--allow-run-as-root`, and `--oversubscribe` for more ranks than cores.)
//! Every rank runs this program (see docs/mpi.md); only the client rank's standard output
//! is kept. The same seed gives the same bits as `pi_100gb` in one process. The last line
//! is `pi=<estimate> error=<abs error> seconds=<compute seconds> points=<n>`, as
//! `pi_100gb`'s.

use spillway::array::chunks::python_tuple;
use spillway::mpi::{Options, initialize_with};
use spillway::random;
use spillway::util::size::parse_bytes;
use spillway::{Client, Result};
use std::time::Instant;

struct Args {
    size: u64,
    chunks: usize,
    threads_per_worker: usize,
    memory_limit: String,
    seed: u64,
    scheduler_in_client: bool,
}

fn parse_args() -> std::result::Result<Args, String> {
    let mut args = Args {
        size: 100_000_000_000,
        chunks: 40,
        threads_per_worker: 4,
        memory_limit: "40GB".to_string(),
        seed: random::DEFAULT_SEED,
        scheduler_in_client: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let bad = |v: &str| format!("{flag}: cannot parse {v:?}");
        match flag.as_str() {
            "--" => {}
            "--size" => {
                let v = value()?;
                args.size = parse_bytes(&v).map_err(|e| e.to_string())?;
            }
            "--chunks" => {
                let v = value()?;
                args.chunks = v.parse().map_err(|_| bad(&v))?;
            }
            "--threads-per-worker" | "--nthreads" => {
                let v = value()?;
                args.threads_per_worker = v.parse().map_err(|_| bad(&v))?;
            }
            "--memory-limit" => args.memory_limit = value()?,
            "--seed" => {
                let v = value()?;
                args.seed = v.parse().map_err(|_| bad(&v))?;
            }
            "--scheduler-in-client" => args.scheduler_in_client = true,
            "--workers" => {
                return Err("--workers: under MPI the worker ranks are set by mpirun -n (ranks 2 and above work)".into());
            }
            "--help" | "-h" => {
                return Err("usage: mpirun -n N mpi_pi [--size 100GB] [--chunks 40] [--threads-per-worker 4] [--memory-limit 40GB] [--seed 42] [--scheduler-in-client]".into());
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

fn fail(message: String, code: i32) -> ! {
    eprintln!("{message}");
    std::process::exit(code);
}

fn main() {
    let args = parse_args().unwrap_or_else(|msg| fail(msg, 2));
    let options = Options::new(args.threads_per_worker, args.memory_limit.as_str())
        .scheduler_in_client(args.scheduler_in_client);
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
