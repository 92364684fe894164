//! Steps that every process of a distributed job takes together, and that are plain calls
//! in one process: making a store once for all processes, marking it complete, naming
//! intermediate stores that every process can read. They go through the registered
//! [`Distributed`](super::distributed::Distributed) hook (see `spillway::mpi`).

use super::distributed::registered;
use super::error::Result;
use std::path::PathBuf;

/// True when computations spread over processes (a hook is registered, as after
/// `spillway::mpi::initialize`): stores written then are shared through the file system.
pub(crate) fn spread() -> bool {
    registered().is_some()
}

/// `make` on one process, then `join` on the others (each gets the value or the same
/// error); in one process, `make`. `what` names the step in errors.
///
/// Spread over processes, `make` runs on the maker only, the processes meet, then every
/// other process runs `join` (opens what `make` made) and they meet again.
pub(crate) fn made_once<S>(
    what: &str,
    make: impl FnOnce() -> Result<S>,
    join: impl FnOnce() -> Result<S>,
) -> Result<S> {
    let Some(hook) = registered() else {
        return make();
    };
    let mut made = if hook.is_maker() { Some(make()) } else { None };
    let step = match &made {
        Some(Err(e)) => Err(e.clone()),
        _ => Ok(()),
    };
    hook.meet(what, &step)?;
    let value = made.take().unwrap_or_else(join);
    let step = value.as_ref().map(|_| ()).map_err(Clone::clone);
    hook.meet(what, &step)?;
    value
}

/// `f` on one process, its outcome on every process; in one process, `f`. Called by every
/// process at the same point of the program.
pub(crate) fn on_one_rank(what: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    let Some(hook) = registered() else {
        return f();
    };
    let step = if hook.is_maker() { f() } else { Ok(()) };
    hook.meet(what, &step)
}

/// Where the running computation's current stage keeps an intermediate store that every
/// process reads (in the distributed job's work directory); `None` in one process.
pub(crate) fn scratch_path(label: &str) -> Option<PathBuf> {
    registered().map(|hook| hook.scratch_path(label))
}
