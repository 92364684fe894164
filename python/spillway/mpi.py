"""``spillway.mpi``: the lesson's Dask-MPI program on MPI itself.

The lesson's ``from dask_mpi import initialize`` becomes ``from spillway.mpi import
initialize``; the script is started the same way (``mpirun -n 6 python -u script.py`` or
``srun``). Unlike dask-mpi, every rank runs the whole script (each builds the same arrays,
and each ``compute()`` is shared out over the ranks); standard output is kept on the
client rank only, so the script prints once. Needs the package built with its ``mpi``
feature: ``MATURIN_PEP517_ARGS="--features mpi" pip install ./python`` (an MPI library such
as Debian's ``libopenmpi-dev``, and ``libclang-dev``, must be installed to build it).
"""

from __future__ import annotations

from dataclasses import dataclass

from ._native import native

__all__ = ["initialize", "available", "current_job", "MpiJob"]

_JOB = None


@dataclass(frozen=True)
class MpiJob:
    """This process's place in the MPI job, as :func:`initialize` returns it.

    Attributes
    ----------
    rank : int
        This process's rank.
    size : int
        Ranks in the job.
    role : str
        ``'coordinator+worker'``, ``'worker'``, or in the dask-mpi layout ``'scheduler'``,
        ``'client'`` or ``'worker'``.
    layout : str
        The layout's description.
    is_client : bool
        Whether this rank's output is kept.

    Examples
    --------
    >>> MpiJob(0, 1, "coordinator+worker", "every rank computes", True).is_client
    True
    """

    rank: int
    size: int
    role: str
    layout: str
    is_client: bool


def available() -> bool:
    """Whether this build of spillway can join an MPI job (its ``mpi`` feature).

    Returns
    -------
    bool

    Examples
    --------
    >>> isinstance(available(), bool)
    True
    """
    return bool(native.mpi_available())


def initialize(nthreads=None, memory_limit=None, layout="every-rank", timeout=None,
               local_directory=None, **dask_mpi_options) -> MpiJob:
    """Join this process to the MPI job, as ``dask_mpi.initialize``.

    Call it once, at the top of the script, on every rank; then ``Client()`` (without
    arguments) gets this rank's threads and memory limit, and every ``compute()`` runs
    over all ranks, with the same bits as one process.

    Parameters
    ----------
    nthreads : int, optional
        Threads per rank (default: ``SLURM_CPUS_PER_TASK`` under Slurm, else the node's
        cores divided by the ranks on it).
    memory_limit : str or int, optional
        Memory per rank, ``'40GB'`` (default: from Slurm's ``--mem``/``--mem-per-cpu``,
        else half the node's memory divided by the ranks on it).
    layout : {'every-rank', 'dask-mpi'}
        ``'every-rank'`` (default): every rank runs tasks, rank 0 also coordinates.
        ``'dask-mpi'``: the lesson's roles (rank 0 scheduler, rank 1 the client, ranks 2+
        workers; at least 3 ranks).
    timeout : float, optional
        Seconds rank 0 waits for a stage before naming the silent ranks and ending the job
        (default ``SPILLWAY_MPI_TIMEOUT``, else 600).
    local_directory : str, optional
        A directory every rank sees, for what ranks exchange through files (default
        ``SPILLWAY_WORK_DIR``, else the current directory).
    **dask_mpi_options
        dask-mpi's other options (``interface``, ``nanny``, ``dashboard``, ``protocol``,
        ``exit``, ...) are accepted and have no effect: there are no scheduler or worker
        processes to configure.

    Returns
    -------
    MpiJob
        This rank's place in the job.

    Raises
    ------
    RuntimeError
        When this build has no MPI (see the module's docs), MPI cannot start, or it is
        called twice; on every rank, when a rank's settings are refused (more threads or
        memory than Slurm granted), naming the ranks.
    ValueError
        For an unknown ``layout`` or a timeout that is not a positive number.

    Examples
    --------
    >>> from spillway.mpi import initialize          # doctest: +SKIP
    >>> initialize(nthreads=4, memory_limit='40GB')  # doctest: +SKIP
    """
    if memory_limit is not None and not isinstance(memory_limit, str):
        memory_limit = str(int(memory_limit))
    rank, size, role, lay, is_client = native.mpi_initialize(
        nthreads, memory_limit, layout, timeout,
        None if local_directory is None else str(local_directory))
    global _JOB
    _JOB = MpiJob(rank, size, role, lay, is_client)
    return _JOB


def current_job():
    """The job :func:`initialize` joined, or None before (or without) it.

    Returns
    -------
    MpiJob or None

    Examples
    --------
    >>> current_job() is None or current_job().size >= 1
    True
    """
    return _JOB
