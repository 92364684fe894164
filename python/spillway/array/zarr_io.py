"""``from_zarr`` and ``to_zarr``: zarr v3 stores (zarr v2 read), the dtype read from the
store's metadata; the metadata xarray and zarr-python keep beside the values
(dimension names and attributes) written by ``to_zarr`` and read by
``open_zarr_metadata``; a group's arrays listed by ``list_arrays``."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Optional

import numpy as np

from .._native import native
from .core import Array, _wrap, asarray

__all__ = ["from_zarr", "to_zarr", "open_zarr_metadata", "list_arrays", "ZarrArrayInfo"]


def _join(url, component):
    path = os.fspath(url)
    if component:
        path = os.path.join(path, component)
    return path


def from_zarr(url, component=None, **kwargs) -> Array:
    """Opens the zarr array at ``url`` in the dtype it was stored with, as
    ``da.from_zarr``. ``url`` may be a path inside a group (``root.zarr/group/array``), or
    give the group as ``url`` and the array's path in it as ``component``.

    The array's dimension names and attributes are read with
    ``open_zarr_metadata(url, component)``.

    Raises
    ------
    FileNotFoundError
        When there is no store at ``url``.
    """
    return _wrap(native.from_zarr(_join(url, component)))


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(
        f"attribute value {value!r} of type {type(value).__name__} is not JSON; "
        "zarr attributes hold JSON values (str, int, float, bool, None, lists and dicts of them)"
    )


def _attributes_json(attributes) -> Optional[str]:
    if attributes is None:
        return None
    if not isinstance(attributes, dict):
        raise TypeError(f"attributes must be a dict, got {type(attributes).__name__}")
    return json.dumps(attributes, default=_json_default, allow_nan=False)


def _dimension_names(names):
    if names is None:
        return None
    if isinstance(names, str):
        raise TypeError(
            f"dimension_names must be a sequence of names, one per axis, not the string {names!r}"
        )
    names = list(names)
    for name in names:
        if name is not None and not isinstance(name, str):
            raise TypeError(
                f"dimension_names holds {name!r}; each name must be a str, or None for an unnamed axis"
            )
    return names


def _to_zarr(native_array, path, overwrite, resume, dimension_names, attributes):
    native_array.to_zarr(
        path,
        overwrite,
        resume,
        _dimension_names(dimension_names),
        _attributes_json(attributes),
    )


def to_zarr(
    arr,
    url,
    component=None,
    overwrite=False,
    resume=False,
    compute=True,
    dimension_names=None,
    attributes=None,
    **kwargs,
):
    """Writes ``arr`` to a zarr v3 store at ``url``, as ``da.to_zarr``.

    ``dimension_names`` (one per axis, ``None`` for an unnamed axis) are written as zarr
    v3's ``dimension_names``, which xarray reads as the variable's dimensions;
    ``attributes`` (a dict of JSON values; NumPy scalars and arrays are converted) as the
    array's attributes (zarr-python's ``.attrs``). A count of names other than
    ``arr.ndim`` raises ``ValueError`` before anything is written.
    """
    _to_zarr(asarray(arr)._a, _join(url, component), overwrite, resume, dimension_names, attributes)


@dataclasses.dataclass(frozen=True)
class ZarrArrayInfo:
    """One zarr array's metadata, read without opening its chunks.

    Attributes
    ----------
    name : str
        The array's name (its directory's name, inside the group for ``list_arrays``).
    path : str
        The array's path; ``from_zarr(info.path)`` opens it.
    shape : tuple of int
    chunks : tuple of int or None
        The chunk shape (the inner chunks of a sharded array); ``None`` for a chunk grid
        that is not regular.
    shards : tuple of int or None
        The shard shape of a sharded array.
    dtype : numpy.dtype or str
        The stored data type (the store's text when NumPy does not know it).
    dimension_names : tuple or None
        One per axis (``None`` for an unnamed axis): zarr v3's ``dimension_names``, or
        xarray's ``_ARRAY_DIMENSIONS`` attribute of a zarr v2 array.
    attrs : dict
        The user attributes (without spillway's own completion record).
    zarr_format : int
        3 or 2.
    """

    name: str
    path: str
    shape: tuple
    chunks: Optional[tuple]
    shards: Optional[tuple]
    dtype: object
    dimension_names: Optional[tuple]
    attrs: dict
    zarr_format: int


def _info(d) -> ZarrArrayInfo:
    try:
        dtype = np.dtype(d["data_type"])
    except (TypeError, ValueError):
        dtype = d["data_type"]
    tup = lambda v: None if v is None else tuple(v)  # noqa: E731
    return ZarrArrayInfo(
        name=d["name"],
        path=d["path"],
        shape=tuple(d["shape"]),
        chunks=tup(d["chunks"]),
        shards=tup(d["shards"]),
        dtype=dtype,
        dimension_names=tup(d["dimension_names"]),
        attrs=d["attributes"],
        zarr_format=d["zarr_format"],
    )


def open_zarr_metadata(url, component=None) -> ZarrArrayInfo:
    """The metadata of the zarr array at ``url`` (``component``: its path inside the
    group at ``url``): shape, chunks, dtype, dimension names and attributes, read without
    opening its chunks.

    Raises
    ------
    FileNotFoundError
        When there is no store at ``url``.
    OSError
        When ``url`` is a group or not zarr.
    ValueError
        When its dimension names or attributes are malformed.

    Examples
    --------
    >>> import tempfile, os, spillway.array as da
    >>> path = os.path.join(tempfile.mkdtemp(), "t.zarr")
    >>> da.zeros((4, 3), chunks=2).to_zarr(path, dimension_names=["time", "lat"], attributes={"units": "K"})
    >>> info = da.zarr_io.open_zarr_metadata(path)
    >>> info.dimension_names, info.attrs
    (('time', 'lat'), {'units': 'K'})
    """
    return _info(json.loads(native.zarr_array_info(_join(url, component))))


def list_arrays(url, component=None) -> list:
    """The arrays directly inside the zarr group at ``url`` (``component``: a sub-group's
    path in it), sorted by name, as ``ZarrArrayInfo``. Sub-groups and directories that are
    not zarr are left out; list a sub-group by its path.

    Raises
    ------
    FileNotFoundError
        When there is no store at ``url``.
    OSError
        When ``url`` is an array, not a group.
    """
    return [_info(d) for d in json.loads(native.zarr_list_group(_join(url, component)))]
