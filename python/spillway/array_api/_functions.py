"""The standard's creation, manipulation, statistical, searching, set, sorting and
utility functions over spillway arrays.

Lazy and chunked wherever the result's shape is known before computing; functions whose
output shape depends on the data (``nonzero``, ``unique_*``, boolean masks) compute
their input, as the standard allows, and return arrays of the computed shape.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from ..array import creation as _c
from ..array import routines as _r
from ..array.blockwise import map_blocks
from ..array.core import Array, from_array
from .. import _native
from . import _dtypes

inf, nan, pi, e = math.inf, math.nan, math.pi, math.e
newaxis = None


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    out = tuple(int(a) % ndim if ndim else int(a) for a in axis)
    if len(set(out)) != len(out):
        raise ValueError(f"axis {axis} repeats an axis")
    return out


# ----- creation -----------------------------------------------------------------------
def asarray(obj, /, *, dtype=None, device=None, copy=None):
    """``obj`` as a spillway array (NumPy arrays and sequences are wrapped, spillway
    arrays returned as they are or cast to ``dtype``).

    Examples
    --------
    >>> import spillway.array_api as xp
    >>> xp.asarray([1, 2, 3]).dtype
    dtype('int64')
    """
    if isinstance(obj, Array):
        return obj if dtype is None else astype(obj, dtype)
    if copy is False and not isinstance(obj, np.ndarray):
        raise ValueError("asarray: copy=False needs a NumPy array or a spillway array to share")
    values = np.asarray(obj, dtype=dtype)
    if dtype is None and values.dtype.kind == "f" and not isinstance(obj, np.ndarray):
        values = values.astype(np.float64)
    _dtypes.check(values.dtype, "asarray")
    if copy:
        values = values.copy()
    return from_array(values)


def astype(x, dtype, /, *, copy=True, device=None):
    """``x`` cast to ``dtype``.

    Examples
    --------
    >>> import spillway.array_api as xp
    >>> xp.astype(xp.asarray([1.7, -1.7]), xp.int32).compute().tolist()
    [1, -1]
    """
    d = _dtypes.check(dtype, "astype")
    return x if (x.dtype == d and not copy) else x.astype(d)


def arange(start, /, stop=None, step=1, *, dtype=None, device=None):
    """Evenly spaced values in ``[start, stop)`` (real-valued, as the standard)."""
    _dtypes.real_only("arange", start, stop, step, *([] if dtype is None else [np.dtype(dtype)]),
                      instead="Build the parts with xp.arange and join them: re + 1j * im")
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        dtype = np.float64 if builtins.any(isinstance(v, float) for v in (start, stop, step)) else np.int64
    return _c.arange(start, stop, step, dtype=_dtypes.check(dtype, "arange"))


def _creator(name):
    f = getattr(_c, name)

    def make(shape, *, dtype=None, device=None):
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        return f(shape, dtype=_dtypes.check(dtype or np.float64, name))

    make.__name__ = name
    make.__doc__ = f"An array of ``shape`` ({name}), float64 unless ``dtype`` is given."
    return make


zeros, ones, empty = _creator("zeros"), _creator("ones"), _creator("empty")


def full(shape, fill_value, *, dtype=None, device=None):
    """``fill_value`` in ``shape``; the dtype follows the value's kind when not given
    (``bool``, ``int64``, ``float64`` or ``complex128``)."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if dtype is None:
        dtype = np.bool_ if isinstance(fill_value, builtins.bool) else (
            np.int64 if isinstance(fill_value, int) else
            np.complex128 if isinstance(fill_value, complex) else np.float64)
    return _c.full(shape, fill_value, dtype=_dtypes.check(dtype, "full"))


def zeros_like(x, /, *, dtype=None, device=None):
    """Zeros in ``x``'s shape and chunks."""
    return _c.zeros_like(x, dtype=dtype)


def ones_like(x, /, *, dtype=None, device=None):
    """Ones in ``x``'s shape and chunks."""
    return _c.ones_like(x, dtype=dtype)


def empty_like(x, /, *, dtype=None, device=None):
    """An array in ``x``'s shape and chunks (zeros)."""
    return _c.zeros_like(x, dtype=dtype)


def full_like(x, /, fill_value, *, dtype=None, device=None):
    """``fill_value`` in ``x``'s shape and chunks."""
    return _c.full_like(x, fill_value, dtype=dtype or x.dtype)


def eye(n_rows, n_cols=None, /, *, k=0, dtype=None, device=None):
    """Ones on diagonal ``k``."""
    return _c.eye(n_rows, M=n_cols, k=k, dtype=_dtypes.check(dtype or np.float64, "eye"))


def linspace(start, stop, /, num, *, dtype=None, device=None, endpoint=True):
    """``num`` evenly spaced values from ``start`` to ``stop`` (complex128 when either is
    complex and no dtype is given)."""
    out = _c.linspace(start, stop, num=num, endpoint=endpoint)
    return out if dtype is None else out.astype(_dtypes.check(dtype, "linspace"))


def _triangle(x, k, keep_lower):
    def part(block, block_info=None):
        (r0, _), (c0, _) = block_info[0]["array-location"][-2:]
        shift = k + r0 - c0
        return np.tril(block, shift) if keep_lower else np.triu(block, shift)

    return map_blocks(part, x, dtype=x.dtype)


def tril(x, /, *, k=0):
    """The lower triangle of the last two axes (from diagonal ``k``), block by block.

    Examples
    --------
    >>> import spillway.array_api as xp
    >>> xp.tril(xp.ones((3, 3))).compute().sum()
    6.0
    """
    return _triangle(x, k, True)


def triu(x, /, *, k=0):
    """The upper triangle of the last two axes (from diagonal ``k``), block by block."""
    return _triangle(x, k, False)


def meshgrid(*arrays, indexing="xy"):
    """Coordinate arrays from 1-D arrays, as broadcast views."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing {indexing!r}; use 'xy' or 'ij'")
    n = len(arrays)
    shape = [a.shape[0] for a in arrays]
    if indexing == "xy" and n > 1:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, a in enumerate(arrays):
        pos = i
        if indexing == "xy" and n > 1 and i < 2:
            pos = 1 - i
        view = [1] * n
        view[pos] = a.shape[0]
        out.append(_r.broadcast_to(a.reshape(tuple(view)), tuple(shape)))
    return out


def from_dlpack(x, /, *, device=None, copy=None):
    """A spillway array from any DLPack producer (a NumPy array, say)."""
    return from_array(np.from_dlpack(x))


# ----- manipulation ---------------------------------------------------------------------
def broadcast_arrays(*arrays):
    """The arrays broadcast to one shape."""
    shape = np.broadcast_shapes(*[a.shape for a in arrays])
    return [a if a.shape == shape else _r.broadcast_to(a, shape) for a in arrays]


def broadcast_to(x, /, shape):
    """``x`` broadcast to ``shape``."""
    return _r.broadcast_to(x, tuple(shape))


def broadcast_shapes(*shapes):
    """The shape these shapes broadcast to."""
    return np.broadcast_shapes(*shapes)


def concat(arrays, /, *, axis=0):
    """Arrays joined along ``axis`` (flattened first when ``axis`` is None)."""
    arrays = list(arrays)
    if axis is None:
        arrays = [a.reshape(-1) for a in arrays]
        axis = 0
    return _r.concatenate(arrays, axis=axis)


def expand_dims(x, /, axis=0):
    """A length-1 axis inserted at ``axis``."""
    return _r.expand_dims(x, axis)


def flip(x, /, *, axis=None):
    """Elements reversed along ``axis``."""
    if isinstance(axis, tuple):
        for a in axis:
            x = _r.flip(x, a)
        return x
    return _r.flip(x, axis)


def moveaxis(x, source, destination, /):
    """Axes moved to new positions."""
    src = _axes(source, x.ndim)
    dst = _axes(destination, x.ndim)
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return x.transpose(order)


def permute_dims(x, /, axes):
    """The axes permuted."""
    return x.transpose(tuple(axes))


def reshape(x, /, shape, *, copy=None):
    """A new shape with the same elements in C order."""
    if copy is False:
        raise ValueError("reshape: copy=False is not supported: spillway arrays are immutable values, so use copy=None")
    return x.reshape(tuple(shape))


def squeeze(x, /, axis):
    """Length-1 axes removed (each named axis must have length 1)."""
    for a in _axes(axis, x.ndim):
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} has length {x.shape[a]}, not 1")
    return x.squeeze(axis)


def stack(arrays, /, *, axis=0):
    """Arrays joined along a new axis."""
    return _r.stack(list(arrays), axis=axis)


def unstack(x, /, *, axis=0):
    """The slices of ``x`` along ``axis``, as a tuple."""
    moved = moveaxis(x, axis, 0)
    return tuple(moved[i] for i in range(moved.shape[0]))


def roll(x, /, shift, *, axis=None):
    """Elements shifted along ``axis`` (of the flattened array when None), wrapping."""
    if axis is None:
        return roll(x.reshape(-1), shift, axis=0).reshape(x.shape)
    shifts = (shift,) if isinstance(shift, int) else tuple(shift)
    axes = _axes(axis, x.ndim)
    if len(shifts) == 1 and len(axes) > 1:
        shifts = shifts * len(axes)
    for s, a in zip(shifts, axes):
        n = x.shape[a]
        if n == 0:
            continue
        s %= n
        if s:
            head = [slice(None)] * x.ndim
            tail = [slice(None)] * x.ndim
            head[a] = slice(n - s, None)
            tail[a] = slice(0, n - s)
            x = _r.concatenate([x[tuple(head)], x[tuple(tail)]], axis=a)
    return x


def repeat(x, repeats, /, *, axis=None):
    """Each element repeated ``repeats`` times along ``axis`` (flattened when None)."""
    if axis is None:
        x, axis = x.reshape(-1), 0
    n = x.shape[axis]
    counts = np.broadcast_to(np.asarray(repeats.compute() if isinstance(repeats, Array) else repeats), (n,))
    index = np.repeat(np.arange(n), counts)
    sel = [slice(None)] * x.ndim
    sel[axis] = index
    return x[tuple(sel)]


def tile(x, repetitions, /):
    """``x`` repeated ``repetitions`` times along each axis."""
    reps = tuple(repetitions)
    if len(reps) > x.ndim:
        x = x.reshape((1,) * (len(reps) - x.ndim) + x.shape)
    reps = (1,) * (x.ndim - len(reps)) + reps
    for a, r in enumerate(reps):
        if r != 1:
            x = _r.concatenate([x] * r, axis=a) if r else x[tuple(slice(0, 0) if i == a else slice(None) for i in range(x.ndim))]
    return x


def take(x, indices, /, *, axis=None):
    """Elements at ``indices`` (a 1-D integer array) along ``axis``."""
    if axis is None:
        if x.ndim != 1:
            raise ValueError("take: give axis= for arrays of more than one dimension")
        axis = 0
    idx = np.asarray(indices.compute() if isinstance(indices, Array) else indices)
    sel = [slice(None)] * x.ndim
    sel[axis % x.ndim] = idx
    return x[tuple(sel)]


def take_along_axis(x, indices, /, *, axis=-1):
    """Elements picked along ``axis`` by an index array of ``x``'s rank (computes both)."""
    return from_array(np.take_along_axis(np.asarray(x), np.asarray(indices), axis=axis))


# ----- statistical ----------------------------------------------------------------------
def _sum_dtype(x, dtype, name):
    if dtype is not None:
        return np.dtype(dtype)
    if x.dtype.kind == "b" or (x.dtype.kind in "iu" and x.dtype.itemsize < 8):
        return np.dtype(np.uint64 if x.dtype.kind == "u" else np.int64)
    return x.dtype


def sum(x, /, *, axis=None, dtype=None, keepdims=False):  # noqa: A001
    """Sum over ``axis``; integers accumulate in 64 bits, floats and complex values in
    their own dtype."""
    d = _sum_dtype(x, dtype, "sum")
    src = x.astype(d) if x.dtype != d else x
    return src.sum(axis=_axes(axis, x.ndim) if x.ndim else None, keepdims=keepdims)


def prod(x, /, *, axis=None, dtype=None, keepdims=False):
    """Product over ``axis``; integers accumulate in 64 bits."""
    d = _sum_dtype(x, dtype, "prod")
    src = x.astype(d) if x.dtype != d else x
    return src.prod(axis=_axes(axis, x.ndim) if x.ndim else None, keepdims=keepdims)


def _float_only(x, name, kinds="f"):
    if x.dtype.kind == "c" and "c" not in kinds:
        raise TypeError(
            f"{name}: the array API standard defines {name} for real floating dtypes; got {x.dtype}. "
            f"Take it of the parts: xp.{name}(xp.real(z)) and xp.{name}(xp.imag(z)) "
            + ("(NumPy's complex var is their sum)" if name == "var" else
               "(NumPy's complex std is the square root of the sum of their variances)")
        )
    if x.dtype.kind not in kinds:
        what = "floating" if "c" in kinds else "real floating"
        raise TypeError(f"{name}: the array API standard defines {name} for {what} dtypes; got {x.dtype}. Cast with astype first")


def mean(x, /, *, axis=None, keepdims=False):
    """Arithmetic mean over ``axis`` (floating dtypes, complex included)."""
    _float_only(x, "mean", kinds="fc")
    return x.mean(axis=_axes(axis, x.ndim) if x.ndim else None, keepdims=keepdims)


def var(x, /, *, axis=None, correction=0.0, keepdims=False):
    """Variance over ``axis`` with ``correction`` degrees of freedom removed."""
    _float_only(x, "var")
    return x.var(axis=_axes(axis, x.ndim) if x.ndim else None, keepdims=keepdims, ddof=correction)


def std(x, /, *, axis=None, correction=0.0, keepdims=False):
    """Standard deviation over ``axis`` with ``correction`` degrees of freedom removed."""
    _float_only(x, "std")
    return x.std(axis=_axes(axis, x.ndim) if x.ndim else None, keepdims=keepdims, ddof=correction)


_NO_ORDER = "Complex numbers have no order: reduce a real key instead, such as xp.abs(z) or xp.real(z)"


def max(x, /, *, axis=None, keepdims=False):  # noqa: A001
    """Largest value over ``axis`` (NaN if any is NaN; real-valued dtypes)."""
    _dtypes.real_only("max", x, instead=_NO_ORDER)
    return x.max(axis=_axes(axis, x.ndim) if x.ndim else None, keepdims=keepdims)


def min(x, /, *, axis=None, keepdims=False):  # noqa: A001
    """Smallest value over ``axis`` (NaN if any is NaN; real-valued dtypes)."""
    _dtypes.real_only("min", x, instead=_NO_ORDER)
    return x.min(axis=_axes(axis, x.ndim) if x.ndim else None, keepdims=keepdims)


def _cumulative(x, axis, dtype, include_initial, product):
    if axis is None:
        if x.ndim > 1:
            raise ValueError("cumulative functions need axis= for arrays of more than one dimension")
        axis = 0
    d = _sum_dtype(x, dtype, "cumulative")
    src = x.astype(d) if x.dtype != d else x
    out = src.cumprod(axis=axis) if product else src.cumsum(axis=axis)
    if include_initial:
        shape = list(out.shape)
        shape[axis % out.ndim] = 1
        first = _c.full(tuple(shape), 1 if product else 0, dtype=d)
        out = _r.concatenate([first, out], axis=axis)
    return out


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    """Running sum along ``axis`` (with a leading zero when ``include_initial``)."""
    return _cumulative(x, axis, dtype, include_initial, False)


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False):
    """Running product along ``axis`` (with a leading one when ``include_initial``)."""
    return _cumulative(x, axis, dtype, include_initial, True)


# ----- utility --------------------------------------------------------------------------
def all(x, /, *, axis=None, keepdims=False):  # noqa: A001
    """Whether every element over ``axis`` is true."""
    return x.all(axis=_axes(axis, x.ndim) if x.ndim else None, keepdims=keepdims)


def any(x, /, *, axis=None, keepdims=False):  # noqa: A001
    """Whether any element over ``axis`` is true."""
    return x.any(axis=_axes(axis, x.ndim) if x.ndim else None, keepdims=keepdims)


def diff(x, /, *, axis=-1, n=1, prepend=None, append=None):
    """The ``n``-th forward difference along ``axis`` (lazy slices)."""
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        x = _r.concatenate(parts, axis=axis)
    a = axis % x.ndim
    for _ in range(n):
        hi = [slice(None)] * x.ndim
        lo = [slice(None)] * x.ndim
        hi[a], lo[a] = slice(1, None), slice(None, -1)
        x = (x[tuple(hi)] != x[tuple(lo)]) if x.dtype == np.bool_ else x[tuple(hi)] - x[tuple(lo)]
    return x


# ----- searching ------------------------------------------------------------------------
def argmax(x, /, *, axis=None, keepdims=False):
    """Index of the first largest value (of the flattened array when ``axis`` is None;
    real-valued dtypes)."""
    _dtypes.real_only("argmax", x, instead=_NO_ORDER)
    out = x.reshape(-1).argmax(axis=0) if axis is None else x.argmax(axis=axis)
    if keepdims:
        out = out.reshape((1,) * x.ndim) if axis is None else _r.expand_dims(out, axis)
    return out


def argmin(x, /, *, axis=None, keepdims=False):
    """Index of the first smallest value (of the flattened array when ``axis`` is None;
    real-valued dtypes)."""
    _dtypes.real_only("argmin", x, instead=_NO_ORDER)
    out = x.reshape(-1).argmin(axis=0) if axis is None else x.argmin(axis=axis)
    if keepdims:
        out = out.reshape((1,) * x.ndim) if axis is None else _r.expand_dims(out, axis)
    return out


def where(condition, x1, x2, /):
    """``x1`` where ``condition`` is true, else ``x2`` (broadcast)."""
    return _r.where(condition, x1, x2)


def count_nonzero(x, /, *, axis=None, keepdims=False):
    """The number of non-zero elements over ``axis``."""
    return (x != 0).astype(np.int64).sum(axis=_axes(axis, x.ndim) if x.ndim else None, keepdims=keepdims)


def nonzero(x, /):
    """The indices of the non-zero elements, one array per axis (computes ``x``: the
    count depends on the data)."""
    if x.ndim == 0:
        raise ValueError("nonzero: a zero-dimensional array has no indices; use bool(x) or x.reshape(1)")
    return tuple(from_array(i) for i in np.nonzero(np.asarray(x)))


def searchsorted(x1, x2, /, *, side="left", sorter=None):
    """Where ``x2``'s values go in the sorted 1-D ``x1`` (``x1`` is computed; ``x2``
    stays chunked)."""
    _dtypes.real_only("searchsorted", x1, x2, instead=_NO_ORDER)
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side {side!r}; use 'left' or 'right'")
    ref = np.asarray(x1)
    if sorter is not None:
        ref = ref[np.asarray(sorter)]
    return map_blocks(lambda b: np.searchsorted(ref, b, side=side).astype(np.int64), x2, dtype=np.int64)


# ----- sets -----------------------------------------------------------------------------
def _computed_1d(x):
    return np.asarray(x).reshape(-1)


def unique_values(x, /):
    """The distinct values, sorted (NaNs each distinct, as the standard)."""
    return from_array(np.unique(_computed_1d(x), equal_nan=False))


def unique_counts(x, /):
    """The distinct values and how often each occurs."""
    r = np.unique_counts(_computed_1d(x))
    return type(r)(from_array(r.values), from_array(r.counts.astype(np.int64)))


def unique_inverse(x, /):
    """The distinct values and, in ``x``'s shape, each element's index among them."""
    values = np.asarray(x)
    r = np.unique_inverse(values)
    return type(r)(from_array(r.values), from_array(r.inverse_indices.reshape(values.shape).astype(np.int64)))


def unique_all(x, /):
    """The distinct values, first indices, inverse indices and counts."""
    values = np.asarray(x)
    r = np.unique_all(values)
    return type(r)(
        from_array(r.values), from_array(r.indices.astype(np.int64)),
        from_array(r.inverse_indices.reshape(values.shape).astype(np.int64)), from_array(r.counts.astype(np.int64)),
    )


def isin(x1, x2, /, *, invert=False):
    """Whether each element of ``x1`` is in ``x2`` (``x2`` is computed; ``x1`` stays
    chunked)."""
    values = np.asarray(x2).reshape(-1)
    return map_blocks(lambda b: np.isin(b, values, invert=invert), x1, dtype=np.bool_)


# ----- sorting --------------------------------------------------------------------------
def _along_axis(x, axis, fn, dtype, lanes_per_block=None):
    """``fn`` on blocks holding the whole of ``axis``: that axis is gathered into one
    chunk. With ``lanes_per_block``, the other axes are cut so that a block holds at
    most that many lanes (never more than it did), which keeps the blocks within the
    budget; without it, the block must fit the budget (the plan refuses it otherwise)."""
    a = axis % x.ndim
    chunks = [tuple(c) for c in x.chunks]
    if lanes_per_block is not None:
        sizes = [builtins.max(c) if c else 1 for c in chunks]
        sizes[a] = 1
        # halve the largest other extent until the lanes of a block fit
        while math.prod(sizes) > lanes_per_block:
            i = builtins.max((i for i in range(x.ndim) if i != a), key=lambda i: sizes[i])
            sizes[i] = builtins.max(1, sizes[i] // 2)
        for i in range(x.ndim):
            if i != a and sizes[i] < builtins.max(chunks[i], default=1):
                whole, rest = divmod(x.shape[i], sizes[i])
                chunks[i] = (sizes[i],) * whole + ((rest,) if rest else ())
    chunks[a] = (x.shape[a],)
    if tuple(chunks) != tuple(tuple(c) for c in x.chunks):
        x = x.rechunk(tuple(chunks))
    return map_blocks(lambda b: fn(b, a), x, dtype=dtype)


def _native_sort(x, argsort, descending):
    """The out-of-core sort of a 1-d array (any size, under the budget: sorted runs
    merged as the result is read). Descending is the reverse of the ascending order
    of the reversed input, which keeps it stable."""
    from ..array.core import _wrap

    if not descending:
        return _wrap(x._a.sort(bool(argsort)))
    rev = _wrap(x[::-1]._a.sort(bool(argsort)))[::-1]
    return (x.shape[0] - 1 - rev) if argsort else rev


def _sort_along(x, axis, argsort, descending):
    """Sorts (or argsorts) ``x`` along ``axis`` under the memory budget.

    A 1-d array, and every lane of an n-d array whose lane (the whole axis at one
    position of the other axes) is too large for a block, runs spillway's out-of-core
    sort: sorted runs, spilled as needed, merged as the result is read. Lanes that fit
    a block are gathered whole into blocks cut small enough along the other axes for
    the budget, and sorted per block with NumPy's stable sort."""
    if x.ndim == 1:
        return _native_sort(x, argsort, descending)
    a = axis % x.ndim
    n = x.shape[a]
    total, threads = _native.native.current_budget()
    # a block, its sorted copy (and for argsort the int64 indices), with one block per
    # thread in flight and room left for reading the input
    per_block = total // (4 * builtins.max(threads, 1))
    lane_bytes = n * (x.dtype.itemsize + (8 if argsort else x.dtype.itemsize))
    if lane_bytes > per_block and x.size > n:
        # each lane on its own, out of core, then the lanes laid back along their axes
        moved = moveaxis(x, a, -1)
        outer = moved.shape[:-1]
        lanes = [_native_sort(moved[idx], argsort, descending) for idx in np.ndindex(*outer)]
        out = stack(lanes, axis=0)
        return moveaxis(reshape(out, outer + (n,)), -1, a)
    if lane_bytes > per_block:
        return _native_sort(reshape(x, (n,)), argsort, descending).reshape(x.shape)
    fn = _argsort_block if argsort else _sort_block
    return _along_axis(x, a, lambda b, ax: fn(b, ax, descending), np.int64 if argsort else x.dtype,
                       lanes_per_block=builtins.max(1, per_block // builtins.max(lane_bytes, 1)))


def _sort_block(b, a, descending):
    """A block sorted along ``a``, stable; descending as the reverse of the reversed
    block's ascending sort, which keeps equal keys in input order."""
    if not descending:
        return np.sort(b, axis=a, kind="stable")
    return np.flip(np.sort(np.flip(b, a), axis=a, kind="stable"), a)


def _argsort_block(b, a, descending):
    """The stable argsort of a block along ``a`` (int64)."""
    if not descending:
        return np.argsort(b, axis=a, kind="stable").astype(np.int64)
    rev = np.argsort(np.flip(b, a), axis=a, kind="stable")
    return np.flip(b.shape[a] - 1 - rev, a).astype(np.int64)


def sort(x, /, *, axis=-1, descending=False, stable=True):
    """``x`` sorted along ``axis`` (stable; NaNs last), under the memory budget whatever
    the size: a 1-d array, or a lane of an n-d array too large for a block, is sorted out
    of core; smaller lanes are gathered whole into blocks and sorted per block.
    Real-valued dtypes, as the standard: complex arrays raise a ``TypeError`` (sort by a
    real key with ``xp.take(z, xp.argsort(key))``).

    Examples
    --------
    >>> import spillway.array_api as xp
    >>> xp.sort(xp.asarray([[3, 1, 2], [0, 5, 4]]), axis=1).compute()
    array([[1, 2, 3],
           [0, 4, 5]])
    """
    _dtypes.real_only("sort", x, instead="Complex numbers have no order: sort by a real key, "
                      "xp.take(z, xp.argsort(xp.abs(z)), axis=-1) or by xp.real(z)")
    return _sort_along(x, axis, False, descending)


def argsort(x, /, *, axis=-1, descending=False, stable=True):
    """The indices (int64) that sort ``x`` along ``axis``, stable, under the memory
    budget as :func:`sort`.

    Examples
    --------
    >>> import spillway.array_api as xp
    >>> xp.argsort(xp.asarray([3, 1, 2])).compute()
    array([1, 2, 0])
    """
    _dtypes.real_only("argsort", x, instead="Complex numbers have no order: argsort a real key, "
                      "xp.argsort(xp.abs(z)) or xp.argsort(xp.real(z))")
    return _sort_along(x, axis, True, descending)


# ----- linear algebra (main namespace) --------------------------------------------------
def matmul(x1, x2, /):
    """The matrix product; stacks of matrices (more than 2 dimensions) broadcast over
    their leading axes, each matrix product whole in one task."""
    if x1.ndim <= 2 and x2.ndim <= 2:
        return x1 @ x2
    from ..array.gufunc import apply_gufunc

    a = x1 if x1.ndim > 1 else x1.reshape((1, x1.shape[0]))
    b = x2 if x2.ndim > 1 else x2.reshape((x2.shape[0], 1))
    out = apply_gufunc(np.matmul, "(n,k),(k,m)->(n,m)", a, b, output_dtypes=[np.result_type(x1.dtype, x2.dtype)])
    if x1.ndim == 1:
        out = out[..., 0, :]
    if x2.ndim == 1:
        out = out[..., 0]
    return out


def matrix_transpose(x, /):
    """The last two axes swapped."""
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose: needs at least 2 dimensions, got {x.ndim}")
    return x.swapaxes(-1, -2)


def tensordot(x1, x2, /, *, axes=2):
    """Sum of products over ``axes``."""
    return _r.tensordot(x1, x2, axes=axes)


def vecdot(x1, x2, /, *, axis=-1):
    """The dot product of vectors along ``axis`` (broadcast over the rest); complex
    ``x1`` is conjugated, as the standard says (``sum(conj(x1) * x2)``)."""
    if x1.dtype.kind == "c":
        x1 = x1.conj()
    return sum(x1 * x2, axis=axis)
