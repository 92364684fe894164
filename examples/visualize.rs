//! Draws the lesson's task graphs and chunk diagrams into a folder.
//!
//! ```text
//! cargo run --release --example visualize -- --out target/visualize
//! ```
//!
//! Writes, for each of the lesson's arrays (`a_da`, `a_da ** 2`, the 15x15
//! `(x + x.T).sum()` and the Monte-Carlo pi), the fused graph as `.svg` and `.dot`, the
//! graph with one box per op as `-ops.svg`/`-ops.dot`, and the chunk diagram as
//! `-chunks.svg`; then prints the paths.

#[path = "common/cli.rs"]
mod cli;

use clap::Parser;
use spillway::{Array, Element, VisualizeOptions, arange, random};
use std::path::{Path, PathBuf};

/// Draws the lesson's task graphs and chunk diagrams into a folder.
#[derive(Parser, Debug)]
#[command(name = "visualize")]
struct Args {
    /// The folder to write into.
    #[arg(long, default_value = "target/visualize")]
    out: PathBuf,
}

fn write<T: Element>(dir: &Path, name: &str, array: &Array<T>) -> spillway::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    let fused = array.visualize();
    let ops = array.visualize_with(VisualizeOptions { fused: false });
    for (suffix, view) in [("", &fused), ("-ops", &ops)] {
        for ext in ["svg", "dot"] {
            let path = dir.join(format!("{name}{suffix}.{ext}"));
            view.save(&path)?;
            paths.push(path);
        }
    }
    let path = dir.join(format!("{name}-chunks.svg"));
    std::fs::write(&path, array.chunk_diagram_svg()).map_err(|e| spillway::Error::io(&path, e))?;
    paths.push(path);
    Ok(paths)
}

fn main() {
    cli::run_main(run);
}

fn run(args: &Args) -> spillway::Result<()> {
    let out = &args.out;
    std::fs::create_dir_all(out).map_err(|e| spillway::Error::io(out, e))?;

    let a_da = arange(1i64, 50, 3, 5);
    let x = random::random([15, 15], [10, 5]);
    let result = (&x + &x.t()).sum();
    let size_in_bytes = 10_000_000usize;
    let shape = (size_in_bytes / 8 / 2, 2);
    let xy = random::uniform(0.0, 1.0, shape, shape.0 / 20);
    let inside = xy.powi(2).sum_axis(1).lt(1.0);
    let pi = 4.0 * inside.sum().astype::<f64>() / inside.size() as f64;

    let mut paths = write(out, "a_da", &a_da)?;
    paths.extend(write(out, "a_da_squared", &a_da.powi(2))?);
    paths.extend(write(out, "x_plus_xt_sum", &result)?);
    paths.extend(write(out, "pi", &pi)?);
    for path in paths {
        println!("{}", path.display());
    }
    Ok(())
}
