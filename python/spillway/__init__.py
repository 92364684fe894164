"""spillway: Dask Array's API on a Rust engine that keeps a strict memory budget.

``import spillway.array as da`` for arrays, ``from spillway.distributed import Client``
for the cluster, ``spillway.delayed`` and ``spillway.compute`` for tasks: the Dask lesson's
code runs with only its imports changed.
"""

from . import array, diagnostics, distributed, mpi
from ._native import MemoryBudgetError
from .delayed import compute, delayed, visualize

__version__ = "0.1.0"
__all__ = ["array", "distributed", "diagnostics", "delayed", "compute", "visualize",
           "persist", "MemoryBudgetError", "__version__"]


def persist(*args, **kwargs):
    """Computes arrays and keeps their values in memory, as ``dask.persist``."""
    return array.persist(*args, **kwargs)
