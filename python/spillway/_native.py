"""The compiled core (``spillway._spillway``) and helpers shared by the Python modules."""

from __future__ import annotations

import numpy as np

from . import _spillway as native

__all__ = ["native", "dtype_name", "MemoryBudgetError"]

MemoryBudgetError = native.MemoryBudgetError


def dtype_name(dtype) -> str:
    """The NumPy name of ``dtype`` (anything ``np.dtype`` accepts).

    Parameters
    ----------
    dtype : dtype-like
        A NumPy dtype, a type such as ``float`` or a name such as ``"int32"``.

    Returns
    -------
    str
        The canonical name, e.g. ``"float64"``.

    Raises
    ------
    TypeError
        When spillway does not hold that dtype.
    """
    name = np.dtype(dtype).name
    if name not in _SUPPORTED:
        raise TypeError(
            f"dtype {name!r} is not supported by spillway; use one of {', '.join(sorted(_SUPPORTED))}"
        )
    return name


# the dtypes the compiled core holds: every real dtype of NumPy's but float16 and the
# long double, and complex64 and complex128
_SUPPORTED = frozenset(native.DTYPES)
