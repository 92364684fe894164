//! Steps that every process of an MPI job takes together (feature `mpi`), and that are
//! plain calls in one process: making a store once for all ranks, marking it complete,
//! naming intermediate stores that every rank can read. See `src/mpi/shared.rs`.

use super::error::Result;
use std::path::PathBuf;

/// True when computations spread over MPI ranks (after `spillway::mpi::initialize`):
/// stores written then are shared through the file system.
pub(crate) fn spread() -> bool {
    #[cfg(feature = "mpi")]
    {
        crate::mpi::spread()
    }
    #[cfg(not(feature = "mpi"))]
    {
        false
    }
}

/// `make` on one rank, then `join` on the others (each gets the value or the same
/// error); in one process, `make`. `what` names the step in errors.
pub(crate) fn made_once<S>(
    what: &str,
    make: impl FnOnce() -> Result<S>,
    join: impl FnOnce() -> Result<S>,
) -> Result<S> {
    #[cfg(feature = "mpi")]
    {
        crate::mpi::made_once(what, make, join)
    }
    #[cfg(not(feature = "mpi"))]
    {
        let _ = (what, join);
        make()
    }
}

/// `f` on one rank, its outcome on every rank; in one process, `f`.
pub(crate) fn on_one_rank(what: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    #[cfg(feature = "mpi")]
    {
        crate::mpi::on_one_rank(what, f)
    }
    #[cfg(not(feature = "mpi"))]
    {
        let _ = what;
        f()
    }
}

/// Where the running computation's current stage keeps an intermediate store that every
/// rank reads (in the MPI job's work directory); `None` in one process.
pub(crate) fn scratch_path(label: &str) -> Option<PathBuf> {
    #[cfg(feature = "mpi")]
    {
        crate::mpi::scratch_path(label)
    }
    #[cfg(not(feature = "mpi"))]
    {
        let _ = label;
        None
    }
}
