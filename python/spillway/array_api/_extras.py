"""Functions outside the standard that xarray looks up on an array's namespace:
``pad``, ``transpose`` and ``lib.stride_tricks.sliding_window_view`` (rolling windows).
All lazy: padding joins constant blocks, a window view reads shifted rows natively.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..array import creation as _c
from ..array import routines as _r
from ..array.core import _wrap, asarray


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
    # a NaN fill needs a floating (or complex) dtype, a complex fill a complex one
    nan_fill = isinstance(fill, float) and np.isnan(fill)
    dtype = np.result_type(x.dtype, np.float32) if nan_fill and x.dtype.kind not in "fc" else x.dtype
    if isinstance(fill, complex) and dtype.kind != "c":
        dtype = np.result_type(dtype, np.complex64)
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
    ``sliding_window_view``), keeping ``x``'s chunks.

    Parameters
    ----------
    x : Array
        The array to window.
    window_shape : int or tuple of int
        The window length per windowed axis.
    axis : int or tuple of int, optional
        The windowed axes (default: the first ``len(window_shape)`` axes).

    Returns
    -------
    Array
        Each windowed axis ``n - w + 1`` long, with one trailing axis of ``w`` per window.
        Nothing is copied until a block is computed: element ``[..., i, ..., k]`` reads
        ``x[..., i + k, ...]`` in native code, across chunk edges, so a reduction over the
        window (a rolling sum or mean) reads ``x`` once, block by block.

    Raises
    ------
    ValueError
        When a window is longer than its axis, or ``window_shape`` and ``axis`` differ in
        length.
    """
    shapes = (window_shape,) if isinstance(window_shape, int) else tuple(window_shape)
    axes = (axis,) if isinstance(axis, int) else tuple(axis) if axis is not None else tuple(range(len(shapes)))
    if len(shapes) != len(axes):
        raise ValueError(f"sliding_window_view: {len(shapes)} window lengths for {len(axes)} axes; give one per axis")
    out = x = asarray(x)
    for w, a in zip(shapes, axes):
        a = int(a) % x.ndim
        if int(w) > out.shape[a]:
            raise ValueError(f"sliding_window_view: window {w} is longer than axis {a} ({out.shape[a]})")
        out = _wrap(out._a.sliding_window_view(int(w), a))
    return out


lib = SimpleNamespace(stride_tricks=SimpleNamespace(sliding_window_view=sliding_window_view))
