"""The standard's elementwise functions. Those spillway's engine computes natively
(arithmetic, comparisons, logic, bitwise, the common math functions) build its
fused graph; the rest run NumPy's ufunc on each block, which is exact because every
elementwise function depends on one element. Both are lazy and chunked.

Complex arrays (``complex64``, ``complex128``) take every function the standard defines
for them: arithmetic, ``pow``, ``equal``/``not_equal``, ``abs`` (the real magnitude),
``real``/``imag``/``conj``, ``sign`` (``z / |z|``), ``round`` (part by part), ``isnan``,
``isinf``, ``isfinite`` and the exponential, logarithmic, trigonometric and hyperbolic
functions. The functions the standard defines for real-valued dtypes only (ordering,
``floor``/``ceil``/``trunc``, ``atan2``, ``hypot``, ``copysign``, ``signbit``,
``maximum``/``minimum``, ``floor_divide``/``remainder``, ``clip``, ...) raise a
``TypeError`` naming the function, the dtype and what to use instead.
"""

from __future__ import annotations

import numpy as np

from ..array import routines as _r
from ..array.blockwise import map_blocks
from ..array.core import _BINARY_UFUNCS, _UNARY_UFUNCS, Array, asarray
from ._dtypes import real_only

_ORDER = "Complex numbers have no order: compare a real key instead, such as xp.abs(z) or xp.real(z)"
# the functions the standard defines for real-valued dtypes only, and what to do instead
# for complex input
REAL_ONLY = {
    "atan2": "For the argument of complex values use xp.atan2(xp.imag(z), xp.real(z))",
    "ceil": "Round the parts: xp.ceil(xp.real(z)) and xp.ceil(xp.imag(z))",
    "clip": "Clip xp.real(z) and xp.imag(z) separately, or scale z by its magnitude xp.abs(z)",
    "copysign": "Apply it to xp.real(z) and xp.imag(z) separately",
    "floor": "Round the parts: xp.floor(xp.real(z)) and xp.floor(xp.imag(z))",
    "floor_divide": "Use xp.divide, or floor_divide the real parts",
    "greater": _ORDER,
    "greater_equal": _ORDER,
    "hypot": "For the magnitude of complex values use xp.abs(z)",
    "less": _ORDER,
    "less_equal": _ORDER,
    "logaddexp": "Use xp.log(xp.exp(x1) + xp.exp(x2))",
    "maximum": _ORDER,
    "minimum": _ORDER,
    "nextafter": "Apply it to xp.real(z) and xp.imag(z) separately",
    "remainder": "Use xp.divide, or take the remainder of the real parts",
    "signbit": "Test the parts: xp.signbit(xp.real(z)) or xp.signbit(xp.imag(z))",
    "trunc": "Round the parts: xp.trunc(xp.real(z)) and xp.trunc(xp.imag(z))",
}

# the standard's name -> NumPy's ufunc name
_NAMES = {
    "abs": "absolute", "acos": "arccos", "acosh": "arccosh", "asin": "arcsin",
    "asinh": "arcsinh", "atan": "arctan", "atan2": "arctan2", "atanh": "arctanh",
    "bitwise_invert": "invert", "bitwise_left_shift": "left_shift",
    "bitwise_right_shift": "right_shift", "pow": "power", "divide": "true_divide",
}
UNARY = [
    "abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "bitwise_invert", "ceil", "conj",
    "cos", "cosh", "exp", "expm1", "floor", "imag", "isfinite", "isinf", "isnan", "log",
    "log1p", "log2", "log10", "logical_not", "negative", "positive", "real", "reciprocal",
    "sign", "signbit", "sin", "sinh", "square", "sqrt", "tan", "tanh", "trunc",
]
BINARY = [
    "add", "atan2", "bitwise_and", "bitwise_left_shift", "bitwise_or", "bitwise_right_shift",
    "bitwise_xor", "copysign", "divide", "equal", "floor_divide", "greater", "greater_equal",
    "hypot", "less", "less_equal", "logaddexp", "logical_and", "logical_or", "logical_xor",
    "maximum", "minimum", "multiply", "nextafter", "not_equal", "pow", "remainder", "subtract",
]


def _is_array(x) -> bool:
    return isinstance(x, Array)


def _probe_dtype(ufunc, args):
    """The dtype NumPy's ``ufunc`` gives on these arguments' dtypes."""
    probes = [np.empty((0,), a.dtype) if _is_array(a) else a for a in args]
    return np.asarray(ufunc(*probes)).dtype


def _blockwise_ufunc(ufunc, *args, dtype=None):
    """``ufunc`` over the blocks of its array arguments (Python scalars pass through),
    broadcast and aligned to common chunks first."""
    arrays = [a for a in args if _is_array(a)]
    dtype = _probe_dtype(ufunc, args) if dtype is None else np.dtype(dtype)
    if len(arrays) == 1:
        pos = next(i for i, a in enumerate(args) if _is_array(a))

        def one(block):
            call = list(args)
            call[pos] = block
            return ufunc(*call)

        return map_blocks(one, arrays[0], dtype=dtype)
    # several arrays: promote to one dtype (exact: the result type holds each), broadcast
    # and align chunks, then stack so each task sees its blocks together
    common = np.result_type(*[a.dtype for a in arrays])
    shape = np.broadcast_shapes(*[a.shape for a in arrays])
    full = next((a for a in arrays if a.shape == shape), None)
    chunks = full.chunks if full is not None else None
    prepared = []
    for a in arrays:
        a = a.astype(common) if a.dtype != common else a
        if a.shape != shape:
            a = _r.broadcast_to(a, shape)
        if chunks is not None and a.chunks != chunks:
            a = a.rechunk(chunks)
        prepared.append(a)
    if chunks is None:
        chunks = prepared[0].chunks
        prepared = [p.rechunk(chunks) for p in prepared]
    originals = [a.dtype for a in arrays]
    slots = [i for i, a in enumerate(args) if _is_array(a)]

    def many(*blocks):
        call = list(args)
        for slot, b, d in zip(slots, blocks, originals):
            call[slot] = b.astype(d, copy=False)
        return ufunc(*call)

    return map_blocks(many, *prepared, dtype=dtype)


def _make_unary(name):
    np_name = _NAMES.get(name, name)
    ufunc = getattr(np, np_name)
    native = np_name in _UNARY_UFUNCS

    def f(x, /):
        x = asarray(x)
        if name in REAL_ONLY:
            real_only(name, x, instead=REAL_ONLY[name])
        if name == "positive":
            return x
        if name == "real":
            return x.real
        if name == "imag":
            return x.imag
        if name == "conj":
            return x.conj()
        if name == "square":
            return x * x
        if name in ("floor", "ceil", "trunc") and x.dtype.kind in "iub":
            return x
        if name == "sign" and x.dtype.kind in "iu":
            return _blockwise_ufunc(np.sign, x)
        if name == "sign" and x.dtype.kind == "f":
            # the standard's sign of -0 is +0; adding +0 turns -0 into +0 and keeps the rest
            return _r.sign(x) + 0.0
        if name == "sign" and x.dtype.kind == "c":
            # z / |z|, and 0 + 0j for ±0 ± 0j (the engine's complex sign)
            return _r.sign(x)
        if native:
            return getattr(_r, np_name)(x) if hasattr(_r, np_name) else _blockwise_ufunc(ufunc, x)
        return _blockwise_ufunc(ufunc, x)

    f.__name__ = name
    f.__doc__ = f"""``{name}(x)`` elementwise, as the array API standard (NumPy's ``{np_name}``); lazy.

    Examples
    --------
    >>> import spillway.array_api as xp
    >>> xp.{name}(xp.asarray([0.5, 1.0])).shape
    (2,)
    """
    return f


def _make_binary(name):
    np_name = _NAMES.get(name, name)
    ufunc = getattr(np, np_name)
    native = np_name in _BINARY_UFUNCS

    def f(x1, x2, /):
        if not _is_array(x1) and not _is_array(x2):
            x1 = asarray(x1)
        if name in REAL_ONLY:
            real_only(name, x1, x2, instead=REAL_ONLY[name])
        if native and hasattr(_r, np_name):
            return getattr(_r, np_name)(x1, x2)
        return _blockwise_ufunc(ufunc, x1, x2)

    f.__name__ = name
    f.__doc__ = f"""``{name}(x1, x2)`` elementwise with broadcasting, as the array API standard
    (NumPy's ``{np_name}``); lazy.

    Examples
    --------
    >>> import spillway.array_api as xp
    >>> xp.{name}(xp.asarray([1.0, 2.0]), xp.asarray([3.0, 4.0])).shape
    (2,)
    """
    return f


def clip(x, /, min=None, max=None):  # noqa: A002
    """``x`` limited to ``[min, max]`` (scalars or arrays), keeping ``x``'s dtype.

    Examples
    --------
    >>> import spillway.array_api as xp
    >>> xp.clip(xp.asarray([1, 5, 9]), 2, 6).compute().tolist()
    [2, 5, 6]
    """
    x = asarray(x)
    real_only("clip", x, min, max, instead=REAL_ONLY["clip"])
    out = x
    if min is not None:
        out = _blockwise_ufunc(np.maximum, out, min) if _is_array(min) else _r.maximum(out, min)
    if max is not None:
        out = _blockwise_ufunc(np.minimum, out, max) if _is_array(max) else _r.minimum(out, max)
    return out.astype(x.dtype) if out.dtype != x.dtype else out


def round(x, /):  # noqa: A001
    """Rounds to the nearest integer, halves to even, as the standard (complex values
    part by part).

    Examples
    --------
    >>> import spillway.array_api as xp
    >>> xp.round(xp.asarray([0.5, 1.5, 2.5])).compute().tolist()
    [0.0, 2.0, 2.0]
    """
    x = asarray(x)
    return x if x.dtype.kind in "iub" else _blockwise_ufunc(np.round, x)


FUNCTIONS = {n: _make_unary(n) for n in UNARY}
FUNCTIONS.update({n: _make_binary(n) for n in BINARY})
FUNCTIONS["clip"] = clip
FUNCTIONS["round"] = round
