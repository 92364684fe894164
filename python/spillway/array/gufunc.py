"""``apply_gufunc``: a NumPy generalized ufunc over spillway arrays, as
``dask.array.apply_gufunc``. Core dimensions (the last axes of each input) are gathered
into one chunk, loop dimensions broadcast and keep their chunks, and each task calls the
function on its aligned blocks."""

from __future__ import annotations

import re

import numpy as np

from .blockwise import map_blocks
from .core import Array, asarray
from .routines import broadcast_to, concatenate

__all__ = ["apply_gufunc"]


def _parse_signature(signature: str):
    """A gufunc signature ``"(i),(i,j)->(j)"`` as lists of core dimension names per
    input and per output."""
    def groups(text):
        return [tuple(d for d in g.split(",") if d) for g in re.findall(r"\(([^)]*)\)", text)]

    text = signature.replace(" ", "")
    if "->" not in text:
        raise ValueError(f"apply_gufunc: signature {signature!r} has no '->'; write it as '(i)->()'")
    ins, outs = text.split("->")
    return groups(ins), groups(outs)



def apply_gufunc(func, signature, *args, axes=None, keepdims=False, output_dtypes=None,
                 vectorize=None, **kwargs):
    """``func`` with a gufunc signature over spillway arrays, as
    ``dask.array.apply_gufunc``: core dimensions are the last axes of each input
    and are gathered into one chunk (they must fit the memory budget); loop
    dimensions broadcast and keep their chunks. One output is supported.

    Examples
    --------
    >>> import numpy as np, spillway.array as da
    >>> x = da.from_array(np.arange(12.0).reshape(4, 3), chunks=(2, 3))
    >>> da.apply_gufunc(np.sum, "(i)->()", x, axis=-1).compute().tolist()
    [3.0, 12.0, 21.0, 30.0]
    """
    # Dask's options that mean nothing here: spillway always gathers core dimensions
    kwargs.pop("allow_rechunk", None)
    kwargs.pop("meta", None)
    if kwargs.pop("output_sizes", None):
        raise NotImplementedError("apply_gufunc: output_sizes (new output dimensions) is not supported by spillway")
    if axes is not None:
        raise NotImplementedError("apply_gufunc: axes= is not supported by spillway; move the core dimensions last (xarray's apply_ufunc does)")
    if keepdims:
        raise NotImplementedError("apply_gufunc: keepdims=True is not supported by spillway")
    ins, outs = _parse_signature(signature)
    if len(outs) != 1:
        raise NotImplementedError(
            f"apply_gufunc: signature {signature!r} has {len(outs)} outputs; spillway supports one "
            "(call apply_ufunc once per output)"
        )
    if len(ins) != len(args):
        raise ValueError(f"apply_gufunc: signature {signature!r} takes {len(ins)} inputs, got {len(args)}")
    if vectorize:
        func = np.vectorize(func, signature=signature)
    arrays = [asarray(a) if not isinstance(a, Array) else a for a in args]
    loop_shapes = [a.shape[: a.ndim - len(core)] for a, core in zip(arrays, ins)]
    loop = np.broadcast_shapes(*loop_shapes)
    sizes = {}
    for a, core in zip(arrays, ins):
        for d, n in zip(core, a.shape[a.ndim - len(core):]):
            if sizes.setdefault(d, n) != n:
                raise ValueError(f"apply_gufunc: core dimension {d!r} has lengths {sizes[d]} and {n}")
    # loop chunks: those of the first input that has the full loop shape
    ref = next((a for a, ls in zip(arrays, loop_shapes) if tuple(ls) == tuple(loop)), None)
    loop_chunks = tuple(ref.chunks[: len(loop)]) if ref is not None else tuple((n,) for n in loop)
    prepared = []
    for a, core in zip(arrays, ins):
        full = tuple(loop) + a.shape[a.ndim - len(core):]
        if a.shape != full:
            a = broadcast_to(a, full)
        target = loop_chunks + tuple((n,) for n in a.shape[len(loop):])
        if a.chunks != target:
            a = a.rechunk(target)
        prepared.append(a)
    out_core = outs[0]
    for d in out_core:
        if d not in sizes:
            raise NotImplementedError(
                f"apply_gufunc: output core dimension {d!r} is new; spillway needs output_sizes, which it does not support"
            )
    dtype = np.dtype(output_dtypes[0] if output_dtypes else prepared[0].dtype)
    out_core_shape = tuple(sizes[d] for d in out_core)
    n_core = [len(c) for c in ins]
    if len(prepared) == 1 and tuple(ins[0]) == tuple(out_core):
        out_chunks = [list(c) for c in loop_chunks] + [[n] for n in out_core_shape]
        return map_blocks(lambda b: func(b, **kwargs), prepared[0], dtype=dtype, chunks=out_chunks)
    return _gufunc_blocks(func, prepared, n_core, loop_chunks, out_core_shape, dtype, kwargs)


def _gufunc_blocks(func, arrays, n_core, loop_chunks, out_core_shape, dtype, kwargs):
    """``func`` over the aligned blocks of several arrays with the same loop shape and
    chunks: each input's core axes are flattened into one trailing axis and the inputs
    joined along it (one chunk), so one task sees every input's block; the output's
    core axes travel flattened the same way and are unflattened at the end."""
    loop_nd = len(loop_chunks)
    common = np.result_type(*[a.dtype for a in arrays])
    widths, flat = [], []
    for a, k in zip(arrays, n_core):
        core = a.shape[loop_nd:]
        width = int(np.prod(core)) if k else 1
        widths.append(width)
        f = a.reshape(a.shape[:loop_nd] + (width,))
        flat.append(f.astype(common) if f.dtype != common else f)
    joined = concatenate(flat, axis=loop_nd) if len(flat) > 1 else flat[0]
    joined = joined.rechunk(tuple(loop_chunks) + ((sum(widths),),))
    cores = [a.shape[loop_nd:] for a in arrays]
    cuts = np.cumsum([0] + widths)
    out_width = int(np.prod(out_core_shape)) if out_core_shape else 1

    def call(block):
        lead = block.shape[:loop_nd]
        parts = [block[..., cuts[i]:cuts[i + 1]].reshape(lead + tuple(cores[i])).astype(arrays[i].dtype, copy=False)
                 for i in range(len(arrays))]
        out = np.asarray(func(*parts, **kwargs), dtype=dtype)
        return np.ascontiguousarray(out).reshape(lead + (out_width,))

    out_chunks = [list(c) for c in loop_chunks] + [[out_width]]
    out = map_blocks(call, joined, dtype=dtype, chunks=out_chunks)
    return out.reshape(out.shape[:loop_nd] + tuple(out_core_shape))
