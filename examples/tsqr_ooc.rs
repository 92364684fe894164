//! TSQR of a tall-and-skinny random array out of core, with its error norms.
//!
//! ```text
//! cargo run --release --example tsqr_ooc -- [--rows 1000000] [--cols 100] [--chunk 100000]
//!     [--memory-limit 512MB] [--cond 1] [--path DIR] [--keep] [--disk-bw]
//! ```
//!
//! Column `j` of the uniform random array is scaled by `cond^(-j/(cols-1))` and the
//! columns are then mixed by a random orthogonal matrix, so `--cond` sets the condition
//! number roughly. Without `--path` the array is made on the fly in every pass; with
//! `--path DIR` it is written first (when missing) as a zarr array (zstd, row blocks of
//! `--chunk` rows) at `DIR/a.zarr` and the QR reads it with `from_zarr`; it is removed at
//! the end unless `--keep` is given or it existed before the run.
//!
//! Prints the time of `(sum(Q), R)` (Q is reduced, not held: three streaming passes over
//! the array) with the run's `read_bytes` and `peak_reserved_bytes`, and then, computed
//! out of core too, `||QR - A||_F / ||A||_F` and `max |QᵀQ - I|`. With `--disk-bw` it
//! first measures the disk's sequential bandwidth in DIR (2 GiB, O_DIRECT) and prints the
//! QR time against the time one read of the array's stored bytes (`rows·cols·8` without
//! `--path`) takes at that read bandwidth: `read_ratio`. The last line is
//! `seconds=<qr seconds> recon=<relative error> ortho=<orthogonality error>`, followed by
//! ` read_ratio=<qr seconds / one read's seconds>` with `--disk-bw`.

#[path = "common/cli.rs"]
mod cli;
#[path = "common/disk.rs"]
mod disk;
#[path = "common/report.rs"]
mod report;
#[path = "common/zarr_input.rs"]
mod zarr_input;

use clap::Parser;
use ndarray::Array1;
use spillway::array::linalg::{NormOrd, norm, qr};
use spillway::{Client, from_ndarray, random, tensordot};
use std::path::PathBuf;
use std::time::Instant;

/// TSQR of a tall-and-skinny random array out of core, with its error norms.
#[derive(Parser, Debug)]
#[command(name = "tsqr_ooc")]
struct Args {
    /// Rows of the array.
    #[arg(long, default_value_t = 1_000_000, value_parser = cli::positive)]
    rows: usize,
    /// Columns of the array.
    #[arg(long, default_value_t = 100, value_parser = cli::positive)]
    cols: usize,
    /// Rows of a chunk.
    #[arg(long, default_value_t = 100_000, value_parser = cli::positive)]
    chunk: usize,
    /// Memory budget (a size, or auto).
    #[arg(long = "memory-limit", default_value = "512MB", value_parser = cli::memory_limit)]
    memory: String,
    /// The rough condition number of the array.
    #[arg(long, default_value_t = 1.0)]
    cond: f64,
    /// Store the array as zarr under this directory and read it from there.
    #[arg(long)]
    path: Option<PathBuf>,
    /// Keep the zarr array at the end.
    #[arg(long)]
    keep: bool,
    /// Measure the disk's sequential bandwidth first and compare the QR's time to it.
    #[arg(long)]
    disk_bw: bool,
}

fn main() {
    cli::run_main(run);
}

fn run(args: &Args) -> spillway::Result<()> {
    let (rows, cols, chunk) = (args.rows, args.cols, args.chunk);
    let client = Client::builder()
        .memory_limit(args.memory.as_str())
        .build()?;
    println!("{client}");
    let disk = if args.disk_bw {
        let dir = args.path.clone().unwrap_or_else(std::env::temp_dir);
        std::fs::create_dir_all(&dir).map_err(|e| spillway::Error::io(&dir, e))?;
        Some(disk::measure(&dir)?)
    } else {
        None
    };

    let scales = Array1::from_shape_fn(cols, |j| {
        args.cond.powf(-(j as f64) / (cols.max(2) - 1) as f64)
    });
    let scaled =
        &random::default_rng(7).random([rows, cols], [chunk, cols]) * &from_ndarray(scales, cols);
    // mix the scaled columns by a random orthogonal matrix, so the ill-conditioning is
    // not a mere column scaling (which Householder QR absorbs exactly)
    let mixer = qr(&random::default_rng(8).random([cols, cols], cols))
        .0
        .compute()?;
    let made = scaled.matmul(&from_ndarray(mixer, cols));
    let (a, input) = match &args.path {
        Some(dir) => {
            let input = zarr_input::ensure_zarr(
                &dir.join("a.zarr"),
                &[rows, cols],
                &[chunk, cols],
                || made,
            )?;
            println!(
                "{}: stored_bytes={}",
                input.path.display(),
                input.stored_bytes
            );
            (input.array(), Some(input))
        }
        None => (made, None),
    };
    println!("a = {a}");

    let (q, r) = qr(&a);
    let t0 = Instant::now();
    // q is as large as a: reduce it rather than hold it, so the timing covers all passes
    let (values, report) = spillway::compute_all_with_report(&[q.sum(), r.clone()])?;
    let seconds = t0.elapsed().as_secs_f64();
    println!(
        "qr of {rows} x {cols} in {seconds:.3} s (sum of Q = {:.6})",
        values[0].iter().next().copied().unwrap_or(f64::NAN)
    );
    println!("{}", report::io_line(&report));
    let read_ratio = disk.map(|(_, read_gbs)| {
        let bytes = input
            .as_ref()
            .map_or((rows * cols * 8) as u64, |i| i.stored_bytes);
        let one_read = bytes as f64 / (read_gbs * 1e9);
        let all_reads = report.io.read_bytes as f64 / (read_gbs * 1e9);
        println!(
            "one read of the array's {bytes} bytes at {read_gbs:.3} GB/s takes {one_read:.3} s: qr / one read = {:.2}; \
             the qr's {} read bytes take {all_reads:.3} s",
            seconds / one_read.max(1e-9),
            report.io.read_bytes
        );
        seconds / one_read.max(1e-9)
    });

    // the checks in one plan: the R's are made once for all three
    let t1 = Instant::now();
    let checks = spillway::compute_all(&[
        norm(&(&q.matmul(&r) - &a), NormOrd::Fro),
        norm(&a, NormOrd::Fro),
        tensordot(&q, &q, ([0], [0])),
    ])?;
    let first = |i: usize| checks[i].iter().next().copied().unwrap_or(f64::NAN);
    let recon = first(0) / first(1);
    let mut ortho = 0.0f64;
    for (index, v) in checks[2].indexed_iter() {
        let want = if index[0] == index[1] { 1.0 } else { 0.0 };
        ortho = ortho.max((v - want).abs());
    }
    println!(
        "||QR - A|| / ||A|| = {recon:.3e}, max |QtQ - I| = {ortho:.3e} (checked in {:.3} s)",
        t1.elapsed().as_secs_f64()
    );
    if let Some(input) = &input {
        input.clean_up(args.keep);
    }
    client.close();
    let ratio = read_ratio.map_or(String::new(), |r| format!(" read_ratio={r:.2}"));
    println!("seconds={seconds:.3} recon={recon:.3e} ortho={ortho:.3e}{ratio}");
    Ok(())
}
