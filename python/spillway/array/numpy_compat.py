"""NumPy's protocols: ``__array_ufunc__`` and ``__array_function__`` keep ``np.sin(x)``,
``np.sum(x, axis=0)`` and ``np.concatenate([x, y])`` lazy on spillway arrays, as Dask
does; functions spillway does not implement compute their inputs and call NumPy."""

from __future__ import annotations

import numpy as np

from . import routines
from .core import _BINARY_UFUNCS, _UNARY_UFUNCS, Array

_UFUNC_ALIASES = {"divide": "true_divide", "abs": "absolute"}


def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """``Array.__array_ufunc__``: a lazy result for the ufuncs spillway computes."""
    if kwargs.get("out") is not None:
        return NotImplemented
    name = _UFUNC_ALIASES.get(ufunc.__name__, ufunc.__name__)
    if method == "__call__" and name == "conjugate" and len(inputs) == 1:
        return routines.conj(inputs[0])
    if method == "__call__":
        if name in _UNARY_UFUNCS and len(inputs) == 1:
            return getattr(routines, name)(inputs[0])
        if name in _BINARY_UFUNCS and len(inputs) == 2:
            return getattr(routines, name)(inputs[0], inputs[1])
    if method == "reduce" and name in ("add", "multiply", "maximum", "minimum", "logical_and", "logical_or"):
        reducer = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min",
                   "logical_and": "all", "logical_or": "any"}[name]
        return getattr(routines, reducer)(inputs[0], axis=kwargs.get("axis", 0), keepdims=kwargs.get("keepdims", False))
    # anything else: compute and let NumPy do it
    values = [np.asarray(i) if isinstance(i, Array) else i for i in inputs]
    return getattr(ufunc, method)(*values, **kwargs)


_FUNCTIONS = {
    np.sum: routines.sum, np.prod: routines.prod, np.mean: routines.mean, np.var: routines.var,
    np.std: routines.std, np.min: routines.min, np.max: routines.max, np.amin: routines.min,
    np.amax: routines.max, np.any: routines.any, np.all: routines.all, np.argmin: routines.argmin,
    np.argmax: routines.argmax, np.cumsum: routines.cumsum, np.cumprod: routines.cumprod,
    np.nansum: routines.nansum, np.nanmean: routines.nanmean, np.nanmin: routines.nanmin,
    np.nanmax: routines.nanmax, np.nanvar: routines.nanvar, np.nanstd: routines.nanstd,
    np.ptp: routines.ptp, np.count_nonzero: routines.count_nonzero,
    np.concatenate: routines.concatenate, np.stack: routines.stack, np.vstack: routines.vstack,
    np.hstack: routines.hstack, np.where: routines.where, np.transpose: routines.transpose,
    np.reshape: routines.reshape, np.ravel: routines.ravel, np.squeeze: routines.squeeze,
    np.expand_dims: routines.expand_dims, np.swapaxes: routines.swapaxes,
    np.moveaxis: routines.moveaxis, np.broadcast_to: routines.broadcast_to, np.flip: routines.flip,
    np.dot: routines.dot, np.matmul: routines.matmul, np.tensordot: routines.tensordot,
    np.einsum: routines.einsum, np.isclose: routines.isclose, np.round: routines.round,
    np.clip: routines.clip, np.percentile: routines.percentile, np.median: routines.median,
    np.histogram: routines.histogram, np.real: routines.real, np.imag: routines.imag,
    np.angle: routines.angle, np.iscomplexobj: routines.iscomplexobj,
}


def array_function(self, func, types, args, kwargs):
    """``Array.__array_function__``: spillway's twin of ``func`` when there is one;
    otherwise the inputs are computed and NumPy's ``func`` runs on them."""
    twin = _FUNCTIONS.get(func)
    if twin is not None:
        return twin(*args, **kwargs)

    def materialize(v):
        if isinstance(v, Array):
            return np.asarray(v)
        if isinstance(v, (list, tuple)):
            return type(v)(materialize(i) for i in v)
        return v

    return func(*materialize(args), **{k: materialize(v) for k, v in kwargs.items()})
