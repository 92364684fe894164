"""``Client``: an in-process cluster with Dask's constructor and display.

spillway's workers are threads of this process sharing one memory budget (the sum of the
workers' ``memory_limit``); there is no scheduler process and nothing to connect to. The
most recently created client is the one computations use, as in Dask.
"""

from __future__ import annotations

from ._native import native

__all__ = ["Client", "LocalCluster", "progress", "wait"]


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB"


class Client:
    """An in-process cluster, as ``dask.distributed.Client``.

    Parameters
    ----------
    n_workers : int, optional
        Number of workers (default 1).
    threads_per_worker : int, optional
        Threads per worker (default: all cores across the workers).
    memory_limit : str or int, optional
        Memory per worker (``'1GB'``, bytes, or ``'auto'``); the budget is this times
        ``n_workers``.
    dashboard_address : str, optional
        Serve the status page there (``':8787'``, ``':0'`` for any free port).

    Examples
    --------
    >>> from spillway.distributed import Client
    >>> client = Client(n_workers=2, threads_per_worker=1, memory_limit='1GB')
    >>> client.status
    'running'
    >>> client.close()
    """

    def __init__(self, address=None, n_workers=None, threads_per_worker=None, memory_limit=None,
                 dashboard_address=None, processes=None, **kwargs):
        self._c = native._Client(n_workers, threads_per_worker, memory_limit, dashboard_address)

    @property
    def status(self) -> str:
        """``'running'`` or ``'closed'``."""
        return self._c.status

    @property
    def dashboard_link(self):
        """The status page's address, or None when none was asked for."""
        return self._c.dashboard_link

    @property
    def n_workers(self) -> int:
        """Number of workers."""
        return self._c.n_workers

    @property
    def threads_per_worker(self) -> int:
        """Threads per worker."""
        return self._c.threads_per_worker

    @property
    def memory_limit(self) -> int:
        """Memory per worker, in bytes."""
        return self._c.memory_limit

    def nthreads(self) -> dict:
        """Threads per worker, by worker name (as Dask's ``Client.nthreads``)."""
        return {f"worker-{i}": self._c.threads_per_worker for i in range(self._c.n_workers)}

    def memory_held(self):
        """``(bytes reserved now, most reserved at once)`` in the memory budget."""
        return self._c.memory_held()

    def close(self) -> None:
        """Closes the client; later computations need a new one."""
        self._c.close()

    def restart(self) -> None:
        """Stops running computations (the workers are threads: nothing to restart)."""
        self._c.interrupt()

    def shutdown(self) -> None:
        """Closes the client."""
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        from . import mpi

        job = mpi.current_job()
        if job is not None:
            # under MPI: the job's layout, and this rank's share
            return (
                f"<Client: 'mpi://spillway' ranks={job.size} layout='{job.layout}' "
                f"rank={job.rank} role='{job.role}' threads={self._c.total_threads}, "
                f"memory={_gib(self._c.total_memory)}>"
            )
        return (
            f"<Client: 'inproc://spillway' processes={self._c.n_workers} "
            f"threads={self._c.total_threads}, memory={_gib(self._c.total_memory)}>"
        )

    def __str__(self) -> str:
        return self.__repr__()

    def _repr_html_(self) -> str:
        link = self.dashboard_link
        dash = f'<a href="{link}" target="_blank">{link}</a>' if link else "not started (dashboard_address=':8787')"
        rows = [
            ("Connection method", "Cluster object"),
            ("Cluster type", "spillway.LocalCluster (in-process threads)"),
            ("Dashboard", dash),
            ("Status", self.status),
            ("Workers", str(self._c.n_workers)),
            ("Total threads", str(self._c.total_threads)),
            ("Total memory", _gib(self._c.total_memory)),
            ("Using processes", "False"),
        ]
        body = "".join(f"<tr><th style='text-align:left'>{k}</th><td style='text-align:left'>{v}</td></tr>" for k, v in rows)
        return f"<div><h3>Client</h3><table>{body}</table></div>"


LocalCluster = Client


def progress(*futures, **kwargs):
    """Dask's ``progress`` for futures: spillway computes eagerly on ``compute()``, so
    there is nothing to watch; use ``spillway.diagnostics.ProgressBar``."""
    return None


def wait(fs, **kwargs):
    """Dask's ``wait``: results from ``persist`` are already computed."""
    return fs
