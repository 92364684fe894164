//! What goes wrong when computing over MPI ranks.

use crate::exec::client::RuntimeError;
use crate::exec::error::{ExecError, OpError};

/// An error of a computation spread over MPI ranks.
///
/// ```
/// use spillway::mpi::MpiError;
/// let err = MpiError::TooFewRanks { ranks: 2, needed: 3, roles: spillway::mpi::Layout::DaskMpi.roles().into() };
/// assert!(err.to_string().contains("need at least 3: start it with `mpirun -n 3`"));
/// let cut = MpiError::Unreachable {
///     silent: vec![(2, "host3".into())],
///     seconds: 5.2,
///     from_rank: 0,
///     from_host: "host1".into(),
///     every: 1.0,
/// };
/// assert!(cut.to_string().starts_with("rank 2 on host3 is unreachable: no word from it for 5.2 s"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MpiError {
    /// The job has fewer ranks than its roles need.
    #[error(
        "the MPI job has {ranks} rank(s) but its roles ({roles}) need at least {needed}: start it with `mpirun -n {needed}` or more{hint}",
        hint = if *needed > 1 { ", or use the default layout (Layout::EveryRankComputes), in which every rank runs tasks and one rank is enough" } else { "" }
    )]
    TooFewRanks {
        /// Ranks in the job.
        ranks: usize,
        /// Ranks the roles need.
        needed: usize,
        /// The roles, in words.
        roles: String,
    },
    /// A rank's threads or memory limit were refused (a bad memory limit, a malformed
    /// `SLURM_` variable, more threads or memory than Slurm granted); every rank returns
    /// the same error.
    #[error("cannot start the MPI job: {refused}")]
    Settings {
        /// The ranks, their hosts and why, such as `every rank (0, 1) (on node1): 8
        /// threads asked for, but Slurm granted 4 CPUs per task ...`.
        refused: String,
    },
    /// `initialize` was called twice, or MPI could not start.
    #[error("cannot initialize MPI: {reason}")]
    Init {
        /// Why.
        reason: String,
    },
    /// A rank failed while running its share of a computation.
    #[error("rank {rank} (on {host}) failed in stage {stage} ({tasks}): {message}")]
    RankFailed {
        /// The rank.
        rank: usize,
        /// Its host name.
        host: String,
        /// The stage's op.
        stage: String,
        /// The tasks the rank was running, such as `tasks 20..40 of 40`.
        tasks: String,
        /// What went wrong there (names the task when a task failed).
        message: String,
    },
    /// A step that one rank takes for all (creating a zarr store, marking it complete)
    /// failed there.
    #[error("rank {rank} (on {host}) failed {what}: {message}")]
    OnRank {
        /// The rank.
        rank: usize,
        /// Its host name.
        host: String,
        /// The step, such as `creating the zarr store /data/x.zarr`.
        what: String,
        /// What went wrong there.
        message: String,
    },
    /// Ranks did not report within the timeout.
    #[error(
        "stage {stage}: no answer within {seconds} s from {missing}; set SPILLWAY_MPI_TIMEOUT (seconds) to wait longer"
    )]
    Timeout {
        /// The stage's op.
        stage: String,
        /// Seconds waited.
        seconds: u64,
        /// The ranks, their hosts and tasks.
        missing: String,
    },
    /// Ranks went silent: the liveness check heard nothing from them for longer than its
    /// timeout (a host cut off the network, a process stopped or frozen). Rank 0 names
    /// the silent ranks; a rank that stops hearing from rank 0 names rank 0.
    #[error(
        "{} unreachable: no word from {} for {seconds:.1} s (seen from rank {from_rank} on {from_host}; ranks say they are alive every {every:.1} s); ending the job; set SPILLWAY_MPI_HEARTBEAT_TIMEOUT (seconds) to wait longer, or to 0 to turn this check off",
        describe_silent(.silent),
        if .silent.len() == 1 { "it" } else { "them" }
    )]
    Unreachable {
        /// The silent ranks with their hosts.
        silent: Vec<(usize, String)>,
        /// Seconds since the last word from the longest silent of them.
        seconds: f64,
        /// The rank that noticed.
        from_rank: usize,
        /// Its host name.
        from_host: String,
        /// Seconds between two heartbeats.
        every: f64,
    },
    /// Bytes received from another rank do not decode: the ranks are not running the
    /// same program with the same arrays.
    #[error(
        "received {what} that do not match this rank's plan ({detail}); every rank must run the same program and build the same arrays up to each compute()"
    )]
    Corrupt {
        /// What was being decoded.
        what: String,
        /// Where it went wrong.
        detail: String,
    },
    /// The rank's client could not be built from the settings given to `initialize`
    /// (`spillway::Error` reports it as `Error::Runtime`).
    #[error(transparent)]
    Client(#[from] RuntimeError),
}

/// `rank 2 on host3 is`, or `ranks 2 on host3, 3 on host3 are`.
fn describe_silent(silent: &[(usize, String)]) -> String {
    let each: Vec<String> = silent
        .iter()
        .map(|(rank, host)| format!("{rank} on {host}"))
        .collect();
    match each.len() {
        1 => format!("rank {} is", each[0]),
        _ => format!("ranks {} are", each.join(", ")),
    }
}

/// An MPI failure met while running stages, carried through the executor (which knows
/// nothing of MPI) and taken back by `spillway::Error` as `Error::Mpi`.
impl From<MpiError> for ExecError {
    fn from(e: MpiError) -> Self {
        match e {
            MpiError::Client(r) => ExecError::Runtime(r),
            other => ExecError::Op(OpError::new(other)),
        }
    }
}
