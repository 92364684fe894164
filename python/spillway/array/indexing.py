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


MAX_RUNS = 64


def _as_runs_of_slices(x: Array, index: tuple):
    """``x[index]`` as slices joined along the list's axis, when ``index`` is slices and
    integers plus one ascending integer list made of a few runs of consecutive values
    (xarray's group-by selects a month of every year this way). Slices read each chunk
    once however the result is then reduced; ``None`` when the index is not of this form.
    """
    ellipses = [i for i, item in enumerate(index) if item is Ellipsis]
    if len(ellipses) == 1 and not any(item is None for item in index):
        e = ellipses[0]
        index = index[:e] + (slice(None),) * (x.ndim - len(index) + 1) + index[e + 1:]
    lists = [i for i, item in enumerate(index) if isinstance(item, (list, np.ndarray)) or (
        isinstance(item, Array) and item.dtype != np.bool_)]
    if len(lists) != 1 or len(index) > x.ndim:
        return None
    if any(not isinstance(item, (slice, numbers.Integral, np.integer))
           for i, item in enumerate(index) if i != lists[0]):
        return None
    at = lists[0]
    item = index[at]
    values = np.asarray(item.compute() if isinstance(item, Array) else item)
    if values.ndim != 1 or values.dtype.kind not in "iu" or len(values) < 2:
        return None
    values = values.astype(np.int64)
    n = x.shape[at]
    values = np.where(values < 0, values + n, values)
    if values.min() < 0 or values.max() >= n:
        return None  # the general path reports the out-of-range index
    steps = np.diff(values)
    if np.any(steps <= 0):
        return None
    breaks = np.nonzero(steps != 1)[0]
    if len(breaks) + 1 > MAX_RUNS:
        return None
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks + 1, [len(values)]))
    # NumPy's rule for advanced indices (the list and any integers): adjacent, their axis
    # stands where they are; separated by a slice, it comes first
    advanced = [i for i, item in enumerate(index) if i == at or not isinstance(item, slice)]
    first = advanced[0]
    if advanced[-1] - first + 1 != len(advanced):
        out_axis = 0
    else:
        out_axis = sum(1 for item in index[:first] if isinstance(item, slice))
    # where each slice-selected piece has the list's axis (the integers dropped theirs)
    natural = sum(1 for item in index[:at] if isinstance(item, slice))
    pieces = []
    for a, b in zip(starts, ends):
        sel = list(index)
        sel[at] = slice(int(values[a]), int(values[b - 1]) + 1)
        pieces.append(getitem(x, tuple(sel)))
    if len(pieces) == 1:
        out = pieces[0]
    else:
        from .routines import concatenate

        out = concatenate(pieces, axis=natural)
    if out_axis != natural:
        order = list(range(out.ndim))
        order.insert(out_axis, order.pop(natural))
        out = out.transpose(order)
    return out


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
    runs = _as_runs_of_slices(x, index)
    if runs is not None:
        return runs
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
