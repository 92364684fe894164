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
    # a NaN fill needs a floating dtype
    nan_fill = isinstance(fill, float) and np.isnan(fill)
    dtype = np.result_type(x.dtype, np.float32) if nan_fill and x.dtype.kind != "f" else x.dtype
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

    For each window axis, ``x`` gains a trailing axis of the window's length (one chunk,
    broadcast, so nothing is copied until a block is computed); ``map_overlap`` then
    hands each block a halo of ``w - 1`` rows, and entry ``k`` of the window takes the
    block's rows shifted by ``k``. A reduction over the window (a rolling sum or mean)
    then runs block by block.
    """
    shapes = (window_shape,) if isinstance(window_shape, int) else tuple(window_shape)
    axes = (axis,) if isinstance(axis, int) else tuple(axis) if axis is not None else tuple(range(len(shapes)))
    from ..array.blockwise import map_overlap

    out = x
    for w, a in zip(shapes, axes):
        a %= x.ndim
        n = out.shape[a]
        if w > n:
            raise ValueError(f"sliding_window_view: window {w} is longer than axis {a} ({n})")
        if w == 1:
            out = out.reshape(out.shape + (1,))
            continue
        halo = w - 1
        if any(c < halo for c in out.chunks[a][:-1]):
            # map_overlap's halo comes from the neighbouring chunk only
            out = out.rechunk(tuple(max(halo, out.chunks[a][0]) if i == a else c
                                    for i, c in enumerate(out.chunks)))
        wide = _r.broadcast_to(out.reshape(out.shape + (1,)), out.shape + (w,))
        wide = wide.rechunk(out.chunks + ((w,),))
        depth = [0] * wide.ndim
        depth[a] = halo
        fill = np.nan if out.dtype.kind == "f" else 0

        def shift(block, a=a, w=w, halo=halo):
            # map_overlap trims the halo from what this returns: fill the block's own rows
            own = block.shape[a] - 2 * halo
            res = np.zeros_like(block)
            for k in range(w):
                src = [slice(None)] * block.ndim
                src[a] = slice(halo + k, halo + k + own)
                src[-1] = k
                dst = [slice(None)] * block.ndim
                dst[a] = slice(halo, halo + own)
                dst[-1] = k
                res[tuple(dst)] = block[tuple(src)]
            return res

        out = map_overlap(shift, wide, depth=depth, boundary=fill)
        keep = [slice(None)] * out.ndim
        keep[a] = slice(0, n - w + 1)
        out = out[tuple(keep)]
    return out


lib = SimpleNamespace(stride_tricks=SimpleNamespace(sliding_window_view=sliding_window_view))
