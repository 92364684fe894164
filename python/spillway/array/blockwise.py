"""Python functions on blocks: ``map_blocks``, ``map_overlap``, ``blockwise`` and
``reduction``.

The function runs on spillway's worker threads and takes the GIL only while it runs, so
blocks compute in parallel only where the function releases the GIL (NumPy's ufuncs and
reductions on large blocks do; pure-Python loops do not).
"""

from __future__ import annotations

import numpy as np

from .core import Array, _wrap, asarray

__all__ = ["map_blocks", "map_overlap", "blockwise", "reduction"]


def _infer_dtype(func, x, args, kwargs):
    """The result dtype ``func`` gives on a one-element block of ``x``'s dtype."""
    try:
        probe = np.ones((1,) * max(x.ndim, 1), dtype=x.dtype).reshape((1,) * x.ndim)
        return np.asarray(func(probe, *args, **kwargs)).dtype
    except Exception:
        return x.dtype


def _explicit_chunks(x: Array, chunks):
    if chunks is None:
        return None
    chunks = tuple(chunks)
    if all(isinstance(c, (tuple, list)) for c in chunks):
        return [list(map(int, c)) for c in chunks]
    # one block shape: every block of the output has it
    return [[int(c)] * n for c, n in zip(chunks, x.numblocks)]


def _wants(func, keyword) -> bool:
    """Whether ``func`` takes ``keyword`` (Dask passes ``block_id``/``block_info`` then)."""
    import inspect

    try:
        return keyword in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def _located(func, x: Array, out_shape, out_numblocks, dtype, wants_id, wants_info):
    """``func`` called as Dask calls it with ``block_id=``/``block_info=``."""
    in_numblocks = x.numblocks
    in_shape = x.shape
    in_starts = [np.cumsum((0,) + tuple(c)).tolist() for c in x.chunks]

    def call(block, block_id, start, size, *args, **kwargs):
        extra = {}
        block_id = tuple(block_id)
        if wants_id:
            extra["block_id"] = block_id
        if wants_info:
            loc = [(s, s + n) for s, n in zip(start, size)]
            extra["block_info"] = {
                0: {"shape": in_shape, "num-chunks": in_numblocks, "chunk-location": block_id,
                    "array-location": [(st[i], st[i + 1]) for st, i in zip(in_starts, block_id)]},
                None: {"shape": out_shape, "num-chunks": out_numblocks, "chunk-location": block_id,
                       "array-location": loc, "chunk-shape": tuple(size), "dtype": np.dtype(dtype)},
            }
        return func(block, *args, **extra, **kwargs)

    return call


def map_blocks(func, *arrays, dtype=None, chunks=None, drop_axis=None, new_axis=None, name=None, **kwargs) -> Array:
    """Applies ``func`` to every block of one array, as ``da.map_blocks``.

    Parameters
    ----------
    func : callable
        Takes a NumPy block (and ``*args`` that are not arrays, and ``**kwargs``) and
        returns a NumPy array of the block's shape, or of ``chunks``.
    dtype : dtype, optional
        The result's dtype (inferred from a one-element call when not given).
    chunks : tuple, optional
        The output block shape, or explicit lengths per axis.

    Returns
    -------
    Array

    Examples
    --------
    >>> import numpy as np, spillway.array as da
    >>> x = da.arange(6, chunks=3)
    >>> da.map_blocks(lambda b: b - b.mean(), x, dtype=float).compute().tolist()
    [-1.0, 0.0, 1.0, -1.0, 0.0, 1.0]
    """
    arrs = [a for a in arrays if isinstance(a, (Array, np.ndarray))]
    rest = [a for a in arrays if not isinstance(a, (Array, np.ndarray))]
    if len(arrs) != 1:
        return blockwise_many(func, arrs, rest, dtype, chunks, kwargs)
    x = asarray(arrs[0])
    wants_id, wants_info = _wants(func, "block_id"), _wants(func, "block_info")
    out_chunks = _explicit_chunks(x, chunks)
    if wants_id or wants_info:
        if dtype is None:
            raise ValueError("map_blocks: give dtype= when func takes block_id or block_info")
        grid = out_chunks or [list(c) for c in x.chunks]
        out_shape = tuple(sum(c) for c in grid)
        call = _located(func, x, out_shape, tuple(len(c) for c in grid), dtype, wants_id, wants_info)
        fn = lambda b, i, s, n: call(b, i, s, n, *rest, **kwargs)  # noqa: E731
        return _wrap(x._a.map_blocks(fn, np.dtype(dtype).name, out_chunks, True))
    if dtype is None:
        dtype = _infer_dtype(func, x, rest, kwargs)
    fn = func if not rest and not kwargs else (lambda b: func(b, *rest, **kwargs))
    return _wrap(x._a.map_blocks(fn, np.dtype(dtype).name, out_chunks))


def blockwise_many(func, arrays, rest, dtype, chunks, kwargs) -> Array:
    """``func`` on aligned blocks of several arrays of one shape and chunking: the
    arrays are stacked along a new first axis, so ``func`` sees each block as before."""
    xs = [asarray(a) for a in arrays]
    first = xs[0]
    xs = [x.rechunk(first.chunks) if x.chunks != first.chunks else x for x in xs]
    from .routines import stack

    stacked = stack(xs, axis=0).rechunk((len(xs),) + first.chunks)
    if dtype is None:
        dtype = np.result_type(*[x.dtype for x in xs])
    fn = lambda b: func(*[b[i] for i in range(b.shape[0])], *rest, **kwargs)  # noqa: E731
    out_chunks = _explicit_chunks(first, chunks) or [list(c) for c in first.chunks]
    stacked_chunks = [[1]] + out_chunks
    out = _wrap(stacked._a.map_blocks(lambda b: fn(b)[None, ...], np.dtype(dtype).name, stacked_chunks))
    return out[0]


def blockwise(func, out_ind, *args, dtype=None, concatenate=None, **kwargs) -> Array:
    """``da.blockwise`` for inputs indexed alike with the output (``"ij", x, "ij", y,
    "ij"``): ``func`` gets the aligned blocks."""
    arrays = args[0::2]
    inds = args[1::2]
    if any(ind is not None and tuple(ind) != tuple(out_ind) for ind in inds):
        raise NotImplementedError(
            "spillway's blockwise takes inputs indexed like the output; use tensordot, einsum or transpose first"
        )
    return map_blocks(func, *arrays, dtype=dtype, **kwargs)


def map_overlap(func, *arrays, depth=None, boundary=None, trim=True, dtype=None, **kwargs) -> Array:
    """Applies ``func`` to blocks extended by ``depth`` neighbours per axis, then trims
    the halo, as ``da.map_overlap``.

    Parameters
    ----------
    func : callable
        Takes the extended NumPy block and returns one of the same shape.
    depth : int, tuple or dict
        Halo width per axis.
    boundary : str or number
        ``"none"`` (default), ``"reflect"``, ``"nearest"``, ``"periodic"`` or a constant.

    Returns
    -------
    Array
    """
    if len(arrays) != 1:
        raise NotImplementedError("map_overlap takes one array in spillway")
    x = asarray(arrays[0])
    if isinstance(depth, dict):
        depth = [int(depth.get(i, 0)) for i in range(x.ndim)]
    elif isinstance(depth, (int, np.integer)):
        depth = [int(depth)] * x.ndim
    else:
        depth = [int(d) for d in depth]
    if boundary is None:
        boundary = "none"
    fn = func if not kwargs else (lambda b: func(b, **kwargs))
    return _wrap(x._a.map_overlap(fn, depth, boundary))


def reduction(x, chunk, aggregate, axis=None, keepdims=False, dtype=None, combine=None, concatenate=True, **kwargs) -> Array:
    """Reduces with ``chunk`` per block and ``aggregate`` over the per-block results, as
    ``da.reduction``. Lazy: nothing runs until the result is computed.

    Parameters
    ----------
    x : Array
        The array reduced.
    chunk : callable
        ``chunk(block, axis=axes, keepdims=True)`` reduces one NumPy block.
    aggregate : callable
        ``aggregate(partials, axis=axes, keepdims=...)`` combines the per-block results,
        stacked along the reduced axes (one entry per block).
    axis : int or tuple of int, optional
        The axes reduced (all when not given).
    keepdims : bool
        Keep the reduced axes with length one.
    dtype : dtype, optional
        The result's dtype (inferred from a one-element call when not given).
    combine : callable, optional
        Accepted for Dask's signature; the per-block results are combined by
        ``aggregate`` in one step (they hold one value per block, so they are small).

    Returns
    -------
    Array

    Examples
    --------
    >>> import numpy as np, spillway.array as da
    >>> x = da.arange(10, chunks=3)
    >>> r = da.reduction(x, np.max, np.max, dtype=int)
    >>> int(r.compute())
    9
    """
    x = asarray(x)
    axes = tuple(range(x.ndim)) if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
    axes = tuple(a % x.ndim for a in axes) if x.ndim else ()
    part_dtype = _infer_dtype(lambda b: chunk(b, axis=axes, keepdims=True), x, [], {})
    per_block = [[1] * n if i in axes else list(c) for i, (c, n) in enumerate(zip(x.chunks, x.numblocks))]
    partial = _wrap(
        x._a.map_blocks(
            lambda b: np.asarray(chunk(b, axis=axes, keepdims=True), dtype=part_dtype),
            np.dtype(part_dtype).name,
            per_block,
        )
    )
    # every reduced axis in one block: each output block aggregates its partials whole
    whole = tuple(partial.shape[i] if i in axes else partial.chunks[i] for i in range(x.ndim))
    partial = partial.rechunk(whole)
    if dtype is None:
        probe = np.ones((1,) * x.ndim, dtype=part_dtype)
        try:
            dtype = np.asarray(aggregate(probe, axis=axes, keepdims=True)).dtype
        except Exception:
            dtype = part_dtype
    out_chunks = [[1] if i in axes else list(c) for i, c in enumerate(partial.chunks)]
    result = _wrap(
        partial._a.map_blocks(
            lambda b: np.asarray(aggregate(b, axis=axes, keepdims=True), dtype=dtype),
            np.dtype(dtype).name,
            out_chunks,
        )
    )
    if keepdims or not axes:
        return result
    return result[tuple(0 if i in axes else slice(None) for i in range(x.ndim))]
