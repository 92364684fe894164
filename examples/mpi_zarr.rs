//! A zarr-backed computation on many nodes over MPI, and the same in one process, for
//! scripts/netns_mpi.sh (three hosts on a network): `(x + x.T).sum()` of a zarr array, and
//! `((x + x.T) * 2).to_zarr(out)`, whose store says it is complete only once every rank
//! wrote its share.
//!
//! ```text
//! cargo build --release --features mpi --example mpi_zarr
//! mpi_zarr input DIR [--n 1200] [--chunk 200] [--seed 5]   # one process: DIR/x.zarr
//! mpi_zarr sum DIR                       # one process: (x + x.T).sum() of DIR/x.zarr
//! mpirun -n 3 mpi_zarr sum DIR --mpi     # the same, spread over the ranks
//! mpirun -n 3 mpi_zarr write DIR OUT --mpi   # ((x + x.T) * 2).to_zarr(OUT)
//!     [--rounds K]                       # then K rounds of s = sin(s) + v per value
//! mpi_zarr check OUT                     # one process: can OUT be read, is it complete?
//! ```
//!
//! (As root add `--allow-run-as-root` to mpirun.) The last line of `sum` is
//! `sum=<value> bits=<its 64 bits in hex> seconds=<compute seconds>`, the same bits in one
//! process and over MPI; of `write`, `wrote=<path> chunks=<chunks written>
//! seconds=<seconds>`. `check` prints `complete <path>` (exit 0) or `incomplete <path>:
//! <the error from_zarr gives>` (exit 3). With `--mpi` only the client rank prints.

#[path = "common/cli.rs"]
mod cli;

use clap::{Parser, Subcommand};
use spillway::mpi::{Options, initialize_with};
use spillway::{Client, Result, from_zarr};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A zarr-backed `(x + x.T)`, over MPI (`--mpi`, under mpirun) or in one process.
#[derive(Parser, Debug)]
#[command(name = "mpi_zarr")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Writes DIR/x.zarr, an n x n random array (one process).
    Input {
        dir: PathBuf,
        /// Rows and columns.
        #[arg(long, default_value_t = 1200, value_parser = cli::positive)]
        n: usize,
        /// Rows and columns of a chunk.
        #[arg(long, default_value_t = 200, value_parser = cli::positive)]
        chunk: usize,
        /// Seed of the random values.
        #[arg(long, default_value_t = 5)]
        seed: u64,
    },
    /// Prints `(x + x.T).sum()` of DIR/x.zarr and its bits.
    Sum {
        dir: PathBuf,
        #[command(flatten)]
        run: Run,
    },
    /// Writes `(x + x.T) * 2` of DIR/x.zarr to the zarr store OUT.
    Write {
        dir: PathBuf,
        out: PathBuf,
        /// Then replace each value v by `s = sin(s) + v` iterated this many times from
        /// s = v: a compute-heavy step, to make a small write last seconds.
        #[arg(long, default_value_t = 0)]
        rounds: u32,
        #[command(flatten)]
        run: Run,
    },
    /// Opens the zarr store OUT for reading: complete (exit 0) or not (exit 3).
    Check { out: PathBuf },
}

/// How a computation runs.
#[derive(clap::Args, Debug)]
struct Run {
    /// Join the MPI job (start under mpirun); else one process.
    #[arg(long)]
    mpi: bool,
    /// Threads of each rank (or of the one process).
    #[arg(long, default_value_t = 1, value_parser = cli::positive)]
    threads_per_worker: usize,
    /// Memory budget of each rank (or of the one process).
    #[arg(long, default_value = "512MB", value_parser = cli::memory_limit)]
    memory_limit: String,
}

impl Run {
    /// This process's client: the rank's, after joining the MPI job, or a plain one.
    fn client(&self) -> Result<Client> {
        if self.mpi {
            initialize_with(Options::new(
                self.threads_per_worker,
                self.memory_limit.as_str(),
            ))?;
            return Ok(Client::builder().build()?);
        }
        Ok(Client::builder()
            .n_workers(1)
            .threads_per_worker(self.threads_per_worker)
            .memory_limit(self.memory_limit.as_str())
            .build()?)
    }
}

fn input(dir: &Path, n: usize, chunk: usize, seed: u64) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| spillway::Error::io(dir, e))?;
    let x = spillway::random::default_rng(seed).random([n, n], chunk);
    let report = x.to_zarr(dir.join("x.zarr"))?;
    println!(
        "input={} n={n} chunks={}",
        dir.join("x.zarr").display(),
        report.chunks_written
    );
    Ok(())
}

fn sum(dir: &Path, run: &Run) -> Result<()> {
    let client = run.client()?;
    let x = from_zarr::<f64>(dir.join("x.zarr"));
    let started = Instant::now();
    let total = (&x + &x.t()).sum().compute_scalar()?;
    let seconds = started.elapsed().as_secs_f64();
    client.close();
    println!(
        "sum={total} bits={:016x} seconds={seconds:.3}",
        total.to_bits()
    );
    Ok(())
}

fn write(dir: &Path, out: &Path, rounds: u32, run: &Run) -> Result<()> {
    let client = run.client()?;
    let x = from_zarr::<f64>(dir.join("x.zarr"));
    let mut y = (&x + &x.t()) * 2.0;
    if rounds > 0 {
        y = y.map(move |v: f64| {
            let mut s = v;
            for _ in 0..rounds {
                s = s.sin() + v;
            }
            s
        });
    }
    let started = Instant::now();
    let report = y.to_zarr(out)?;
    let seconds = started.elapsed().as_secs_f64();
    client.close();
    println!(
        "wrote={} chunks={} seconds={seconds:.3}",
        out.display(),
        report.chunks_written
    );
    Ok(())
}

fn check(out: &Path) -> ! {
    match from_zarr::<f64>(out).check() {
        Ok(_) => {
            println!("complete {}", out.display());
            std::process::exit(0)
        }
        Err(e) => {
            println!("incomplete {}: {e}", out.display());
            std::process::exit(3)
        }
    }
}

fn main() {
    // mpirun passes a `--` before the program's flags through to it
    let args = Args::parse_from(std::env::args().filter(|a| a != "--"));
    let outcome = match &args.command {
        Command::Input {
            dir,
            n,
            chunk,
            seed,
        } => input(dir, *n, *chunk, *seed),
        Command::Sum { dir, run } => sum(dir, run),
        Command::Write {
            dir,
            out,
            rounds,
            run,
        } => write(dir, out, *rounds, run),
        Command::Check { out } => check(out),
    };
    if let Err(e) = outcome {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
