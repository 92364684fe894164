"""xarray's chunk manager for spillway: ``xr.open_zarr(path, chunked_array_type="spillway",
chunks={})`` gives variables backed by spillway arrays, computed under the client's
memory budget.

Registered under xarray's ``xarray.chunkmanagers`` entry point (see ``pyproject.toml``),
so xarray finds it once spillway is installed. Every method takes what xarray passes and
hands it to :mod:`spillway.array`; options spillway does not support raise
``NotImplementedError`` naming the option and what to do instead.

Examples
--------
>>> import numpy as np, xarray as xr
>>> v = xr.Variable(("t",), np.arange(6.0)).chunk({"t": 2}, chunked_array_type="spillway")
>>> type(v.data).__module__
'spillway.array.core'
>>> float(v.mean().compute())
2.5
"""

from __future__ import annotations

from typing import Any

import numpy as np
from xarray.namedarray.parallelcompat import ChunkManagerEntrypoint

from .array import core as _core

__all__ = ["SpillwayChunkManager"]


# xarray's indexing adapters that pass values through unchanged
_PASS_THROUGH = ("ImplicitToExplicitIndexingAdapter", "CopyOnWriteArray", "MemoryCachedArray")


def _takes_everything(key, shape) -> bool:
    """Whether an xarray ``BasicIndexer`` key selects every element, in order."""
    parts = getattr(key, "tuple", None)
    if parts is None or len(parts) != len(shape):
        return False
    return all(
        isinstance(k, slice) and k.step in (None, 1) and k.start in (None, 0) and (k.stop is None or k.stop >= n)
        for k, n in zip(parts, shape)
    )


def _stored_zarr_path(data):
    """The path of the zarr v3 array on the local disk that ``data`` reads unchanged, or
    None: xarray's chain of pass-through adapters over a ``ZarrArrayWrapper``, with no
    decoding (masking, scaling, casting) between them and a key that takes every element."""
    import os

    d = data
    for _ in range(16):
        kind = type(d).__name__
        if kind in _PASS_THROUGH:
            d = d.array
        elif kind == "LazilyIndexedArray":
            if not _takes_everything(d.key, d.array.shape):
                return None
            d = d.array
        elif kind == "ZarrArrayWrapper":
            z = getattr(d, "_array", None)
            store = getattr(z, "store", None)
            root = getattr(store, "root", None)
            metadata = getattr(z, "metadata", None)
            if (
                root is None
                or type(store).__name__ != "LocalStore"
                or getattr(metadata, "zarr_format", None) != 3
                or tuple(z.shape) != tuple(data.shape)
                or np.dtype(z.dtype) != np.dtype(data.dtype)
            ):
                return None
            return os.path.join(str(root), z.path) if z.path else str(root)
        else:
            return None
    return None


def _native_zarr(data, chunks):
    """``data`` opened by spillway's own zarr reader when it is a stored zarr v3 array read
    unchanged (chunks decoded in native code on every worker, with no Python and no GIL),
    in ``chunks``; None when it is not, or the store is one spillway does not read."""
    path = _stored_zarr_path(data)
    if path is None:
        return None
    from .array.zarr_io import from_zarr

    try:
        arr = from_zarr(path)
    except Exception:  # noqa: BLE001 - any store spillway cannot open is read by xarray's reader instead
        return None
    # explicit chunks (a rechunk to the store's own chunks changes nothing)
    if isinstance(chunks, tuple) and len(chunks) == arr.ndim and not any(isinstance(c, str) or c is None for c in chunks):
        arr = arr.rechunk(chunks)
    return arr


def _auto_lengths(extents, elements, previous):
    """Chunk lengths for the ``"auto"`` axes: blocks of about ``elements`` elements,
    as even across axes as the extents allow, in multiples of the stored chunks
    (``previous``) where given."""
    lengths = [None] * len(extents)
    left = list(range(len(extents)))
    budget = float(elements)
    while left:
        side = budget ** (1.0 / len(left))
        small = [i for i in left if extents[i] <= side]
        if not small:
            for i in left:
                lengths[i] = max(1, int(side))
            break
        for i in small:
            lengths[i] = max(1, extents[i])
            budget /= max(1, extents[i])
            left.remove(i)
    out = []
    for c, n, prev in zip(lengths, extents, previous):
        if prev:
            p = max(prev) if isinstance(prev, (tuple, list)) else int(prev)
            c = max(p, (c // p) * p)
        out.append(int(min(max(c, 1), max(n, 1))))
    return out


class SpillwayChunkManager(ChunkManagerEntrypoint):
    """The bridge between xarray and spillway arrays (``chunked_array_type="spillway"``).

    Examples
    --------
    >>> from spillway.xarray_chunkmanager import SpillwayChunkManager
    >>> SpillwayChunkManager().normalize_chunks((2, -1), shape=(5, 3))
    ((2, 2, 1), (3,))
    """

    available = True

    def __init__(self) -> None:
        self.array_cls = _core.Array

    def is_chunked_array(self, data: Any) -> bool:
        """Whether ``data`` is a spillway array."""
        return isinstance(data, _core.Array)

    def chunks(self, data):
        """The chunk lengths of ``data`` per axis."""
        return data.chunks

    def normalize_chunks(self, chunks, shape=None, limit=None, dtype=None, previous_chunks=None):
        """Explicit chunk lengths per axis from any of Dask's chunk forms (an int, a
        tuple with ``-1``/``None``/``"auto"``, a dict by axis, explicit lengths).

        ``"auto"`` uses spillway's chunk size (about 128 MiB blocks) for ``dtype``.
        """
        if shape is None:
            if isinstance(chunks, tuple) and all(isinstance(c, tuple) for c in chunks):
                return chunks
            raise ValueError("normalize_chunks: give shape= unless chunks are explicit lengths")
        shape = tuple(int(s) for s in shape)
        if isinstance(chunks, dict):
            chunks = tuple(chunks.get(i, chunks.get(i - len(shape), -1)) for i in range(len(shape)))
        if isinstance(chunks, (int, np.integer, str)) or chunks is None:
            chunks = (chunks,) * len(shape)
        chunks = tuple(chunks)
        if len(chunks) != len(shape):
            raise ValueError(
                f"normalize_chunks: {len(chunks)} chunk entries for shape {shape}; give one per axis"
            )
        out = []
        auto_axes = []
        for i, (c, n) in enumerate(zip(chunks, shape)):
            if isinstance(c, (tuple, list)):
                if sum(c) != n:
                    raise ValueError(f"normalize_chunks: chunks {tuple(c)} on axis {i} do not add up to its length {n}")
                out.append(tuple(int(v) for v in c))
            elif c is None or c == -1 or (isinstance(c, (int, np.integer)) and c >= n):
                out.append((n,) if n else (0,))
            elif c == "auto":
                out.append(None)
                auto_axes.append(i)
            else:
                c = int(c)
                if c <= 0:
                    raise ValueError(f"normalize_chunks: chunk length {c} on axis {i}; use a positive length or -1")
                out.append((c,) * (n // c) + ((n % c,) if n % c else ()))
        if auto_axes:
            dtype = _core._storable_dtype(dtype if dtype is not None else np.float64)
            fixed = int(np.prod([max(o) for o in out if o is not None] or [1]))
            lengths = _auto_lengths(
                [shape[i] for i in auto_axes],
                max(1, (limit or self.get_auto_chunk_size()) // (dtype.itemsize * max(fixed, 1))),
                [previous_chunks[i] if previous_chunks is not None else None for i in auto_axes],
            )
            for i, c in zip(auto_axes, lengths):
                n = shape[i]
                out[i] = (c,) * (n // c) + ((n % c,) if n % c else ()) if n else (0,)
        return tuple(out)

    def from_array(self, data, chunks, **kwargs):
        """A spillway array over ``data``: in-memory NumPy data is wrapped; xarray's lazy
        backend arrays are read block by block when computed."""
        if isinstance(chunks, tuple) and any(c == "auto" for c in chunks) and any(s == 0 for s in data.shape):
            chunks = tuple(int(s) for s in data.shape)
        native = _native_zarr(data, chunks)
        if native is not None:
            return native
        return _core.from_array(data, chunks=chunks)

    def rechunk(self, data, chunks, **kwargs):
        """``data`` in new chunks."""
        return data.rechunk(chunks)

    def compute(self, *data, **kwargs):
        """Computes every array in one pass; NumPy arrays out."""
        from .array import compute

        out = compute(*data, **kwargs)
        return out if isinstance(out, tuple) else (out,)

    def persist(self, *data, **kwargs):
        """Computes and keeps the arrays in memory."""
        return tuple(d.persist() if isinstance(d, _core.Array) else d for d in data)

    @property
    def array_api(self):
        """The array API namespace: :mod:`spillway.array_api`."""
        from . import array_api

        return array_api

    def reduction(self, arr, func, combine_func=None, aggregate_func=None, axis=None, dtype=None, keepdims=False):
        """``func`` on each block, ``aggregate_func`` over the per-block results, as
        ``dask.array.reduction``."""
        from .array import reduction

        return reduction(arr, func, aggregate_func or combine_func, axis=axis, keepdims=keepdims,
                         dtype=dtype, combine=combine_func)

    def scan(self, func, binop, ident, arr, axis=None, dtype=None, **kwargs):
        """A cumulative scan along ``axis`` (xarray's ``ffill``/``bfill``): ``func`` on
        each block, then each block combined with the last values of the blocks before
        it, which are computed first (one small value per block)."""
        axis = 0 if axis is None else int(axis) % arr.ndim
        from .array import map_blocks

        partial = map_blocks(func, arr, dtype=dtype or arr.dtype)
        starts = np.cumsum((0,) + arr.chunks[axis])
        if len(arr.chunks[axis]) == 1:
            return partial
        # the last slice of every block but the final one: small, computed now
        ends = [int(s) - 1 for s in starts[1:-1]]
        index = [slice(None)] * arr.ndim
        index[axis] = ends
        lasts = np.asarray(partial[tuple(index)].compute())
        carry = []
        acc = None
        for k in range(len(ends)):
            sl = [slice(None)] * arr.ndim
            sl[axis] = slice(k, k + 1)
            last = lasts[tuple(sl)]
            acc = last if acc is None else binop(acc, last)
            carry.append(acc)

        def combine(block, block_id=None):
            k = block_id[axis]
            if k == 0:
                return block
            return binop(carry[k - 1], block)

        return map_blocks(combine, partial, dtype=partial.dtype)

    def apply_gufunc(self, func, signature, *args, axes=None, keepdims=False, output_dtypes=None,
                     vectorize=None, **kwargs):
        """``func`` with a gufunc signature over spillway arrays (see
        :func:`spillway.array.apply_gufunc`)."""
        from .array import apply_gufunc

        return apply_gufunc(func, signature, *args, axes=axes, keepdims=keepdims,
                            output_dtypes=output_dtypes, vectorize=vectorize, **kwargs)

    def map_blocks(self, func, *args, dtype=None, chunks=None, drop_axis=None, new_axis=None, **kwargs):
        """``func`` on every block, as ``dask.array.map_blocks``."""
        if drop_axis not in (None, [], ()) or new_axis not in (None, [], ()):
            raise NotImplementedError("map_blocks: drop_axis/new_axis are not supported by spillway; give chunks= for the output instead")
        from .array import map_blocks

        return map_blocks(func, *args, dtype=dtype, chunks=chunks, **kwargs)

    def blockwise(self, func, out_ind, *args, adjust_chunks=None, new_axes=None, align_arrays=True, **kwargs):
        """``dask.array.blockwise`` for inputs indexed like the output."""
        if adjust_chunks or new_axes:
            raise NotImplementedError("blockwise: adjust_chunks/new_axes are not supported by spillway")
        from .array import blockwise

        return blockwise(func, out_ind, *args, **kwargs)

    def unify_chunks(self, *args, **kwargs):
        """Rechunks arrays indexed alike (``x, "ij", y, "ij"``) to common chunks."""
        arrays = list(args[0::2])
        inds = list(args[1::2])
        chunks_by_dim = {}
        for a, ind in zip(arrays, inds):
            if isinstance(a, _core.Array) and ind is not None:
                for d, c in zip(ind, a.chunks):
                    chunks_by_dim.setdefault(d, c)
        out = []
        for a, ind in zip(arrays, inds):
            if isinstance(a, _core.Array) and ind is not None:
                target = tuple(chunks_by_dim[d] for d in ind)
                if a.chunks != target:
                    a = a.rechunk(target)
            out.append(a)
        return chunks_by_dim, out

    def store(self, sources, targets, **kwargs):
        """Writes each array into its target (anything sliced like a NumPy array, such as
        a zarr array), block by block: no more than one block of each is in memory."""
        if isinstance(sources, _core.Array):
            sources, targets = [sources], [targets]
        if kwargs.get("compute") is False:
            raise NotImplementedError("store: compute=False is not supported by spillway; store with compute=True")
        regions = kwargs.get("regions")
        for k, (src, dst) in enumerate(zip(sources, targets)):
            offset = None
            if regions is not None:
                offset = regions[k] if isinstance(regions, (list, tuple)) and not isinstance(regions[0], slice) else regions
            _store_blocks(src, dst, offset)
        return None

    def get_auto_chunk_size(self) -> int:
        """spillway's automatic block size in bytes (128 MiB)."""
        return 128 * 2**20


def _store_blocks(src, dst, offset):
    """Writes ``src``'s blocks into ``dst`` from the tasks that compute them, in one pass
    (no block is computed twice, and only the blocks being written are in memory)."""
    from .array import map_blocks

    base = [0] * src.ndim
    if offset is not None:
        base = [0 if s.start is None else int(s.start) for s in offset]

    def write(block, block_info=None):
        loc = block_info[0]["array-location"]
        dst[tuple(slice(a + b, z + b) for (a, z), b in zip(loc, base))] = block
        return np.ones((1,) * block.ndim, dtype=bool)

    done = map_blocks(write, src, dtype=bool, chunks=tuple((1,) * n for n in src.numblocks))
    done.compute()
