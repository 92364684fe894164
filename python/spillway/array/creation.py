"""Array creation with Dask's names: ranges, constant fills and the ``*_like`` functions."""

from __future__ import annotations

import math

import numpy as np

from .._native import dtype_name, native
from .core import Array, _wrap, asarray, from_array

__all__ = [
    "arange", "linspace", "zeros", "ones", "full", "empty", "zeros_like", "ones_like",
    "full_like", "empty_like", "from_array", "asarray", "asanyarray", "eye",
]


def _shape(shape) -> list:
    if isinstance(shape, (int, np.integer)):
        return [int(shape)]
    return [int(s) for s in shape]


def arange(*args, chunks="auto", dtype=None, like=None, **kwargs) -> Array:
    """Evenly spaced values in ``[start, stop)``, as ``da.arange``.

    Parameters
    ----------
    start, stop, step : numbers
        As Python's ``range`` (``arange(stop)``, ``arange(start, stop[, step])``).
    chunks : int, tuple or str
        Chunk length (``"auto"``: about 128 MiB chunks).
    dtype : dtype, optional
        Default: int64 for integer arguments, float64 otherwise.

    Returns
    -------
    Array

    Examples
    --------
    >>> import spillway.array as da
    >>> da.arange(1, 50, 3, chunks=5).chunks
    ((5, 5, 5, 2),)
    """
    if len(args) == 1:
        start, stop, step = 0, args[0], 1
    elif len(args) == 2:
        (start, stop), step = args, 1
    elif len(args) == 3:
        start, stop, step = args
    else:
        raise TypeError(f"arange takes 1 to 3 positional arguments, got {len(args)}")
    if "start" in kwargs or "stop" in kwargs:
        start, stop, step = kwargs.get("start", start), kwargs.get("stop", stop), kwargs.get("step", step)
    if dtype is None:
        dtype = np.arange(start, start + step, step).dtype if step else np.dtype(np.int64)
        if dtype.kind in "iu":
            dtype = np.dtype(np.int64)
    if step == 0:
        raise ValueError("arange: step must not be zero")
    if not all(math.isfinite(float(v)) for v in (start, stop, step)):
        raise ValueError(f"arange: start, stop and step must be finite, got {start}, {stop}, {step}")
    n = max(0, math.ceil((stop - start) / step))
    return _wrap(native.arange(start, stop, step, dtype_name(dtype), chunks, n))


def linspace(start, stop, num=50, endpoint=True, retstep=False, chunks="auto", dtype=None, **kwargs):
    """``num`` evenly spaced values from ``start`` to ``stop``, as ``da.linspace``
    (complex ``start`` or ``stop`` give complex values, the real and imaginary parts
    spaced evenly)."""
    if not endpoint:
        step = (stop - start) / num
        out = linspace(start, stop - step, num, True, False, chunks, dtype)
        return (out, step) if retstep else out
    if np.iscomplexobj(start) or np.iscomplexobj(stop) or (dtype is not None and np.dtype(dtype).kind == "c"):
        # the real and imaginary parts are two real ranges, joined
        start, stop = complex(start), complex(stop)
        d = np.dtype(dtype) if dtype is not None else np.dtype(np.complex128)
        part = np.dtype(d.type(0).real.dtype).name
        re = native.linspace(start.real, stop.real, int(num), part, chunks)
        im = native.linspace(start.imag, stop.imag, int(num), part, chunks)
        out = _wrap(native.complex(re, im))
        if out.dtype != d:
            out = out.astype(d)
        if retstep:
            return out, (stop - start) / max(num - 1, 1)
        return out
    name = dtype_name(dtype) if dtype is not None else "float64"
    out = _wrap(native.linspace(float(start), float(stop), int(num), name, chunks))
    if retstep:
        return out, (stop - start) / max(num - 1, 1)
    return out


def full(shape, fill_value, dtype=None, chunks="auto", _kind="full", **kwargs) -> Array:
    """An array of ``shape`` filled with ``fill_value``, as ``da.full``."""
    if dtype is None:
        dtype = np.array(fill_value).dtype
        if dtype.kind in "iu":
            dtype = np.dtype(np.int64)
    name = dtype_name(dtype)
    return _wrap(native.full(_shape(shape), fill_value, name, chunks, _kind))


def zeros(shape, dtype=float, chunks="auto", **kwargs) -> Array:
    """An array of zeros, as ``da.zeros``."""
    return full(shape, 0, dtype=dtype, chunks=chunks, _kind="zeros")


def ones(shape, dtype=float, chunks="auto", **kwargs) -> Array:
    """An array of ones, as ``da.ones``."""
    return full(shape, 1, dtype=dtype, chunks=chunks, _kind="ones")


def empty(shape, dtype=float, chunks="auto", **kwargs) -> Array:
    """An array of ``shape`` (spillway fills it with zeros), as ``da.empty``."""
    return zeros(shape, dtype=dtype, chunks=chunks)


def eye(N, chunks="auto", M=None, k=0, dtype=float) -> Array:
    """The identity-like matrix with ones on diagonal ``k``, as ``da.eye``."""
    M = N if M is None else M
    rows = arange(N, chunks=chunks if isinstance(chunks, int) else "auto").reshape(N, 1)
    cols = arange(M, chunks=chunks if isinstance(chunks, int) else "auto").reshape(1, M)
    return ((cols - rows) == k).astype(dtype)


def _like(a, dtype, chunks):
    a = asarray(a)
    return a.shape, (a.dtype if dtype is None else dtype), (a.chunks if chunks is None else chunks)


def zeros_like(a, dtype=None, chunks=None, **kwargs) -> Array:
    """Zeros of ``a``'s shape, dtype and chunks."""
    shape, dtype, chunks = _like(a, dtype, chunks)
    return zeros(shape, dtype=dtype, chunks=chunks)


def ones_like(a, dtype=None, chunks=None, **kwargs) -> Array:
    """Ones of ``a``'s shape, dtype and chunks."""
    shape, dtype, chunks = _like(a, dtype, chunks)
    return ones(shape, dtype=dtype, chunks=chunks)


def full_like(a, fill_value, dtype=None, chunks=None, **kwargs) -> Array:
    """``fill_value`` in ``a``'s shape, dtype and chunks."""
    shape, dtype, chunks = _like(a, dtype, chunks)
    return full(shape, fill_value, dtype=dtype, chunks=chunks)


def empty_like(a, dtype=None, chunks=None, **kwargs) -> Array:
    """An array of ``a``'s shape, dtype and chunks (zeros)."""
    return zeros_like(a, dtype=dtype, chunks=chunks)


asanyarray = asarray
