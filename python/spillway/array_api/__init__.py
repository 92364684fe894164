"""``spillway.array_api``: the Python array API standard (2025.12) over spillway arrays.

``x.__array_namespace__()`` returns this module, so code written against the standard
(array-api-compat, scikit-learn's and SciPy's array API paths, xarray) runs on spillway
arrays lazily and under the client's memory budget.

What differs from NumPy is what the standard says: ``sum`` of small integers
accumulates in 64 bits, ``mean`` takes floating arrays (complex included) and
``var``/``std`` real floating ones, ``sort`` and ``argsort`` are stable, functions
whose result shape depends on the data compute their input, and the functions defined
for real-valued dtypes only (ordering, ``max``/``min``, ``sort``, ``floor``, ``clip``,
...) refuse complex arrays with a ``TypeError`` saying what to use instead. spillway
holds every dtype of the standard: ``bool``, the signed and unsigned integers of 8 to 64
bits, ``float32``, ``float64``, ``complex64`` and ``complex128``.

Examples
--------
>>> import spillway.array_api as xp
>>> x = xp.arange(10, dtype=xp.float64)
>>> float(xp.sum(xp.sqrt(x) * 2).compute()) > 0
True
>>> x.__array_namespace__() is xp
True
>>> z = xp.asarray([3 + 4j, 1j])
>>> xp.abs(z).compute().tolist(), xp.conj(z).compute().tolist()
([5.0, 1.0], [(3-4j), -1j])
"""

from __future__ import annotations

from . import linalg
from ._dtypes import (
    __array_namespace_info__, bool, can_cast, complex64, complex128, finfo, float32, float64,
    iinfo, int8, int16, int32, int64, isdtype, result_type, uint8, uint16, uint32, uint64,
)
from ._elementwise import FUNCTIONS as _ELEMENTWISE
from ._extras import lib, pad, transpose  # xarray looks these up on the namespace
from ._functions import *  # noqa: F401,F403
from ._functions import (
    all, any, arange, argmax, argmin, argsort, asarray, astype, broadcast_arrays,
    broadcast_shapes, broadcast_to, concat, count_nonzero, cumulative_prod, cumulative_sum,
    diff, e, empty, empty_like, expand_dims, eye, flip, from_dlpack, full, full_like, inf, isin,
    linspace, matmul, matrix_transpose, max, mean, meshgrid, min, moveaxis, nan, newaxis,
    nonzero, ones, ones_like, permute_dims, pi, prod, repeat, reshape, roll, searchsorted, sort,
    squeeze, stack, std, sum, take, take_along_axis, tensordot, tile, tril, triu, unique_all,
    unique_counts, unique_inverse, unique_values, unstack, var, vecdot, where, zeros, zeros_like,
)

__array_api_version__ = "2025.12"

globals().update(_ELEMENTWISE)

__all__ = sorted(
    set(_ELEMENTWISE) | {
        "__array_api_version__", "__array_namespace_info__", "linalg", "bool", "int8", "int16",
        "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64",
        "complex64", "complex128", "can_cast", "finfo", "iinfo", "isdtype", "result_type",
        "all", "any", "arange", "argmax", "argmin", "argsort", "asarray", "astype",
        "broadcast_arrays", "broadcast_shapes", "broadcast_to", "concat", "count_nonzero",
        "cumulative_prod", "cumulative_sum", "diff", "e", "empty", "empty_like",
        "expand_dims", "eye", "flip", "from_dlpack", "full", "full_like", "inf", "isin",
        "linspace", "matmul", "matrix_transpose", "max", "mean", "meshgrid", "min",
        "moveaxis", "nan", "newaxis", "nonzero", "ones", "ones_like", "permute_dims", "pi",
        "prod", "repeat", "reshape", "roll", "searchsorted", "sort", "squeeze", "stack",
        "std", "sum", "take", "take_along_axis", "tensordot", "tile", "tril", "triu",
        "unique_all", "unique_counts", "unique_inverse", "unique_values", "unstack", "var",
        "vecdot", "where", "zeros", "zeros_like",
    }
)
