//! Out-of-core workloads on a zarr array larger than the memory budget.
//!
//! ```text
//! cargo run --release --example transpose_sum_ooc -- [--path DIR] [--n 40000] [--chunk 4000]
//!     [--memory-limit 1GB] [--threads N] [--disk-bw] [--floor] [--keep] [--steps abcd]
//!     [--zstd-level L] [--input random|smooth|ints] [--codec default|auto|none|zstd|blosc-lz4]
//! ```
//!
//! Creates (if missing) an N x N float64 zarr array of uniform random values in C x C
//! chunks at `DIR/x.zarr` (zstd, spillway's default codec), then computes and times
//! (a) `(x + x.T).sum()`, (b) `(x + x.T).to_zarr(..)`, (c) `x.mean(axis=0)` and `x.std()`
//! in one compute, (d) `x.matmul(x[:, :1000]).sum()`. One line per step:
//! `step=<a|b|c|d> seconds=<s> read_bytes=<n> written_bytes=<n> spilled_bytes=<n> peak_reserved_bytes=<n>`,
//! then one line per stage of where its workers' time went, in thread-seconds
//! (`read=.. decode=.. encode=.. write=.. wait_memory=.. wait_block=.. compute=.. idle=..`,
//! from the run report's [`TimeBreakdown`](spillway::exec::report::TimeBreakdown)).
//! With `--disk-bw` it first measures the disk's sequential write and read bandwidth in
//! DIR (2 GiB, O_DIRECT, as shared/tools/disk_bw.sh) and prints, after each step, the
//! time its bytes take at that bandwidth and the ratio. Files it makes are removed at the
//! With `--floor` (which implies `--disk-bw`) it also measures the codec floor of one pass
//! over x.zarr in the same run (every chunk zstd-decoded, and encoded at level 1, on the
//! client's threads, timing only the codec, as shared/tools/zscan does) and prints after
//! each step its floor, the larger of its bytes' disk time and their codec time, and the
//! step's ratio to it. Files it makes are removed at the
//! end unless `--keep` is given (x.zarr is kept when it already existed). `--steps ac` runs
//! only the steps named. `--zstd-level L` writes (b) at zstd level L rather than the
//! default 1 (zarr-python and Dask write level 0, zstd's 3).
//!
//! `--input` picks x's values: uniform random (the default), a smooth field
//! (`sin(i / 40) + cos(j / 25)`) or small-range integers (`floor(16 * uniform)`), and
//! `--codec` the codec x is written with: spillway's default (zstd level 1), `auto`
//! (`Codec::Auto`, priced at the disk bandwidth measured with `--disk-bw`/`--floor`,
//! else 2 GB/s; the pick is printed as `codec_choice ...`), raw bytes, or blosc-lz4 with
//! byte shuffle. Other than the defaults, x is stored as `x_<input>_<codec>.zarr`. The
//! codec floor counts zstd decoding only (blosc chunks are priced as raw bytes).
//!
//! `--checksum-cost` measures what verifying zstd checksums costs a large read: it writes
//! the same array twice, `DIR/x_checksum.zarr` with checksummed frames (the default) and
//! `DIR/x_nochecksum.zarr` without, then times `(x + x.T).sum()` on each, alternately,
//! `--rounds` times, and prints `checksum_cost on=<s> off=<s> ratio=<on/off>` (the
//! fastest run of each). The other steps are skipped.

#[path = "common/cli.rs"]
mod cli;
#[path = "common/codec_floor.rs"]
mod codec_floor;
#[path = "common/disk.rs"]
mod disk;
#[path = "common/zarr_input.rs"]
mod zarr_input;

use clap::Parser;
use spillway::array::zarr::ToZarr;
use spillway::store::zarr::{BloscShuffle, Codec};
use spillway::{Client, RunReport, random, s};
use std::path::PathBuf;
use std::time::Instant;

/// Out-of-core workloads on a zarr array larger than the memory budget.
#[derive(Parser, Debug)]
#[command(name = "transpose_sum_ooc")]
struct Args {
    /// Directory of the input array (x.zarr) and the outputs.
    #[arg(long, default_value_os_t = std::env::temp_dir().join("spillway-ooc"))]
    path: PathBuf,
    /// Rows and columns of the array.
    #[arg(long, default_value_t = 40_000, value_parser = cli::positive)]
    n: usize,
    /// Rows and columns of a chunk.
    #[arg(long, default_value_t = 4_000, value_parser = cli::positive)]
    chunk: usize,
    /// Memory budget (a size, or auto).
    #[arg(long, default_value = "1GB", value_parser = cli::memory_limit)]
    memory_limit: String,
    /// Threads of the client.
    #[arg(long, default_value_t = cli::available_threads())]
    threads: usize,
    /// Measure the disk's sequential bandwidth first and compare each step's time to it.
    #[arg(long)]
    disk_bw: bool,
    /// Measure the codec floor of a pass over x.zarr (and the disk) first, and print each
    /// step's ratio to the larger of the two.
    #[arg(long)]
    floor: bool,
    /// Keep the files made at the end.
    #[arg(long)]
    keep: bool,
    /// The steps to run, some of the letters abcd.
    #[arg(long, default_value = "abcd", value_parser = steps)]
    steps: String,
    /// zstd level of (b)'s output, when not the default 1.
    #[arg(long, allow_negative_numbers = true)]
    zstd_level: Option<i32>,
    /// x's values: random, smooth or ints.
    #[arg(long, default_value = "random", value_parser = ["random", "smooth", "ints"])]
    input: String,
    /// x's codec: default (zstd level 1), auto, none, zstd, blosc-lz4.
    #[arg(long, default_value = "default", value_parser = ["default", "auto", "none", "zstd", "blosc-lz4"])]
    codec: String,
    /// Time (x + x.T).sum() on stores with and without zstd checksums instead of the steps.
    #[arg(long)]
    checksum_cost: bool,
    /// Runs of each store for --checksum-cost.
    #[arg(long, default_value_t = 3, value_parser = cli::positive)]
    rounds: usize,
}

/// Some of the letters abcd.
fn steps(text: &str) -> Result<String, String> {
    if text.is_empty() || !text.chars().all(|c| "abcd".contains(c)) {
        return Err("give some of the letters abcd, e.g. --steps ac".to_string());
    }
    Ok(text.to_string())
}

/// What a step's time is compared with: the disk's bandwidth, and the codec floor.
#[derive(Clone, Copy, Default)]
struct Floors {
    disk: Option<(f64, f64)>,
    codec: Option<codec_floor::CodecFloor>,
}

fn print_step(step: &str, seconds: f64, report: &RunReport, floors: Floors) {
    println!(
        "step={step} seconds={seconds:.3} read_bytes={} written_bytes={} spilled_bytes={} peak_reserved_bytes={}",
        report.io.read_bytes,
        report.io.written_bytes,
        report.io.spilled_bytes,
        report.peak_reserved_bytes
    );
    // where the workers' time went (thread-seconds), stage by stage
    for stage in &report.stages {
        println!("  step {step}: {} {}", stage.label, stage.time);
    }
    if let Some((write_gbs, read_gbs)) = floors.disk {
        let disk_seconds = report.io.read_bytes as f64 / (read_gbs * 1e9)
            + (report.io.written_bytes + report.io.spilled_bytes) as f64 / (write_gbs * 1e9)
            + report.io.reread_bytes as f64 / (read_gbs * 1e9);
        println!(
            "  step {step}: its bytes take {disk_seconds:.3} s at the disk's bandwidth; ratio {:.2}",
            seconds / disk_seconds.max(1e-9)
        );
        if let Some(codec) = floors.codec {
            // spilled bytes are lz4 or raw, not zstd: no codec floor of their own
            let codec_seconds = codec.step_seconds(report.io.read_bytes, report.io.written_bytes);
            let floor = disk_seconds.max(codec_seconds);
            println!(
                "  step {step}: floor {floor:.3} s (disk {disk_seconds:.3} s, codec {codec_seconds:.3} s); ratio {:.2}",
                seconds / floor.max(1e-9)
            );
        }
    }
}

fn main() {
    cli::run_main(run);
}

fn run(args: &Args) -> spillway::Result<()> {
    std::fs::create_dir_all(&args.path).map_err(|e| spillway::Error::io(&args.path, e))?;
    let client = Client::builder()
        .n_workers(1)
        .threads_per_worker(args.threads)
        .memory_limit(args.memory_limit.as_str())
        .build()?;
    println!("{client}");
    let mut floors = Floors::default();
    if args.disk_bw || args.floor {
        floors.disk = Some(disk::measure(&args.path)?);
    }

    let (n, chunk) = (args.n, args.chunk);
    if args.checksum_cost {
        checksum_cost(args)?;
        client.close();
        return Ok(());
    }
    let name = if args.input == "random" && args.codec == "default" {
        "x.zarr".to_string()
    } else {
        format!("x_{}_{}.zarr", args.input, args.codec)
    };
    let mut how = ToZarr::default().codec(match args.codec.as_str() {
        "auto" => Codec::Auto,
        "none" => Codec::None,
        "blosc-lz4" => Codec::BloscLz4 {
            clevel: 5,
            shuffle: BloscShuffle::Shuffle,
        },
        _ => Codec::default(),
    });
    if let Some((_, read_gbs)) = floors.disk {
        how = how.disk_bandwidth(read_gbs);
    }
    let input = zarr_input::ensure_zarr_with(
        &args.path.join(name),
        &[n, n],
        &[chunk, chunk],
        &how,
        || input_values(&args.input, n, chunk),
    )?;
    if let Some(choice) = &input.codec_choice {
        println!("codec_choice {choice}");
    }
    let x = input.array();
    println!("x = {x} (stored_bytes={})", input.stored_bytes);
    if args.floor {
        floors.codec = Some(codec_floor::measure(&input.path, args.threads)?);
    }

    let run = |step: char| args.steps.contains(step);
    // (a) (x + x.T).sum()
    if run('a') {
        let t = Instant::now();
        let (total, report) = (&x + &x.t()).sum().compute_with_report()?;
        let seconds = t.elapsed().as_secs_f64();
        println!("  (x + x.T).sum() = {}", total[[]]);
        print_step("a", seconds, &report, floors);
    }

    // (b) (x + x.T).to_zarr(..)
    let y_path = args.path.join("x_plus_xt.zarr");
    if run('b') {
        let t = Instant::now();
        let mut options = ToZarr::default().overwrite(true);
        if let Some(level) = args.zstd_level {
            options = options.codec(Codec::Zstd { level });
        }
        let written = (&x + &x.t()).to_zarr_with(&y_path, &options)?;
        print_step("b", t.elapsed().as_secs_f64(), &written.run, floors);
    }

    // (c) x.mean(axis=0) and x.std() in one compute
    if run('c') {
        let t = Instant::now();
        let (results, report) = spillway::compute_all_with_report(&[x.mean_axis(0), x.std(0.0)])?;
        let seconds = t.elapsed().as_secs_f64();
        println!(
            "  x.mean(axis=0)[:3] = {:?}, x.std() = {}",
            results[0].iter().take(3).collect::<Vec<_>>(),
            results[1].iter().next().copied().unwrap_or(f64::NAN)
        );
        print_step("c", seconds, &report, floors);
    }

    // (d) x.matmul(x[:, :1000]).sum()
    if run('d') {
        let t = Instant::now();
        let (total, report) = x
            .matmul(&x.index(s![.., ..1000]))
            .sum()
            .compute_with_report()?;
        let seconds = t.elapsed().as_secs_f64();
        println!("  x.matmul(x[:, :1000]).sum() = {}", total[[]]);
        print_step("d", seconds, &report, floors);
    }

    if !args.keep {
        let _ = std::fs::remove_dir_all(&y_path);
    }
    input.clean_up(args.keep);
    client.close();
    Ok(())
}

/// x's values, `n x n` in `chunk x chunk` chunks: uniform random, a smooth field
/// (`sin(i / 40) + cos(j / 25)`) or small-range integers (`floor(16 * uniform)`).
fn input_values(kind: &str, n: usize, chunk: usize) -> spillway::Array<f64> {
    let uniform = random::uniform(0.0, 1.0, (n, n), chunk);
    match kind {
        "smooth" => {
            let axis = spillway::arange(0.0, n as f64, 1.0, chunk);
            let rows = (&axis * (1.0 / 40.0)).sin().reshape(&[n as isize, 1]);
            let cols = (&axis * (1.0 / 25.0)).cos().reshape(&[1, n as isize]);
            (&rows + &cols).rechunk(chunk)
        }
        "ints" => (&uniform * 16.0).floor(),
        _ => uniform,
    }
}

/// Times `(x + x.T).sum()` on the same array stored with and without zstd checksums.
fn checksum_cost(args: &Args) -> spillway::Result<()> {
    let (n, chunk) = (args.n, args.chunk);
    let mut inputs = Vec::new();
    for (name, checksum) in [("x_checksum.zarr", true), ("x_nochecksum.zarr", false)] {
        let mut how = ToZarr::default();
        how.options.checksum = checksum;
        let input = zarr_input::ensure_zarr_with(
            &args.path.join(name),
            &[n, n],
            &[chunk, chunk],
            &how,
            // the same values in both stores
            || random::default_rng(17).random((n, n), chunk),
        )?;
        inputs.push(input);
    }
    let mut best = [f64::INFINITY; 2];
    let mut totals = [0.0; 2];
    for round in 0..args.rounds {
        for (k, input) in inputs.iter().enumerate() {
            let x = input.array();
            let t = Instant::now();
            let total = (&x + &x.t()).sum().compute_scalar()?;
            let seconds = t.elapsed().as_secs_f64();
            println!(
                "  round {round}: {} seconds={seconds:.3} sum={total}",
                input.path.display()
            );
            best[k] = best[k].min(seconds);
            totals[k] = total;
        }
    }
    if totals[0] != totals[1] {
        println!(
            "  warning: the sums differ ({} and {})",
            totals[0], totals[1]
        );
    }
    println!(
        "checksum_cost on={:.3} off={:.3} ratio={:.3}",
        best[0],
        best[1],
        best[0] / best[1]
    );
    for input in &inputs {
        input.clean_up(args.keep);
    }
    Ok(())
}
