"""``from_zarr`` and ``to_zarr``: zarr v3 stores (zarr v2 read), the dtype read from the
store's metadata."""

from __future__ import annotations

import os

from .._native import native
from .core import Array, _wrap, asarray

__all__ = ["from_zarr", "to_zarr"]


def from_zarr(url, component=None, **kwargs) -> Array:
    """Opens the zarr array at ``url`` (``component``: an array inside a group) in the
    dtype it was stored with, as ``da.from_zarr``.

    Raises
    ------
    FileNotFoundError
        When there is no store at ``url``.
    """
    path = os.fspath(url)
    if component:
        path = os.path.join(path, component)
    return _wrap(native.from_zarr(path))


def to_zarr(arr, url, component=None, overwrite=False, resume=False, compute=True, **kwargs):
    """Writes ``arr`` to a zarr v3 store at ``url``, as ``da.to_zarr``."""
    path = os.fspath(url)
    if component:
        path = os.path.join(path, component)
    asarray(arr).to_zarr(path, overwrite=overwrite, resume=resume)
