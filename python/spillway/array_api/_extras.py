"""Functions outside the standard that xarray looks up on an array's namespace:
``pad``, ``transpose`` and ``lib.stride_tricks.sliding_window_view`` (rolling windows).
All lazy: padding joins constant blocks, a window view stacks shifted slices.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..array import creation as _c
from ..array import routines as _r


def transpose(x, axes=None):
    """The axes reversed, or permuted as ``axes`` (NumPy's ``transpose``)."""
    return x.transpose(tuple(axes)) if axes is not None else x.transpose()


def pad(x, pad_width, mode="constant", constant_values=0, **kwargs):
    """``x`` padded with ``constant_values`` (mode ``"constant"``; NumPy's ``pad``).

    Raises
    ------
    NotImplementedError
        For modes other than ``"constant"``.
    """
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported by spillway; use mode='constant'")
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    fill = constant_values
    if isinstance(fill, (tuple, list)):
        raise NotImplementedError("pad: one constant value for every side is supported by spillway")
    if np.isnan(fill) if isinstance(fill, float) else False:
        dtype = np.result_type(x.dtype, np.float32) if x.dtype.kind != "f" else x.dtype
    else:
        dtype = x.dtype
    out = x.astype(dtype) if dtype != x.dtype else x
    for axis, (before, after) in enumerate(widths):
        parts = []
        for n in (before, after):
            shape = list(out.shape)
            shape[axis] = int(n)
            chunks = tuple((int(n),) if i == axis else c for i, c in enumerate(out.chunks))
            parts.append(_c.full(tuple(shape), fill, dtype=dtype, chunks=chunks) if n else None)
        pieces = [p for p in (parts[0], out, parts[1]) if p is not None]
        if len(pieces) > 1:
            out = _r.concatenate(pieces, axis=axis)
    return out


def sliding_window_view(x, window_shape, axis=None, **kwargs):
    """Windows of ``window_shape`` along ``axis`` as new trailing axes (NumPy's
    ``sliding_window_view``), built from shifted slices stacked lazily."""
    shapes = (window_shape,) if isinstance(window_shape, int) else tuple(window_shape)
    axes = (axis,) if isinstance(axis, int) else tuple(axis) if axis is not None else tuple(range(len(shapes)))
    out = x
    for w, a in zip(shapes, axes):
        a %= x.ndim
        n = out.shape[a]
        if w > n:
            raise ValueError(f"sliding_window_view: window {w} is longer than axis {a} ({n})")
        views = []
        for i in range(w):
            sel = [slice(None)] * out.ndim
            sel[a] = slice(i, n - w + 1 + i)
            views.append(out[tuple(sel)])
        out = _r.stack(views, axis=out.ndim)
        # the window in one chunk: a reduction over it (rolling sums, means) then runs
        # block by block instead of across w chunks of the whole array
        out = out.rechunk(out.chunks[:-1] + ((w,),))
    return out


lib = SimpleNamespace(stride_tricks=SimpleNamespace(sliding_window_view=sliding_window_view))
