"""``Array``: a lazy chunked array with Dask Array's attributes, operators and methods.

Every operation builds spillway's task graph in Rust; nothing runs until ``compute()``
(or ``np.asarray``), which runs the graph on the current client with the GIL released.
"""

from __future__ import annotations

import numbers
import operator
import os
from functools import reduce as _reduce

import numpy as np

from .._native import _SUPPORTED, dtype_name, native

__all__ = ["Array", "asarray", "from_array"]

_BINARY_UFUNCS = {
    "add", "subtract", "multiply", "true_divide", "divide", "floor_divide", "remainder",
    "mod", "power", "less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
    "bitwise_and", "bitwise_or", "bitwise_xor", "logical_and", "logical_or",
    "logical_xor", "maximum", "minimum",
}
_UNARY_UFUNCS = {
    "negative", "positive", "absolute", "invert", "bitwise_not", "logical_not", "isnan",
    "isfinite", "isinf", "sqrt", "exp", "log", "sin", "cos", "tan", "log2", "log10",
    "exp2", "expm1", "log1p", "cbrt", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
    "floor", "ceil", "rint", "trunc", "sign",
}


_COMPARISONS = {"less", "less_equal", "greater", "greater_equal", "equal", "not_equal"}


def _is_scalar(value) -> bool:
    return isinstance(value, (numbers.Number, np.generic, bool)) or (
        isinstance(value, np.ndarray) and value.ndim == 0
    )


def _wrap(native_array) -> "Array":
    out = Array.__new__(Array)
    out._a = native_array
    return out


def _normalize_axis(axis, ndim):
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return [int(a) for a in axis]
    return [int(axis)]


class Array:
    """A lazy, chunked n-dimensional array, as ``dask.array.Array``.

    Build one with the creation functions (``arange``, ``random.uniform``,
    ``from_array``, ``from_zarr``, ...); combine with operators, NumPy functions and the
    methods below; get values with ``compute()`` or ``np.asarray(x)``.

    Examples
    --------
    >>> import spillway.array as da
    >>> a = da.arange(1, 50, 3, chunks=5)
    >>> a.chunks
    ((5, 5, 5, 2),)
    >>> int((a ** 2).sum().compute())
    14297
    """

    __slots__ = ("_a", "__weakref__")
    __array_priority__ = 11

    def __init__(self, native_array):
        if not isinstance(native_array, native._Array):
            raise TypeError("build arrays with spillway.array's functions (from_array, arange, ...)")
        self._a = native_array

    # ----- metadata ---------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        """Extent per axis."""
        return tuple(self._a.shape)

    @property
    def ndim(self) -> int:
        """Number of axes."""
        return len(self._a.shape)

    @property
    def dtype(self) -> np.dtype:
        """The element type, a ``numpy.dtype``."""
        return np.dtype(self._a.dtype)

    @property
    def chunks(self) -> tuple:
        """Chunk lengths per axis, a tuple of tuples."""
        return tuple(tuple(c) for c in self._a.chunks)

    @property
    def chunksize(self) -> tuple:
        """The largest chunk per axis."""
        return tuple(max(c) if c else 0 for c in self.chunks)

    @property
    def numblocks(self) -> tuple:
        """Number of chunks per axis."""
        return tuple(len(c) for c in self.chunks)

    @property
    def npartitions(self) -> int:
        """Total number of chunks."""
        return _reduce(operator.mul, self.numblocks, 1)

    @property
    def size(self) -> int:
        """Number of elements."""
        return _reduce(operator.mul, self.shape, 1)

    @property
    def nbytes(self) -> int:
        """Bytes of the whole array."""
        return self.size * self.dtype.itemsize

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    @property
    def name(self) -> str:
        """The name of the operation that made the array."""
        return self._a.name

    @property
    def T(self) -> "Array":
        """The transpose."""
        return self.transpose()

    @property
    def _meta(self) -> np.ndarray:
        return np.empty((0,) * self.ndim, dtype=self.dtype)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __repr__(self) -> str:
        shape = repr(self.shape)
        chunksize = repr(self.chunksize)
        return (
            f"spillway.array<{self.name}, shape={shape}, dtype={self.dtype.name}, "
            f"chunksize={chunksize}, chunktype=numpy.ndarray>"
        )

    def _repr_html_(self) -> str:
        return self._a.html()

    def visualize(self, filename=None, **kwargs):
        """The task graph as SVG (displayed by notebooks); ``filename`` also writes it.

        Parameters
        ----------
        filename : str or path, optional
            Where to write the SVG.

        Returns
        -------
        SVG
            An object IPython displays.
        """
        from .._svg import SVG

        return SVG(self._a.svg(), filename)

    # ----- computing ----------------------------------------------------------------
    def compute(self, **kwargs):
        """Runs the computation and returns a ``numpy.ndarray`` (a NumPy scalar for a
        0-d result) that owns spillway's buffer (no copy).

        Returns
        -------
        numpy.ndarray or numpy scalar
        """
        values = self._a.compute()
        if values.ndim == 0:
            return values[()]
        return values

    def persist(self, **kwargs) -> "Array":
        """Computes the array and keeps its values in memory as a new array.

        Returns
        -------
        Array
        """
        return _wrap(self._a.persist())

    def __array__(self, dtype=None, copy=None):
        values = self._a.compute()
        if dtype is not None and np.dtype(dtype) != values.dtype:
            return values.astype(dtype)
        return values

    def __bool__(self):
        return bool(self.compute())

    def __float__(self):
        self._refuse_complex("float()", "use complex(x), or float(x.real) for the real part")
        return float(self.compute())

    def __int__(self):
        self._refuse_complex("int()", "use complex(x), or int(x.real) for the real part")
        return int(self.compute())

    def _refuse_complex(self, what, instead):
        """A ``TypeError`` for conversions the array API standard refuses on complex
        arrays (they would drop the imaginary part)."""
        if self.dtype.kind == "c":
            raise TypeError(f"{what} of a {self.dtype.name} array would drop its imaginary part; {instead}")

    def __index__(self):
        return operator.index(self.compute())

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def to_zarr(self, url, overwrite=False, resume=False, dimension_names=None, attributes=None, **kwargs):
        """Writes the array to a zarr v3 store (``resume=True`` finishes an interrupted
        write), as ``da.to_zarr``.

        Parameters
        ----------
        url : str or path
            The store's directory.
        overwrite : bool
            Replace an existing store.
        resume : bool
            Write only the chunks an interrupted write left missing.
        dimension_names : sequence of str or None, optional
            One name per axis (``None`` for an unnamed axis), written as zarr v3's
            ``dimension_names`` (xarray's dimensions); another count raises ``ValueError``
            before anything is written.
        attributes : dict, optional
            JSON values written as the array's attributes (zarr-python's ``.attrs``).
            Read both back with ``spillway.array.zarr_io.open_zarr_metadata(url)``.
        """
        from .zarr_io import _to_zarr

        _to_zarr(self._a, os.fspath(url), overwrite, resume, dimension_names, attributes)

    # ----- elementwise --------------------------------------------------------------
    def _binary(self, op, other, reflected=False):
        if isinstance(other, Array):
            a, b = (other, self) if reflected else (self, other)
            return _wrap(a._a.binary(op, b._a))
        if _is_scalar(other):
            if isinstance(other, (int, np.integer)) and not isinstance(other, (bool, np.bool_)) and self.dtype.kind in "iu":
                info = np.iinfo(self.dtype)
                if not info.min <= int(other) <= info.max and op != "true_divide":
                    if op in _COMPARISONS:
                        # NumPy 2 compares out-of-range Python integers exactly
                        wide = "float64" if self.dtype == np.uint64 or int(other) > np.iinfo(np.int64).max else "int64"
                        return self.astype(wide)._binary(op, float(other) if wide == "float64" else other, reflected)
                    raise OverflowError(f"Python integer {other} out of bounds for {self.dtype.name}")
            return _wrap(self._a.binary_scalar(op, other, reflected))
        if isinstance(other, (np.ndarray, list, tuple)):
            other = from_array(np.asarray(other))
            return self._binary(op, other, reflected)
        return NotImplemented

    def __add__(self, o): return self._binary("add", o)
    def __radd__(self, o): return self._binary("add", o, True)
    def __sub__(self, o): return self._binary("subtract", o)
    def __rsub__(self, o): return self._binary("subtract", o, True)
    def __mul__(self, o): return self._binary("multiply", o)
    def __rmul__(self, o): return self._binary("multiply", o, True)
    def __truediv__(self, o): return self._binary("true_divide", o)
    def __rtruediv__(self, o): return self._binary("true_divide", o, True)
    def __floordiv__(self, o): return self._binary("floor_divide", o)
    def __rfloordiv__(self, o): return self._binary("floor_divide", o, True)
    def __mod__(self, o): return self._binary("remainder", o)
    def __rmod__(self, o): return self._binary("remainder", o, True)
    def __pow__(self, o): return self._binary("power", o)
    def __rpow__(self, o): return self._binary("power", o, True)
    def __lt__(self, o): return self._binary("less", o)
    def __le__(self, o): return self._binary("less_equal", o)
    def __gt__(self, o): return self._binary("greater", o)
    def __ge__(self, o): return self._binary("greater_equal", o)
    def __eq__(self, o): return self._binary("equal", o)
    def __ne__(self, o): return self._binary("not_equal", o)
    def __and__(self, o): return self._binary("bitwise_and", o)
    def __rand__(self, o): return self._binary("bitwise_and", o, True)
    def __or__(self, o): return self._binary("bitwise_or", o)
    def __ror__(self, o): return self._binary("bitwise_or", o, True)
    def __xor__(self, o): return self._binary("bitwise_xor", o)
    def __rxor__(self, o): return self._binary("bitwise_xor", o, True)
    def __neg__(self): return _wrap(self._a.unary("negative"))
    def __pos__(self): return self
    def __abs__(self): return _wrap(self._a.unary("absolute"))
    def __invert__(self): return _wrap(self._a.unary("invert"))

    __hash__ = object.__hash__

    def __matmul__(self, other):
        from .linalg import matmul

        return matmul(self, asarray(other))

    def __rmatmul__(self, other):
        from .linalg import matmul

        return matmul(asarray(other), self)

    def astype(self, dtype, **kwargs) -> "Array":
        """The values as ``dtype`` (NumPy's casting: floats truncate, integers wrap)."""
        return _wrap(self._a.astype(dtype_name(dtype)))

    def round(self, decimals=0) -> "Array":
        """Rounded to ``decimals`` places, halves to even (``np.round``; complex values
        part by part)."""
        if decimals == 0:
            return _wrap(self._a.unary("rint"))
        scale = 10.0 ** decimals
        return (self * scale).round() / scale

    def clip(self, min=None, max=None) -> "Array":
        """Values limited to ``[min, max]``."""
        out = self
        if min is not None:
            out = out._binary("maximum", min)
        if max is not None:
            out = out._binary("minimum", max)
        return out

    def conj(self) -> "Array":
        """The complex conjugate (a real array is its own conjugate)."""
        if self.dtype.kind != "c":
            return self
        return _wrap(self._a.unary("conj"))

    conjugate = conj

    # ----- reductions ---------------------------------------------------------------
    def _reduce(self, name, axis=None, keepdims=False, dtype=None, ddof=0.0):
        out = _wrap(self._a.reduce(name, _normalize_axis(axis, self.ndim), bool(keepdims), float(ddof)))
        if dtype is not None:
            out = out.astype(dtype)
        return out

    def sum(self, axis=None, dtype=None, keepdims=False, **kw):
        """Sum over ``axis`` (all axes when None), as ``np.sum``."""
        if dtype is not None:
            return self.astype(dtype)._reduce("sum", axis, keepdims)
        return self._reduce("sum", axis, keepdims)

    def prod(self, axis=None, dtype=None, keepdims=False, **kw):
        """Product over ``axis``."""
        if dtype is not None:
            return self.astype(dtype)._reduce("prod", axis, keepdims)
        return self._reduce("prod", axis, keepdims)

    def mean(self, axis=None, dtype=None, keepdims=False, **kw):
        """Arithmetic mean over ``axis`` (float64; float32 for float32)."""
        return self._reduce("mean", axis, keepdims, dtype)

    def var(self, axis=None, dtype=None, keepdims=False, ddof=0, **kw):
        """Variance over ``axis`` with ``ddof`` delta degrees of freedom."""
        return self._reduce("var", axis, keepdims, dtype, ddof)

    def std(self, axis=None, dtype=None, keepdims=False, ddof=0, **kw):
        """Standard deviation over ``axis`` with ``ddof`` delta degrees of freedom."""
        return self._reduce("std", axis, keepdims, dtype, ddof)

    def min(self, axis=None, keepdims=False, **kw):
        """Smallest value over ``axis`` (NaN wins)."""
        return self._reduce("min", axis, keepdims)

    def max(self, axis=None, keepdims=False, **kw):
        """Largest value over ``axis`` (NaN wins)."""
        return self._reduce("max", axis, keepdims)

    def any(self, axis=None, keepdims=False, **kw):
        """Whether any value over ``axis`` is non-zero."""
        return self._reduce("any", axis, keepdims)

    def all(self, axis=None, keepdims=False, **kw):
        """Whether every value over ``axis`` is non-zero."""
        return self._reduce("all", axis, keepdims)

    def argmin(self, axis=None, keepdims=False, **kw):
        """Index of the smallest value (flat index when ``axis`` is None)."""
        return _wrap(self._a.arg_extreme(False, axis, bool(keepdims)))

    def argmax(self, axis=None, keepdims=False, **kw):
        """Index of the largest value (flat index when ``axis`` is None)."""
        return _wrap(self._a.arg_extreme(True, axis, bool(keepdims)))

    def cumsum(self, axis=None, dtype=None, **kw):
        """Cumulative sum along ``axis`` (of the flattened array when None)."""
        x = self if axis is not None else self.ravel()
        out = _wrap(x._a.cumulative(False, 0 if axis is None else int(axis)))
        return out if dtype is None else out.astype(dtype)

    def cumprod(self, axis=None, dtype=None, **kw):
        """Cumulative product along ``axis`` (of the flattened array when None)."""
        x = self if axis is not None else self.ravel()
        out = _wrap(x._a.cumulative(True, 0 if axis is None else int(axis)))
        return out if dtype is None else out.astype(dtype)

    # ----- shape --------------------------------------------------------------------
    def rechunk(self, chunks="auto", **kwargs) -> "Array":
        """The same values in new chunks, as ``rechunk``."""
        if isinstance(chunks, dict):
            spec = [-1 if i not in chunks else chunks[i] for i in range(self.ndim)]
            spec = [self.chunks[i] if i not in chunks else chunks[i] for i in range(self.ndim)]
            chunks = tuple(spec)
        return _wrap(self._a.rechunk(chunks))

    def reshape(self, *shape, **kwargs) -> "Array":
        """A new shape with the same elements in C order (one extent may be -1)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _wrap(self._a.reshape([int(s) for s in shape]))

    def ravel(self) -> "Array":
        """The elements as one axis, in C order."""
        return self.reshape(-1)

    flatten = ravel

    def transpose(self, *axes) -> "Array":
        """The axes reversed, or permuted as ``axes``."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _wrap(self._a.transpose([int(a) for a in axes]))

    def squeeze(self, axis=None) -> "Array":
        """Length-1 axes removed."""
        if isinstance(axis, (tuple, list)):
            out = self
            for a in sorted((x % self.ndim for x in axis), reverse=True):
                out = out.squeeze(a)
            return out
        return _wrap(self._a.squeeze(axis))

    def swapaxes(self, axis1, axis2) -> "Array":
        """Two axes exchanged."""
        return _wrap(self._a.swapaxes(int(axis1), int(axis2)))

    def dot(self, other) -> "Array":
        """The matrix product with ``other``."""
        from .linalg import matmul

        return matmul(self, asarray(other))

    def map_blocks(self, func, *args, dtype=None, chunks=None, drop_axis=None, new_axis=None, **kwargs):
        """Applies ``func`` to every block (see :func:`spillway.array.map_blocks`)."""
        from .blockwise import map_blocks

        return map_blocks(func, self, *args, dtype=dtype, chunks=chunks, **kwargs)

    def map_overlap(self, func, depth, boundary=None, dtype=None, **kwargs):
        """Applies ``func`` to blocks extended by ``depth`` neighbours (see
        :func:`spillway.array.map_overlap`)."""
        from .blockwise import map_overlap

        return map_overlap(func, self, depth=depth, boundary=boundary, dtype=dtype, **kwargs)

    # ----- indexing -----------------------------------------------------------------
    def __getitem__(self, index):
        from .indexing import getitem

        return getitem(self, index)

    # ----- the array API standard ---------------------------------------------------
    def __array_namespace__(self, *, api_version=None):
        """The array API namespace for spillway arrays: :mod:`spillway.array_api`."""
        if api_version not in (None, "2021.12", "2022.12", "2023.12", "2024.12", "2025.12"):
            raise ValueError(f"spillway implements the array API standard 2025.12; api_version {api_version!r} is not known")
        from .. import array_api

        return array_api

    @property
    def device(self) -> str:
        """The device holding the array: ``"cpu"``."""
        return "cpu"

    def to_device(self, device, /, *, stream=None) -> "Array":
        """The array on ``device`` (only ``"cpu"`` exists)."""
        if device != "cpu":
            raise ValueError(f"to_device: spillway arrays live on 'cpu'; device {device!r} is not available")
        return self

    @property
    def mT(self) -> "Array":
        """The last two axes swapped."""
        return self.swapaxes(-1, -2)

    @property
    def real(self) -> "Array":
        """The real part: float32 for complex64, float64 for complex128; a real array
        is its own real part."""
        if self.dtype.kind != "c":
            return self
        return _wrap(self._a.unary("real"))

    @property
    def imag(self) -> "Array":
        """The imaginary part: float32 for complex64, float64 for complex128; zeros of
        the array's dtype for a real array (as NumPy)."""
        if self.dtype.kind != "c":
            from .creation import zeros_like

            return zeros_like(self)
        return _wrap(self._a.unary("imag"))

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """The computed values through DLPack (``np.from_dlpack(x)`` computes ``x``)."""
        values = np.ascontiguousarray(self.compute())
        if max_version is None:
            return values.__dlpack__(stream=stream)
        return values.__dlpack__(stream=stream, max_version=max_version, dl_device=dl_device, copy=copy)

    def __dlpack_device__(self):
        """DLPack's CPU device."""
        return (1, 0)

    def __complex__(self):
        return complex(self.compute())

    def __lshift__(self, o):
        return _shift(np.left_shift, self, o)

    def __rshift__(self, o):
        return _shift(np.right_shift, self, o)

    def __setitem__(self, key, value):
        raise TypeError(
            "spillway arrays are immutable lazy values; build the new array instead "
            "(e.g. xp.where(mask, value, x))"
        )

    # ----- NumPy protocols ----------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from .numpy_compat import array_ufunc

        return array_ufunc(self, ufunc, method, *inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        from .numpy_compat import array_function

        return array_function(self, func, types, args, kwargs)


def _storable_dtype(dtype) -> np.dtype:
    """The spillway dtype for values of ``dtype``: the dtypes spillway holds stay as they
    are, ``float16`` is widened to ``float32``, and the long double types are narrowed
    to ``float64`` and ``complex128``.

    Raises
    ------
    TypeError
        For dtypes spillway cannot hold (strings, objects, datetimes).
    """
    dtype = np.dtype(dtype)
    if dtype.name in _SUPPORTED:
        return dtype
    if dtype.kind == "f" and dtype.itemsize < 4:
        return np.dtype(np.float32)
    if dtype.kind == "f":
        return np.dtype(np.float64)
    if dtype.kind == "c":
        return np.dtype(np.complex128)
    raise TypeError(
        f"spillway arrays hold bool, integer, float and complex values; dtype {dtype} is not "
        "supported: convert it first (e.g. x.astype('float64')), or keep this variable in NumPy"
    )


def _is_lazy_source(x) -> bool:
    """Whether ``x`` is an array-like read by slicing (zarr, h5py, xarray's lazy backend
    arrays) rather than an in-memory NumPy array."""
    return (
        not isinstance(x, np.ndarray)
        and hasattr(x, "shape")
        and hasattr(x, "dtype")
        and hasattr(x, "__getitem__")
    )


def _lazy_from_source(x, chunks) -> "Array":
    """An array whose blocks are read from ``x[region]`` when computed: nothing of ``x``
    is loaded now, and a block is read by the worker that needs it. On a regular chunk
    grid the reads go through spillway's shared block pool (a chunk wanted by several
    readers in a stage is read once)."""
    shape = tuple(int(s) for s in x.shape)
    dtype = _storable_dtype(x.dtype)
    # the chunk grid ``chunks`` gives for this dtype
    grid = native.full(list(shape), 0, dtype.name, chunks, "from_array").chunks

    def read_region(start, size):
        region = tuple(slice(s, s + n) for s, n in zip(start, size))
        return np.asarray(x[region], dtype=dtype)

    regular = all(len(c) == 0 or all(v == c[0] for v in c[:-1]) and c[-1] <= c[0] for c in grid)
    if regular and all(n > 0 for n in shape):
        chunk_shape = [int(c[0]) for c in grid]
        return _wrap(native.from_reader(read_region, list(shape), chunk_shape, dtype.name, f"from_array({type(x).__name__})"))
    # irregular chunks: a one-byte placeholder on the grid carries each block's place
    placeholder = native.full(list(shape), 0, "uint8", [list(c) for c in grid], "from_array")
    return _wrap(placeholder.map_blocks(lambda _b, _i, start, size: read_region(start, size), dtype.name, None, True))


def from_array(x, chunks="auto", name=None, **kwargs) -> Array:
    """A lazy array over a NumPy array, or over anything sliced like one (a zarr or
    h5py array, xarray's lazily indexed variables), as ``da.from_array``.

    A NumPy array is wrapped without copying; any other array-like with ``shape``,
    ``dtype`` and ``__getitem__`` is read block by block when the result is computed,
    so it may be larger than memory. ``float16``, which spillway does not hold, is
    widened to ``float32``; ``complex64`` and ``complex128`` are held as they are.

    Parameters
    ----------
    x : array_like
        The values.
    chunks : int, tuple, str
        Chunk shape: an int for every axis, a tuple per axis, explicit lengths, or
        ``"auto"``.

    Returns
    -------
    Array

    Raises
    ------
    TypeError
        For values spillway cannot hold (strings, objects, datetimes).

    Examples
    --------
    >>> import numpy as np, spillway.array as da
    >>> da.from_array(np.arange(6), chunks=4).chunks
    ((4, 2),)
    """
    if isinstance(x, Array):
        return x if chunks == "auto" else x.rechunk(chunks)
    if _is_lazy_source(x):
        return _lazy_from_source(x, chunks)
    values = np.asarray(x)
    target = _storable_dtype(values.dtype)
    if target != values.dtype:
        values = values.astype(target)
    if not values.flags.c_contiguous:
        values = np.ascontiguousarray(values)
    if values.size == 0 and chunks == "auto":
        # an empty axis has one empty chunk
        chunks = tuple(max(n, 1) for n in values.shape)
    return _wrap(native.from_numpy(values, chunks))


def asarray(x, dtype=None, chunks="auto", **kwargs) -> Array:
    """``x`` as an Array (an Array is returned as is), as ``da.asarray``."""
    if isinstance(x, Array):
        return x if dtype is None else x.astype(dtype)
    values = np.asarray(x, dtype=dtype)
    return from_array(values, chunks=chunks)
