//! Many nodes over MPI (feature `mpi`): dask-mpi's `initialize`, with every rank running
//! the same program.
//!
//! Start the program under `mpirun` or `srun` and call [`initialize`] first thing in
//! `main` (or, in a program that started MPI itself, [`initialize_in`] with its
//! communicator). By default ([`Layout::EveryRankComputes`]) every rank runs its share of
//! the tasks, and rank 0 also coordinates and is the client (the only rank whose standard
//! output is kept). [`Layout::DaskMpi`] is dask-mpi's layout, the lesson's twin: rank 0
//! the scheduler, rank 1 the client, ranks 2 and above the workers. Threads and memory
//! not given come from what Slurm granted (`SLURM_CPUS_PER_TASK`, `SLURM_MEM_PER_NODE`,
//! `SLURM_MEM_PER_CPU`, `SLURM_NTASKS_PER_NODE`).
//!
//! Rust closures and expression graphs cannot be sent to another process, so every rank
//! runs the whole program (SPMD) and builds the same arrays. Each `compute()` is
//! collective: every rank plans the same stages, the ranks that run tasks each run a
//! contiguous range of every stage's tasks on their own threads under their own memory
//! limit, and what the tasks produced (reduction partials, output chunks) is gathered on
//! rank 0 and broadcast to every rank, where it is merged in the fixed
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
//! let total = x.sum().compute_scalar()?; // spread over every rank
//! # let _ = total;
//! # Ok(()) }
//! ```

//!
//! `initialize` registers the job as the executor's distributed hook
//! (`spillway::exec::distributed`): from then on each `compute()` runs through it.

mod allgather;
mod error;
mod exec;
mod hook;
mod init;
mod liveness;
mod options;
mod settings;
mod shared;
mod tasklog;
mod world;

pub use error::MpiError;
pub use init::{initialize, initialize_in, initialize_with};
pub use options::{Layout, Options, Role};
pub use world::{Mpi, RankInfo};
