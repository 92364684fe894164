"""``x[index]``: NumPy's basic and advanced indexing on an ``Array``.

Slices (any step, negative included), integers, ``None``, ``...``, lists and arrays of
integers (one per indexed axis) and boolean masks as long as an axis are lazy. A boolean
mask with the array's own shape selects elements in C order; spillway computes such a mask
first (its result length must be known to plan), where Dask gives unknown (NaN) chunks.
"""

from __future__ import annotations

import numbers

import numpy as np

from .core import Array, _wrap

__all__ = ["getitem"]


def _elem(item, extent):
    if isinstance(item, slice):
        step = 1 if item.step is None else int(item.step)
        if step == 0:
            raise ValueError("slice step cannot be zero")
        start = None if item.start is None else int(item.start)
        stop = None if item.stop is None else int(item.stop)
        return ("slice", start, stop, step)
    if item is None:
        return ("newaxis",)
    if item is Ellipsis:
        return ("ellipsis",)
    if isinstance(item, (bool, np.bool_)):
        raise IndexError("a lone boolean index is not supported; use a mask as long as the axis")
    if isinstance(item, (numbers.Integral, np.integer)):
        return ("int", int(item))
    if isinstance(item, Array):
        if item.ndim != 1:
            raise IndexError(f"an index array must be 1-d here, got shape {item.shape}")
        if item.dtype == np.bool_:
            return ("lazy-mask", item)
        item = item.compute()
    values = np.asarray(item)
    if values.dtype == np.bool_:
        if values.ndim != 1:
            raise IndexError(f"a boolean index must be 1-d here, got shape {values.shape}")
        return ("mask", [bool(v) for v in values])
    if values.dtype.kind in "iu":
        if values.ndim != 1:
            raise IndexError(f"an integer index array must be 1-d, got shape {values.shape}")
        return ("list", [int(v) for v in values])
    raise IndexError(
        f"only integers, slices, None, ..., integer lists and boolean masks are valid indices; got {item!r}"
    )


def getitem(x: Array, index) -> Array:
    """``x[index]`` (see the module doc).

    Parameters
    ----------
    x : Array
    index : int, slice, None, Ellipsis, list, ndarray, Array or a tuple of them

    Returns
    -------
    Array
    """
    if not isinstance(index, tuple):
        index = (index,)
    # a boolean mask of the array's whole shape: the elements where it is true
    if len(index) == 1 and x.ndim > 1:
        mask = index[0]
        if isinstance(mask, Array) and mask.dtype == np.bool_ and mask.shape == x.shape:
            mask = mask.compute()
        if isinstance(mask, np.ndarray) and mask.dtype == np.bool_ and mask.shape == x.shape:
            return getitem(x.ravel(), np.flatnonzero(mask))
    elems = []
    lazy_masks = []
    axis = 0
    for item in index:
        e = _elem(item, None)
        if e[0] == "lazy-mask":
            lazy_masks.append((axis, e[1]))
            e = ("slice", None, None, 1)
        elems.append(e)
        if e[0] not in ("newaxis", "ellipsis"):
            axis += 1
    out = _wrap(x._a.index(elems))
    for ax, mask in lazy_masks:
        out = _wrap(out._a.index_mask(mask._a, ax))
    return out
