"""``spillway.array``: Dask Array's API on spillway's engine.

Import it as Dask's: ``import spillway.array as da``. Arrays are lazy; ``compute()`` runs
them on the current ``spillway.distributed.Client`` under its memory budget.

Examples
--------
>>> import spillway.array as da
>>> a_da = da.arange(1, 50, 3, chunks=5)
>>> a_da.chunks
((5, 5, 5, 2),)
"""

from . import linalg, random
from .blockwise import blockwise, map_blocks, map_overlap, reduction
from .core import Array, asarray, from_array
from .gufunc import apply_gufunc
from .creation import (
    arange, asanyarray, empty, empty_like, eye, full, full_like, linspace, ones, ones_like,
    zeros, zeros_like,
)
from .routines import *  # noqa: F401,F403  (NumPy's names: sum, mean, sin, where, ...)
from .routines import __all__ as _routines
from .zarr_io import from_zarr, to_zarr

__all__ = [
    "Array", "asarray", "asanyarray", "from_array", "arange", "linspace", "zeros", "ones",
    "full", "empty", "eye", "zeros_like", "ones_like", "full_like", "empty_like", "random",
    "linalg", "from_zarr", "to_zarr", "map_blocks", "map_overlap", "blockwise", "reduction", "apply_gufunc",
    "compute", "persist", "store",
] + list(_routines)


def compute(*args, **kwargs):
    """Computes several arrays (and delayed values) in one pass, as ``dask.compute``."""
    from ..delayed import compute as _compute

    return _compute(*args, **kwargs)


def persist(*args, **kwargs):
    """Computes arrays and keeps their values in memory."""
    out = tuple(a.persist() if isinstance(a, Array) else a for a in args)
    return out[0] if len(out) == 1 else out


def store(sources, targets, **kwargs):
    """Writes each array to its zarr path."""
    if isinstance(sources, Array):
        sources, targets = [sources], [targets]
    for s, t in zip(sources, targets):
        to_zarr(s, t, **kwargs)
