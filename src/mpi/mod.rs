//! Many nodes over MPI (feature `mpi`): dask-mpi's `initialize`, with every rank running
//! the same program.
//!
//! Start the program under `mpirun` and call [`initialize`] first thing in `main`. The
//! ranks take dask-mpi's roles: rank 0 is the scheduler, rank 1 the client (the only rank
//! whose standard output is kept), ranks 2 and above the workers. With
//! [`Options::scheduler_in_client`] rank 0 is client and scheduler and ranks 1+ work.
//!
//! Rust closures and expression graphs cannot be sent to another process, so every rank
//! runs the whole program (SPMD) and builds the same arrays. Each `compute()` is
//! collective: every rank plans the same stages, the worker ranks each run a contiguous
//! range of every stage's tasks on their own threads under their own memory limit, and
//! what the tasks produced (reduction partials, output chunks) is gathered on the
//! scheduler rank and broadcast to every rank, where it is merged in the fixed
//! single-process order. Every rank then holds the same results and goes on identically,
//! and the same seed gives bit-identical answers whatever the number of ranks.
//!
//! The program must therefore be deterministic up to each `compute()`: the same arrays,
//! built in the same order, on every rank (no branching on the rank or on the clock before
//! a compute). See docs/mpi.md.
//!
//! ```no_run
//! # fn main() -> spillway::Result<()> {
//! let _mpi = spillway::mpi::initialize(4, "40GB")?;
//! let client = spillway::Client::builder().build()?;
//! println!("{client}"); // ranks, hosts, threads and memory
//! let x = spillway::random::random([1_000_000, 2], 100_000);
//! let total = x.sum().compute_scalar()?; // spread over ranks 2+
//! # let _ = total;
//! # Ok(()) }
//! ```

//!
//! `initialize` registers the job as the executor's distributed hook
//! (`spillway::exec::distributed`): from then on each `compute()` runs through it.

mod error;
mod exec;
mod hook;
mod shared;
mod tasklog;
mod world;

pub use error::MpiError;
pub use world::{Mpi, Options, RankInfo, Role, initialize, initialize_with};
