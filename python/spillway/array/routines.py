"""Module-level functions with NumPy's and Dask's names: reductions, shape functions,
joining, selection, and elementwise ufuncs (``da.sin(x)``, ``da.maximum(x, y)``)."""

from __future__ import annotations

import numpy as np

from .._native import native
from .core import _BINARY_UFUNCS, _UNARY_UFUNCS, Array, _is_scalar, _wrap, asarray

__all__ = [
    "sum", "prod", "mean", "var", "std", "min", "max", "amin", "amax", "any", "all",
    "argmin", "argmax", "cumsum", "cumprod", "nansum", "nanmean", "nanmin", "nanmax",
    "nanvar", "nanstd", "ptp", "count_nonzero", "percentile", "median", "histogram",
    "concatenate", "stack", "vstack", "hstack", "where", "transpose", "reshape", "ravel",
    "squeeze", "expand_dims", "swapaxes", "moveaxis", "broadcast_to", "flip", "flipud",
    "fliplr", "rechunk", "dot", "matmul", "tensordot", "einsum", "isclose", "allclose",
    "round", "around", "clip", "result_type", "real", "imag", "conj", "conjugate", "angle",
    "iscomplexobj",
]


def _reducer(name):
    def f(a, axis=None, dtype=None, keepdims=False, **kwargs):
        return getattr(asarray(a), name)(axis=axis, dtype=dtype, keepdims=keepdims, **kwargs)

    f.__name__ = name
    f.__doc__ = f"``np.{name}`` of an array over ``axis`` (lazy)."
    return f


sum = _reducer("sum")
prod = _reducer("prod")
mean = _reducer("mean")
var = _reducer("var")
std = _reducer("std")


def min(a, axis=None, keepdims=False, **kwargs):
    """Smallest value over ``axis``."""
    return asarray(a).min(axis=axis, keepdims=keepdims)


def max(a, axis=None, keepdims=False, **kwargs):
    """Largest value over ``axis``."""
    return asarray(a).max(axis=axis, keepdims=keepdims)


amin, amax = min, max


def any(a, axis=None, keepdims=False, **kwargs):
    """Whether any value over ``axis`` is non-zero."""
    return asarray(a).any(axis=axis, keepdims=keepdims)


def all(a, axis=None, keepdims=False, **kwargs):
    """Whether every value over ``axis`` is non-zero."""
    return asarray(a).all(axis=axis, keepdims=keepdims)


def argmin(a, axis=None, keepdims=False, **kwargs):
    """Index of the smallest value."""
    return asarray(a).argmin(axis=axis, keepdims=keepdims)


def argmax(a, axis=None, keepdims=False, **kwargs):
    """Index of the largest value."""
    return asarray(a).argmax(axis=axis, keepdims=keepdims)


def cumsum(a, axis=None, dtype=None, **kwargs):
    """Cumulative sum along ``axis``."""
    return asarray(a).cumsum(axis=axis, dtype=dtype)


def cumprod(a, axis=None, dtype=None, **kwargs):
    """Cumulative product along ``axis``."""
    return asarray(a).cumprod(axis=axis, dtype=dtype)


def _nan(name):
    def f(a, axis=None, keepdims=False, ddof=0, **kwargs):
        return asarray(a)._reduce(name, axis, keepdims, None, ddof)

    f.__name__ = name
    f.__doc__ = f"``np.{name}``: the reduction ignoring NaN values."
    return f


nansum, nanmean, nanmin, nanmax, nanvar, nanstd = (
    _nan(n) for n in ("nansum", "nanmean", "nanmin", "nanmax", "nanvar", "nanstd")
)


def ptp(a, axis=None, keepdims=False):
    """Range (max - min) over ``axis``."""
    return asarray(a)._reduce("ptp", axis, keepdims)


def count_nonzero(a, axis=None, keepdims=False):
    """Number of non-zero values over ``axis``."""
    return asarray(a)._reduce("count_nonzero", axis, keepdims)


def percentile(a, q, method="linear", **kwargs):
    """The ``q``-th percentile(s) of every element (computed now; linear interpolation)."""
    x = asarray(a)
    qs = np.atleast_1d(q)
    values = np.array([x._a.percentile(float(v)) for v in qs])
    from .core import from_array

    return from_array(values if np.ndim(q) else values.reshape(()))


def median(a, axis=None, keepdims=False, **kwargs):
    """The median of every element (``axis=None``)."""
    if axis is not None:
        raise NotImplementedError("median along an axis is not supported; use axis=None")
    return percentile(a, 50.0)


def histogram(a, bins=10, range=None, weights=None, density=False):
    """Counts per bin and the bin edges, as ``da.histogram`` (``range`` is required for a
    number of bins, as in Dask)."""
    x = asarray(a)
    if weights is not None or density:
        raise NotImplementedError("histogram weights and density are not supported")
    if isinstance(bins, (int, np.integer)):
        if range is None:
            raise ValueError("histogram with a number of bins needs range=(lo, hi), as in Dask")
        counts, edges = x._a.histogram(int(bins), float(range[0]), float(range[1]))
        return _wrap(counts), np.asarray(edges)
    edges = [float(e) for e in np.asarray(bins)]
    return _wrap(x._a.histogram_edges(edges)), np.asarray(edges)


def concatenate(seq, axis=0, **kwargs):
    """Joins arrays along an existing axis."""
    return _wrap(native.concatenate([asarray(a)._a for a in seq], int(axis)))


def stack(seq, axis=0, **kwargs):
    """Joins arrays along a new axis."""
    return _wrap(native.stack([asarray(a)._a for a in seq], int(axis)))


def vstack(seq, **kwargs):
    """Stacks rows (1-d arrays become rows)."""
    seq = [asarray(a) for a in seq]
    seq = [a.reshape(1, -1) if a.ndim == 1 else a for a in seq]
    return concatenate(seq, axis=0)


def hstack(seq, **kwargs):
    """Stacks columns (along axis 1, or 0 for 1-d arrays)."""
    seq = [asarray(a) for a in seq]
    return concatenate(seq, axis=0 if seq[0].ndim == 1 else 1)


def where(condition, x=None, y=None):
    """``x`` where ``condition`` is true, else ``y``."""
    if x is None and y is None:
        raise NotImplementedError("where(condition) with one argument is not supported; use nonzero on the computed mask")
    cond = asarray(condition)
    if cond.dtype != np.bool_:
        cond = cond != 0
    xs = x if isinstance(x, Array) else asarray(np.asarray(x))
    ys = y if isinstance(y, Array) else asarray(np.asarray(y))
    if _is_scalar(x) and isinstance(y, Array):
        xs = asarray(np.asarray(x, dtype=np.result_type(y.dtype, np.min_scalar_type(x)) if not isinstance(x, float) else np.result_type(y.dtype, np.float64)))
    if _is_scalar(y) and isinstance(x, Array):
        ys = asarray(np.asarray(y, dtype=np.result_type(x.dtype, np.min_scalar_type(y)) if not isinstance(y, float) else np.result_type(x.dtype, np.float64)))
    return _wrap(native.where_(cond._a, xs._a, ys._a))


def transpose(a, axes=None):
    """The axes reversed or permuted."""
    return asarray(a).transpose(*(() if axes is None else (tuple(axes),)))


def reshape(a, shape, **kwargs):
    """A new shape with the same elements."""
    return asarray(a).reshape(shape)


def ravel(a):
    """The elements as one axis."""
    return asarray(a).ravel()


def squeeze(a, axis=None):
    """Length-1 axes removed."""
    return asarray(a).squeeze(axis)


def expand_dims(a, axis):
    """A length-1 axis inserted at ``axis``."""
    return _wrap(asarray(a)._a.expand_dims(int(axis)))


def swapaxes(a, axis1, axis2):
    """Two axes exchanged."""
    return asarray(a).swapaxes(axis1, axis2)


def moveaxis(a, source, destination):
    """One axis moved."""
    return _wrap(asarray(a)._a.moveaxis(int(source), int(destination)))


def broadcast_to(a, shape, chunks=None):
    """The array broadcast to ``shape``."""
    return _wrap(asarray(a)._a.broadcast_to([int(s) for s in shape]))


def flip(a, axis=None):
    """Elements reversed along ``axis`` (every axis when None)."""
    x = asarray(a)
    axes = range(x.ndim) if axis is None else ([axis] if isinstance(axis, int) else axis)
    for ax in axes:
        x = _wrap(x._a.flip(int(ax)))
    return x


def flipud(a):
    """Rows reversed."""
    return flip(a, 0)


def fliplr(a):
    """Columns reversed."""
    return flip(a, 1)


def rechunk(x, chunks="auto", **kwargs):
    """``x`` in new chunks."""
    return asarray(x).rechunk(chunks)


def dot(a, b):
    """The matrix product."""
    from .linalg import matmul as _matmul

    return _matmul(a, b)


def matmul(a, b):
    """The matrix product ``a @ b``."""
    from .linalg import matmul as _matmul

    return _matmul(a, b)


def tensordot(a, b, axes=2):
    """Sum of products over ``axes``."""
    from .linalg import tensordot as _t

    return _t(a, b, axes)


def einsum(subscripts, *operands, **kwargs):
    """Einstein summation."""
    from .linalg import einsum as _e

    return _e(subscripts, *operands)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|a - b| <= atol + rtol * |b|``."""
    a, b = asarray(a), asarray(b) if isinstance(b, Array) else b
    close = abs(a - b) <= (abs(b) * rtol + atol)
    if equal_nan:
        close = close | (isnan(a) & isnan(b))
    return close


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether every element is close (lazy 0-d bool)."""
    return isclose(a, b, rtol, atol, equal_nan).all()


def round(a, decimals=0):
    """Rounded to ``decimals`` places, halves to even."""
    return asarray(a).round(decimals)


around = round


def clip(a, a_min=None, a_max=None, **kwargs):
    """Values limited to ``[a_min, a_max]``."""
    return asarray(a).clip(a_min, a_max)


def real(a):
    """The real part (float32 of complex64, float64 of complex128; a real array as it is)."""
    return asarray(a).real


def imag(a):
    """The imaginary part (zeros of the dtype for a real array)."""
    return asarray(a).imag


def conj(a):
    """The complex conjugate, elementwise (a real array as it is)."""
    return asarray(a).conj()


conjugate = conj


def angle(z, deg=False):
    """The argument of each complex element, ``atan2(imag, real)``, in radians (degrees
    when ``deg``); of a real array, 0 for positive and pi for negative values, as
    ``np.angle``."""
    out = _wrap(asarray(z)._a.unary("angle"))
    return out * (180.0 / np.pi) if deg else out


def iscomplexobj(x):
    """Whether ``x`` has a complex dtype (nothing is computed)."""
    if isinstance(x, Array):
        return x.dtype.kind == "c"
    return np.iscomplexobj(x)


def result_type(*arrays_and_dtypes):
    """NumPy's result type of the operands."""
    return np.result_type(*[a.dtype if isinstance(a, Array) else a for a in arrays_and_dtypes])


def _ufunc(name):
    if name in _BINARY_UFUNCS:
        def f(x1, x2, **kwargs):
            if isinstance(x1, Array):
                return x1._binary(name, x2)
            return asarray(x2)._binary(name, x1, True) if isinstance(x2, Array) else asarray(x1)._binary(name, x2)
    else:
        def f(x, **kwargs):
            return _wrap(asarray(x)._a.unary(name))
    f.__name__ = name
    f.__doc__ = f"``np.{name}``, elementwise and lazy."
    return f


_names = sorted(_BINARY_UFUNCS | _UNARY_UFUNCS)
for _n in _names:
    globals()[_n] = _ufunc(_n)
abs = absolute = globals()["absolute"]
__all__ += _names + ["abs"]
del _n, _names
