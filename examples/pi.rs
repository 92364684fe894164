//! The lesson's serial `calculate_pi` written on ndarray, and its spillway twin, timed
//! side by side for the lesson's sizes (1e4 bytes, then 1 GB .. 5 GB of points).
//!
//! ```text
//! cargo run --release --example pi -- [--max-gb 5] [--trace out.json]
//! ```
//! `--trace` writes the tasks of the spillway computations as one Chrome trace (open it at
//! <https://ui.perfetto.dev>).
//! The serial version materialises the whole array, as NumPy does: it needs the array's
//! size in memory. The twin streams it in tiles under a 1 GB budget.

#[path = "common/cli.rs"]
mod cli;

use clap::Parser;
use spillway::exec::trace::TraceRecorder;
use spillway::{Client, random};
use std::sync::Arc;
use std::time::Instant;

#[path = "lesson/serial_pi.rs"]
mod serial_pi;
use serial_pi::calculate_pi;

/// The lesson's serial pi on ndarray and its spillway twin, timed side by side.
#[derive(Parser, Debug)]
#[command(name = "pi")]
struct Args {
    /// The largest size, in GB of points (runs 1e4 bytes, then 1 GB .. this).
    #[arg(long, default_value_t = 5)]
    max_gb: usize,
    /// Write the spillway computations' tasks as a Chrome trace to this file.
    #[arg(long)]
    trace: Option<String>,
}

/// The same function on spillway: lazy, chunked, fused.
fn spillway_calculate_pi(size_in_bytes: usize) -> spillway::Result<f64> {
    let rand_array_shape = (size_in_bytes / 8 / 2, 2);

    // 2D random array with positions (x, y)
    let xy = random::uniform(0.0, 1.0, rand_array_shape, "128MiB");

    // check if position (x, y) is in unit circle
    let xy_inside_circle = xy.powi(2).sum_axis(1).lt(1.0);

    // pi is the fraction of points in circle x 4
    let pi = 4.0 * xy_inside_circle.sum().astype::<f64>() / xy_inside_circle.size() as f64;
    let pi = pi.compute_scalar()?;

    println!(
        "\nfrom {} GB randomly chosen positions",
        xy.nbytes() as f64 / 1e9
    );
    println!("   pi estimate: {pi}");
    println!("   pi error: {}\n", (pi - std::f64::consts::PI).abs());
    Ok(pi)
}

fn main() {
    cli::run_main(run);
}

fn run(args: &Args) -> spillway::Result<()> {
    let max_gb = args.max_gb;
    let trace_path = args.trace.as_ref();
    let client = Client::builder().memory_limit("1GB").build()?;
    println!("{client}");
    let trace = Arc::new(TraceRecorder::new());
    if trace_path.is_some() {
        client.add_monitor(trace.clone());
    }
    let mut sizes = vec![10_000usize];
    sizes.extend((1..=max_gb).map(|g| g * 1_000_000_000));
    for size in sizes {
        let t0 = Instant::now();
        calculate_pi(size);
        let serial = t0.elapsed().as_secs_f64();
        let t0 = Instant::now();
        spillway_calculate_pi(size)?;
        let lazy = t0.elapsed().as_secs_f64();
        println!(
            "size_bytes={size} ndarray_seconds={serial:.4} spillway_seconds={lazy:.4} speedup={:.2}",
            serial / lazy
        );
    }
    if let Some(path) = trace_path {
        trace.write(path)?;
        eprintln!("trace of {} tasks written to {path}", trace.len());
    }
    client.close();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Args;
    use clap::Parser;

    #[test]
    fn flags_parse_and_bad_ones_exit_with_2() {
        let args = Args::try_parse_from(["pi", "--max-gb", "2", "--trace", "t.json"]).unwrap();
        assert_eq!((args.max_gb, args.trace.as_deref()), (2, Some("t.json")));
        assert_eq!(Args::try_parse_from(["pi"]).unwrap().max_gb, 5);
        for bad in [
            &["pi", "--max-gb", "abc"][..],
            &["pi", "--max-gb"],
            &["pi", "--nope"],
        ] {
            assert_eq!(
                Args::try_parse_from(bad).unwrap_err().exit_code(),
                2,
                "{bad:?}"
            );
        }
    }
}
