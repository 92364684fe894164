"""The standard's ``linalg`` extension over spillway arrays.

``matmul``, ``tensordot``, ``vecdot``, ``outer``, ``trace``, ``diagonal``,
``vector_norm`` and ``matrix_norm`` are chunked. Decompositions and solvers work on
whole matrices: the last two axes are gathered into one chunk (stacks of matrices stay
chunked along the leading axes) and NumPy's routine runs per block. A matrix larger
than the memory budget allows in one block is refused when the plan is made. A
tall-and-skinny 2-D ``qr`` of a real matrix uses spillway's TSQR, which keeps rows
chunked. Complex matrices (``complex64``, ``complex128``) go through NumPy's routines
per matrix; functions with real results (``eigvalsh``, ``svdvals``, the norms,
``slogdet``'s ``logabsdet``) give the real dtype of the input's parts.

Examples
--------
>>> import spillway.array_api as xp
>>> a = xp.asarray([[4.0, 2.0], [2.0, 3.0]])
>>> round(float(xp.linalg.det(a).compute()), 9)
8.0
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..array import linalg as _la
from ..array.blockwise import map_blocks
from ..array.core import Array
from . import _functions as _f
from ._dtypes import real_dtype

matmul = _f.matmul
matrix_transpose = _f.matrix_transpose
tensordot = _f.tensordot
vecdot = _f.vecdot

EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
QRResult = namedtuple("QRResult", ["Q", "R"])
SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])


def _whole_matrices(x: Array, name: str) -> Array:
    if x.ndim < 2:
        raise ValueError(f"linalg.{name}: needs a matrix (at least 2 dimensions), got shape {x.shape}")
    if x.dtype.kind not in "fc":
        x = x.astype(np.float64)
    target = tuple(x.chunks[:-2]) + ((x.shape[-2],), (x.shape[-1],))
    return x if x.chunks == target else x.rechunk(target)


def _real_of(x) -> np.dtype:
    """The real dtype of ``x``'s matrices as ``_whole_matrices`` casts them."""
    return real_dtype(x.dtype) if x.dtype.kind in "fc" else np.dtype(np.float64)


def _per_matrix(x, name, fn, out_tail, dtype=None):
    """``fn`` on every matrix of ``x``'s stack; ``out_tail`` is the result's trailing
    shape for one matrix."""
    x = _whole_matrices(x, name)
    lead = [list(c) for c in x.chunks[:-2]]
    dtype = np.dtype(dtype or x.dtype)
    tail = tuple(out_tail)
    if len(tail) == 2:
        return map_blocks(lambda b: np.asarray(fn(b), dtype=dtype), x, dtype=dtype,
                          chunks=lead + [[tail[0]], [tail[1]]])
    # fewer trailing axes: keep a length-1 axis per dropped one, then index it away
    pad = [[1]] * (2 - len(tail))
    out = map_blocks(
        lambda b: np.asarray(fn(b), dtype=dtype).reshape(b.shape[:-2] + tail + (1,) * (2 - len(tail))),
        x, dtype=dtype, chunks=lead + [[n] for n in tail] + pad,
    )
    return out[(Ellipsis,) + (0,) * (2 - len(tail))]


def cholesky(x, /, *, upper=False):
    """The Cholesky factor (lower, or upper when ``upper``: the conjugate transpose of
    the lower one) of each matrix."""
    def f(b):
        low = np.linalg.cholesky(b)
        return np.conj(np.swapaxes(low, -1, -2)) if upper else low
    return _per_matrix(x, "cholesky", f, x.shape[-2:])


def det(x, /):
    """The determinant of each matrix."""
    return _per_matrix(x, "det", np.linalg.det, ())


def inv(x, /):
    """The inverse of each matrix."""
    return _per_matrix(x, "inv", np.linalg.inv, x.shape[-2:])


def pinv(x, /, *, rtol=None):
    """The pseudo-inverse of each matrix."""
    return _per_matrix(x, "pinv", lambda b: np.linalg.pinv(b, rcond=1e-15 if rtol is None else rtol),
                       x.shape[-2:][::-1])


def matrix_power(x, n, /):
    """Each matrix to the integer power ``n``."""
    return _per_matrix(x, "matrix_power", lambda b: np.linalg.matrix_power(b, n), x.shape[-2:])


def matrix_rank(x, /, *, rtol=None):
    """The rank of each matrix."""
    return _per_matrix(x, "matrix_rank", lambda b: np.linalg.matrix_rank(b, rtol=rtol), (), dtype=np.int64)


def eigvalsh(x, /):
    """The eigenvalues of each symmetric (Hermitian) matrix, ascending (real)."""
    return _per_matrix(x, "eigvalsh", np.linalg.eigvalsh, x.shape[-1:], dtype=_real_of(x))


def eigh(x, /):
    """Eigenvalues (ascending) and eigenvectors of each symmetric (Hermitian) matrix."""
    return EighResult(eigvalsh(x), _per_matrix(x, "eigh", lambda b: np.linalg.eigh(b)[1], x.shape[-2:]))


def svdvals(x, /):
    """The singular values of each matrix, descending."""
    k = min(x.shape[-2:])
    return _per_matrix(x, "svdvals", lambda b: np.linalg.svd(b, compute_uv=False), (k,), dtype=_real_of(x))


def svd(x, /, *, full_matrices=True):
    """``U, S, Vh`` of each matrix."""
    m, n = x.shape[-2:]
    k = min(m, n)
    u_shape = (m, m if full_matrices else k)
    v_shape = (n if full_matrices else k, n)
    U = _per_matrix(x, "svd", lambda b: np.linalg.svd(b, full_matrices=full_matrices)[0], u_shape)
    Vh = _per_matrix(x, "svd", lambda b: np.linalg.svd(b, full_matrices=full_matrices)[2], v_shape)
    return SVDResult(U, svdvals(x), Vh)


def qr(x, /, *, mode="reduced"):
    """``Q, R`` of each matrix; a 2-D tall-and-skinny matrix chunked along rows uses
    spillway's TSQR (rows stay chunked)."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"linalg.qr: mode {mode!r}; use 'reduced' or 'complete'")
    m, n = x.shape[-2:]
    if (x.ndim == 2 and mode == "reduced" and m >= n and len(x.chunks[1]) == 1 and len(x.chunks[0]) > 1
            and x.dtype.kind != "c"):
        q, r = _la.qr(x if x.dtype.kind == "f" else x.astype(np.float64))
        return QRResult(q, r)
    k = min(m, n)
    q_shape = (m, m if mode == "complete" else k)
    r_shape = (m if mode == "complete" else k, n)
    Q = _per_matrix(x, "qr", lambda b: np.linalg.qr(b, mode=mode)[0], q_shape)
    R = _per_matrix(x, "qr", lambda b: np.linalg.qr(b, mode=mode)[1], r_shape)
    return QRResult(Q, R)


def slogdet(x, /):
    """Sign and log of the absolute determinant of each matrix."""
    return SlogdetResult(_per_matrix(x, "slogdet", lambda b: np.linalg.slogdet(b)[0], ()),
                         _per_matrix(x, "slogdet", lambda b: np.linalg.slogdet(b)[1], (), dtype=_real_of(x)))


def solve(x1, x2, /):
    """The solution of ``x1 @ y = x2`` (one right-hand side matrix per matrix)."""
    if x1.ndim == 2 and x2.ndim <= 2:
        a = np.asarray(x1)
        b = np.asarray(x2)
        from ..array.core import from_array
        return from_array(np.linalg.solve(a, b))
    raise NotImplementedError("linalg.solve: stacks of systems are not supported by spillway; solve each 2-D system")


def cross(x1, x2, /, *, axis=-1):
    """The cross product of 3-vectors along ``axis``."""
    from ._elementwise import _blockwise_ufunc

    def whole(x):
        a = axis % x.ndim
        if x.shape[a] != 3:
            raise ValueError(f"linalg.cross: axis {axis} has length {x.shape[a]}; the cross product takes 3-vectors")
        return x.rechunk(tuple((3,) if i == a else c for i, c in enumerate(x.chunks)))

    dtype = np.result_type(x1.dtype, x2.dtype)
    return _blockwise_ufunc(lambda a, b: np.cross(a, b, axis=axis), whole(x1), whole(x2), dtype=dtype)


def diagonal(x, /, *, offset=0):
    """The diagonal of each matrix (computed per whole matrix)."""
    m, n = x.shape[-2:]
    length = max(0, min(m, n - offset) if offset >= 0 else min(m + offset, n))
    return _per_matrix(x, "diagonal", lambda b: np.diagonal(b, offset=offset, axis1=-2, axis2=-1), (length,), dtype=x.dtype)


def trace(x, /, *, offset=0, dtype=None):
    """The sum of each matrix's diagonal ``offset``."""
    return _f.sum(diagonal(x, offset=offset), axis=-1, dtype=dtype)


def outer(x1, x2, /):
    """The outer product of two vectors."""
    return x1.reshape((x1.shape[0], 1)) * x2.reshape((1, x2.shape[0]))


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):  # noqa: A002
    """The ``ord``-norm of vectors along ``axis`` (all elements when None); chunked."""
    ax = _f._axes(axis, x.ndim)
    a = abs(x) if x.dtype.kind in "fc" else abs(x.astype(np.float64))
    if ord == np.inf:
        return _f.max(a, axis=ax, keepdims=keepdims)
    if ord == -np.inf:
        return _f.min(a, axis=ax, keepdims=keepdims)
    if ord == 0:
        return _f.sum((a != 0).astype(a.dtype), axis=ax, keepdims=keepdims)
    if ord == 1:
        return _f.sum(a, axis=ax, keepdims=keepdims)
    if ord == 2:
        return (a * a).sum(axis=ax, keepdims=keepdims) ** 0.5
    return _f.sum(a ** ord, axis=ax, keepdims=keepdims) ** (1.0 / ord)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):  # noqa: A002
    """The ``ord``-norm of each matrix (``"fro"`` chunked; others per whole matrix)."""
    if ord == "fro":
        return vector_norm(x, axis=(-2, -1), keepdims=keepdims)
    out = _per_matrix(x, "matrix_norm", lambda b: np.linalg.norm(b, ord=ord, axis=(-2, -1)), (), dtype=_real_of(x))
    return out.reshape(out.shape + (1, 1)) if keepdims else out
