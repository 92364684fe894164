"""The standard's dtypes, type promotion and data-type functions (``result_type``,
``can_cast``, ``finfo``, ``iinfo``, ``isdtype``).

spillway's engine holds every dtype of the standard: ``bool``, ``int8``, ``int16``,
``int32``, ``int64``, ``uint8``, ``uint16``, ``uint32``, ``uint64``, ``float32``,
``float64``, ``complex64`` and ``complex128``.
"""

from __future__ import annotations

import numpy as np

from .._native import _SUPPORTED as _SPILLWAY_DTYPES

bool = np.dtype(np.bool_)  # noqa: A001  (the standard's name)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
uint16 = np.dtype(np.uint16)
uint32 = np.dtype(np.uint32)
uint64 = np.dtype(np.uint64)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
complex64 = np.dtype(np.complex64)
complex128 = np.dtype(np.complex128)

ALL = (bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64, complex64, complex128)
SUPPORTED = tuple(d for d in ALL if d.name in _SPILLWAY_DTYPES)

_KINDS = {
    "bool": lambda d: d == bool,
    "signed integer": lambda d: d.kind == "i",
    "unsigned integer": lambda d: d.kind == "u",
    "integral": lambda d: d.kind in "iu",
    "real floating": lambda d: d.kind == "f",
    "complex floating": lambda d: d.kind == "c",
    "numeric": lambda d: d.kind in "iufc",
}


def real_only(name, *args, instead=""):
    """A ``TypeError`` when an argument of ``name`` (an array or a Python scalar) is
    complex: the standard defines ``name`` for real-valued dtypes only, as complex
    numbers have no order (or no floor, sign bit, ...). ``instead`` says what to do."""
    for a in args:
        d = _dtype_of(a)
        if (d is not None and d.kind == "c") or isinstance(a, (complex, np.complexfloating)):
            got = d.name if d is not None else type(a).__name__
            raise TypeError(
                f"{name}: the array API standard defines {name} for real-valued dtypes only; got {got}. "
                + (instead or "Apply it to xp.real(x), xp.imag(x) or xp.abs(x) instead")
            )


def real_dtype(dtype) -> np.dtype:
    """The real dtype of a complex dtype's parts (``float32`` for ``complex64``); real
    dtypes are their own."""
    d = np.dtype(dtype)
    return {"complex64": float32, "complex128": float64}.get(d.name, d)


def check(dtype, what="this operation") -> np.dtype:
    """``dtype`` as a NumPy dtype, or a ``TypeError`` when spillway cannot hold it."""
    d = np.dtype(dtype)
    if d not in SUPPORTED:
        names = ", ".join(x.name for x in SUPPORTED)
        raise TypeError(
            f"{what}: dtype {d.name} is not supported by spillway (it holds {names}); "
            "cast to one of those first"
        )
    return d


def isdtype(dtype, kind) -> "builtins.bool":  # noqa: F821
    """Whether ``dtype`` is of ``kind``: a dtype, a kind name (``"integral"``,
    ``"real floating"``, ...) or a tuple of them.

    Examples
    --------
    >>> import spillway.array_api as xp
    >>> xp.isdtype(xp.int32, "integral"), xp.isdtype(xp.float32, ("bool", "signed integer"))
    (True, False)
    """
    d = np.dtype(dtype)
    if isinstance(kind, tuple):
        return any(isdtype(d, k) for k in kind)
    if isinstance(kind, str):
        if kind not in _KINDS:
            raise ValueError(f"isdtype: unknown kind {kind!r}; use one of {sorted(_KINDS)}")
        return _KINDS[kind](d)
    return d == np.dtype(kind)


def _dtype_of(x):
    return x if isinstance(x, np.dtype) else np.dtype(x.dtype) if hasattr(x, "dtype") else None


def result_type(*arrays_and_dtypes):
    """The dtype of an operation on these arrays, dtypes and Python scalars, by the
    standard's promotion table (Python scalars are weak; kinds the standard leaves
    undefined, such as integer with float, promote as NumPy does).

    Examples
    --------
    >>> import spillway.array_api as xp
    >>> xp.result_type(xp.int32, xp.int64), xp.result_type(xp.float32, 1.0)
    (dtype('int64'), dtype('float32'))
    >>> xp.result_type(xp.float64, xp.complex64), xp.result_type(xp.float32, 1j)
    (dtype('complex128'), dtype('complex64'))
    """
    dtypes = [_dtype_of(a) for a in arrays_and_dtypes if _dtype_of(a) is not None]
    scalars = [a for a in arrays_and_dtypes if _dtype_of(a) is None]
    if not dtypes:
        if not scalars:
            raise ValueError("result_type: give at least one array or dtype")
        raise ValueError("result_type: at least one argument must be an array or a dtype, not only Python scalars")
    # mixed kinds (int with float, bool with numbers) are left undefined by the standard;
    # spillway follows NumPy there, so the result is what NumPy users expect
    return np.result_type(*dtypes, *scalars)


def can_cast(from_, to, /) -> "builtins.bool":  # noqa: F821
    """Whether ``from_`` (an array or dtype) casts to ``to`` by the promotion rules.

    Examples
    --------
    >>> import spillway.array_api as xp
    >>> xp.can_cast(xp.int32, xp.int64), xp.can_cast(xp.float64, xp.float32)
    (True, False)
    >>> xp.can_cast(xp.float32, xp.complex64), xp.can_cast(xp.complex64, xp.float32)
    (True, False)
    """
    f, t = _dtype_of(from_), np.dtype(to)
    if f == bool:
        return t == bool
    if f.kind in "iu" and t.kind not in "iu":
        return False
    if f.kind == "f" and t.kind in "iub":
        return False
    if f.kind == "c" and t.kind != "c":
        # a complex value has no real dtype that holds it
        return False
    return np.can_cast(f, t, casting="safe")


def finfo(type, /):  # noqa: A002
    """Machine limits of a floating dtype (NumPy's ``finfo``); of a complex dtype, those
    of its parts' real dtype, as the standard says.

    Examples
    --------
    >>> import spillway.array_api as xp
    >>> xp.finfo(xp.complex64).dtype, float(xp.finfo(xp.complex64).eps) == float(xp.finfo(xp.float32).eps)
    (dtype('float32'), True)
    """
    return np.finfo(real_dtype(_dtype_of(type) or type))


def iinfo(type, /):  # noqa: A002
    """Machine limits of an integer dtype (NumPy's ``iinfo``)."""
    return np.iinfo(_dtype_of(type) or type)


class _Info:
    """What ``__array_namespace_info__()`` reports: one device, the default dtypes and
    the dtypes spillway holds."""

    def capabilities(self):
        return {"boolean indexing": True, "data-dependent shapes": True, "max dimensions": 64}

    def default_device(self):
        return "cpu"

    def devices(self):
        return ["cpu"]

    def default_dtypes(self, *, device=None):
        return {"real floating": float64, "complex floating": complex128, "integral": int64, "indexing": int64}

    def dtypes(self, *, device=None, kind=None):
        out = {d.name: d for d in SUPPORTED}
        if kind is None:
            return out
        return {n: d for n, d in out.items() if isdtype(d, kind)}


def __array_namespace_info__():
    """The namespace's inspection object (devices, default dtypes, supported dtypes).

    Examples
    --------
    >>> import spillway.array_api as xp
    >>> xp.__array_namespace_info__().default_dtypes()["integral"]
    dtype('int64')
    """
    return _Info()
