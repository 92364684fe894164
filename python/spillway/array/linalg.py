"""``da.linalg``: products, factorizations and solvers on spillway arrays (float64, or
float32 when every operand is float32). ``matmul`` and ``tensordot`` also take complex
operands (four real products); ``einsum``, the factorizations, the solvers and ``norm``
raise a ``TypeError`` for them (``spillway.array_api.linalg`` runs NumPy's complex
routines per whole matrix)."""

from __future__ import annotations

from .._native import native
from .core import Array, _wrap, asarray

__all__ = ["matmul", "dot", "tensordot", "einsum", "qr", "svd", "svd_compressed", "solve",
           "lstsq", "cholesky", "inv", "norm"]


def matmul(a, b) -> Array:
    """The matrix product ``a @ b``."""
    return _wrap(native.matmul(asarray(a)._a, asarray(b)._a))


dot = matmul


def tensordot(a, b, axes=2) -> Array:
    """Sum of products over ``axes`` (a count, or two sequences of axes)."""
    if not isinstance(axes, int):
        axes = (list(axes[0]) if not isinstance(axes[0], int) else [axes[0]],
                list(axes[1]) if not isinstance(axes[1], int) else [axes[1]])
    return _wrap(native.tensordot(asarray(a)._a, asarray(b)._a, axes))


def einsum(subscripts, *operands, **kwargs) -> Array:
    """Einstein summation over the operands."""
    return _wrap(native.einsum(subscripts, [asarray(o)._a for o in operands]))


def _call(name, a, b=None, **kw):
    return tuple(_wrap(x) for x in native.linalg(name, asarray(a)._a, None if b is None else asarray(b)._a, **kw))


def qr(a):
    """``(q, r)`` of a tall-and-skinny matrix (one column of chunks)."""
    return _call("qr", a)


def svd(a, coerce_signs=True):
    """``(u, s, v)``, the thin SVD of a tall-and-skinny matrix."""
    return _call("svd", a)


def svd_compressed(a, k, iterator="power", n_power_iter=0, seed=None, compute=False, **kwargs):
    """A randomized rank-``k`` SVD ``(u, s, v)``."""
    return _call("svd_compressed", a, k=int(k), n_power_iter=int(n_power_iter), seed=0 if seed is None else int(seed))


def solve(a, b, sym_pos=None, assume_a="gen") -> Array:
    """Solves ``a x = b`` for a square ``a``."""
    return _call("solve", a, b)[0]


def lstsq(a, b):
    """Least squares ``(x, residuals, rank, s)`` as ``da.linalg.lstsq`` (rank and s come
    from the R factor's SVD)."""
    x, res = _call("lstsq", a, b)
    import numpy as np

    _, r = qr(a)
    s = np.linalg.svd(np.asarray(r), compute_uv=False)
    rank = int((s > s.max() * max(r.shape) * np.finfo(float).eps).sum()) if s.size else 0
    return x, res, rank, s


def cholesky(a, lower=False) -> Array:
    """The Cholesky factor (upper by default, as ``da.linalg.cholesky``)."""
    return _call("cholesky", a, lower=bool(lower))[0]


def inv(a) -> Array:
    """The inverse of a square matrix."""
    return _call("inv", a)[0]


def norm(x, ord=None, axis=None, keepdims=False) -> Array:
    """A vector or matrix norm (``ord`` None, 'fro', 1, 2, inf or -inf)."""
    if axis is not None:
        x = asarray(x)
        if ord in (None, 2, "fro") and not isinstance(axis, tuple):
            return ((abs(x) ** 2).sum(axis=axis, keepdims=keepdims)) ** 0.5
        raise NotImplementedError("norm with axis= supports the 2-norm along one axis")
    text = None if ord is None else str(ord).replace("inf", "inf")
    if ord is not None and ord in (float("inf"),):
        text = "inf"
    if ord is not None and ord in (float("-inf"),):
        text = "-inf"
    return _call("norm", x, ord=text)[0]
