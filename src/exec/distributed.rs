//! The hook through which stages run spread over several processes: the [`Distributed`]
//! trait, the one registration slot, and the errors of stages run that way.
//!
//! Nothing here knows how processes talk. `spillway::mpi::initialize()` (feature `mpi`)
//! registers a hook that runs every rank's share of each stage and exchanges what the
//! tasks produced ([`Exchange`](super::stage::Exchange)); without a registered hook,
//! every computation runs in this process, and the steps taken "once for all processes"
//! ([`collective`](super::collective)) are plain calls.

use super::client::{Client, MemoryLimit};
use super::error::Result;
use super::report::RunReport;
use super::stage::Stage;
use crate::util::wire::WireError;
use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;

/// How stages run when a computation is spread over several processes that all run the
/// same program (SPMD), such as the ranks of an MPI job.
///
/// Every method is collective where it says so: every process calls it at the same point
/// of the program.
///
/// A hook that runs every stage in this process, as if none were registered:
///
/// ```
/// use spillway::exec::distributed::Distributed;
/// use spillway::exec::executor::{run_validated, validate};
/// use spillway::exec::report::RunReport;
/// use spillway::exec::stage::Stage;
/// use spillway::exec::error::Result;
/// use spillway::{Client, MemoryLimit};
///
/// struct Alone;
///
/// impl Distributed for Alone {
///     fn run_stages(&self, stages: &[Box<dyn Stage>], client: &Client) -> Result<RunReport> {
///         validate(stages, client.budget())?;
///         let stages: Vec<&dyn Stage> = stages.iter().map(|s| s.as_ref()).collect();
///         run_validated(&stages, client)
///     }
///     fn is_maker(&self) -> bool {
///         true
///     }
///     fn meet(&self, _what: &str, mine: &Result<()>) -> Result<()> {
///         mine.clone()
///     }
///     fn scratch_path(&self, label: &str) -> std::path::PathBuf {
///         std::env::temp_dir().join(format!("{label}.zarr"))
///     }
///     fn client_defaults(&self) -> (usize, MemoryLimit) {
///         (1, MemoryLimit::from("1GB"))
///     }
///     fn write_summary(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         writeln!(f, "  one process")
///     }
/// }
///
/// assert!(Alone.is_maker());
/// ```
pub trait Distributed: Send + Sync {
    /// Runs `stages` (collectively), in place of the one-process runner: validates them,
    /// runs this process's share of each stage and meets the others. Every process
    /// returns the same results, or the same error.
    fn run_stages(&self, stages: &[Box<dyn Stage>], client: &Client) -> Result<RunReport>;
    /// True on the one process that makes what every process shares (a store made once,
    /// a step taken on one process for all).
    fn is_maker(&self) -> bool;
    /// Every process's outcome of the step `what` (collective): `Ok` when all succeeded,
    /// else this process's own error or, on the others, the failed process's.
    fn meet(&self, what: &str, mine: &Result<()>) -> Result<()>;
    /// The path of a new intermediate store of the running computation's current stage,
    /// the same on every process and seen by all, removed when the computation ends.
    fn scratch_path(&self, label: &str) -> PathBuf;
    /// The (threads, memory limit) of clients built afterwards without settings of their
    /// own.
    fn client_defaults(&self) -> (usize, MemoryLimit);
    /// The lines this hook adds to a client's summary (its processes, hosts, memory).
    fn write_summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

static HOOK: OnceLock<Box<dyn Distributed>> = OnceLock::new();

/// Registers `hook`: from now on every computation of this process runs through it. There
/// is one slot; a second registration is refused and gives the hook back.
///
/// # Errors
///
/// The hook, when one was registered before.
///
/// ```no_run
/// # use spillway::exec::distributed::{register, Distributed};
/// # fn hook() -> Box<dyn Distributed> { unimplemented!() }
/// // what spillway::mpi::initialize() does once the MPI job is set up
/// assert!(register(hook()).is_ok());
/// ```
pub fn register(hook: Box<dyn Distributed>) -> Result<(), Box<dyn Distributed>> {
    HOOK.set(hook)
}

/// The registered hook, if any.
///
/// ```
/// // in a program that did not call spillway::mpi::initialize
/// assert!(spillway::exec::distributed::registered().is_none());
/// ```
pub fn registered() -> Option<&'static dyn Distributed> {
    HOOK.get().map(|hook| hook.as_ref())
}

/// The registered hook's defaults for new clients: (threads, memory limit).
pub(crate) fn client_defaults() -> Option<(usize, MemoryLimit)> {
    registered().map(|hook| hook.client_defaults())
}

/// The registered hook's lines of a client summary (none without a hook).
pub(crate) fn write_summary(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match registered() {
        Some(hook) => hook.write_summary(f),
        None => Ok(()),
    }
}

/// What goes wrong in a stage run spread over processes that the executor and the stages
/// themselves can tell (the hook adds its own errors: failed or silent processes).
///
/// ```
/// use spillway::exec::distributed::DistributedError;
/// let err = DistributedError::Unsupported { op: "this reduction".into() };
/// assert!(err.to_string().starts_with("this reduction cannot be spread over MPI ranks"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DistributedError {
    /// Bytes received from another process do not decode.
    #[error(transparent)]
    Corrupt(#[from] WireError),
    /// A stage kind that is not yet spread over processes was asked to be.
    #[error(
        "{op} cannot be spread over MPI ranks yet; compute it in a program without mpi::initialize"
    )]
    Unsupported {
        /// The op.
        op: String,
    },
}
