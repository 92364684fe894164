//! Multiplies two random N x N float64 arrays out of core, then (when the operands and
//! the product fit in this machine's memory) with faer directly on the same values.
//!
//! ```text
//! cargo run --release --example matmul_ooc -- [--n 2000] [--chunk 500] [--memory-limit 256MB] [--seed 42]
//! ```
//!
//! The N x N product would need N²·8 bytes (512 MB at N = 8000, more than a 256 MB
//! budget), so spillway's side computes `(a @ b).sum()`: every output block is made
//! (2·N³ flops either way) and folded into the sum, never stored. The faer side computes
//! the full product in memory and sums it, so the two sums check each other.
//! The last line is exactly
//! `gflops=<spillway> faer_gflops=<faer or 0 when skipped> seconds=<spillway seconds>`.

use spillway::util::machine::total_memory_bytes;
use spillway::util::size::parse_bytes;
use spillway::{Array, Client, random};
use std::time::Instant;

struct Args {
    n: usize,
    chunk: usize,
    memory_limit: String,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        n: 2000,
        chunk: 500,
        memory_limit: "256MB".to_string(),
        seed: 42,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--n" => args.n = value()?.parse().map_err(|e| format!("--n: {e}"))?,
            "--chunk" => args.chunk = value()?.parse().map_err(|e| format!("--chunk: {e}"))?,
            "--memory-limit" => args.memory_limit = value()?,
            "--seed" => args.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            _ => {
                return Err(
                    "usage: matmul_ooc [--n 2000] [--chunk 500] [--memory-limit 256MB] [--seed 42]"
                        .into(),
                );
            }
        }
    }
    if args.n == 0 || args.chunk == 0 {
        return Err("--n and --chunk must be positive".into());
    }
    parse_bytes(&args.memory_limit).map_err(|e| format!("--memory-limit: {e}"))?;
    Ok(args)
}

fn operands(n: usize, chunk: usize, seed: u64) -> (Array<f64>, Array<f64>) {
    let rng = random::default_rng(seed);
    (rng.random([n, n], chunk), rng.random([n, n], chunk))
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let (n, chunk) = (args.n, args.chunk);
    let flops = 2.0 * (n as f64).powi(3);
    let client = match Client::builder()
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
    let (a, b) = operands(n, chunk, args.seed);
    let product = a.matmul(&b);
    println!("a @ b = {product}");
    let total = product.sum();
    let t0 = Instant::now();
    let value = match total.compute_on(&client) {
        Ok(v) => v.iter().copied().next().unwrap_or(0.0),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let seconds = t0.elapsed().as_secs_f64();
    let gflops = flops / seconds / 1e9;
    println!("spillway: sum(a @ b) = {value:.6e} in {seconds:.3} s ({gflops:.1} GFLOP/s)");

    // faer in memory, on the same values, when a, b and the product fit comfortably
    let needed = 3 * (n as u64) * (n as u64) * 8;
    let fits = total_memory_bytes().is_some_and(|t| needed < t / 2);
    let mut faer_gflops = 0.0;
    if fits {
        let big = Client::builder()
            .memory_limit(spillway::MemoryLimit::Bytes(needed * 2))
            .build()
            .expect("a client for the in-memory baseline");
        let av = a.compute_on(&big).expect("operand a");
        let bv = b.compute_on(&big).expect("operand b");
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
    } else {
        println!("faer: skipped (a, b and the product need {needed} bytes)");
    }
    println!("gflops={gflops:.2} faer_gflops={faer_gflops:.2} seconds={seconds:.3}");
}
