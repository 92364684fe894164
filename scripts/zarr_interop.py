#!/usr/bin/env python3
"""Zarr interoperability between zarr-python 3 (and dask) and spillway.

    zarr_interop.py write DIR   writes arrays with zarr-python into DIR/from_python
                                and their description into DIR/from_python/manifest.json
    zarr_interop.py read DIR    checks the arrays spillway wrote into DIR/from_spillway
                                (described by DIR/from_spillway/manifest.json)

Every array holds values given by one rule of its row-major flat index i, which the
Rust side (tests/zarr_interop.rs) computes too:
    floats: i * 0.25 - 1.0    integers: (i * 7) % 251    bool: i % 3 == 0
except chunks left unwritten on purpose (they read as the fill value) and the dask
array, which is described by its sum and first values.
"""

import json
import pathlib
import sys

import numpy as np
import zarr
from zarr.codecs import BloscCodec, BloscShuffle, ZstdCodec


def rule(shape, dtype):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        v = (i * 0.25 - 1.0).astype(dtype)
    elif dtype.kind == "b":
        v = i % 3 == 0
    else:
        v = ((i * 7) % 251).astype(dtype)
    return v.reshape(shape)


COMPRESSORS = {
    "none": None,
    "zstd": ZstdCodec(level=0),
    "blosc_lz4": BloscCodec(cname="lz4", clevel=5, shuffle=BloscShuffle.shuffle),
    "blosc_zstd": BloscCodec(cname="zstd", clevel=3, shuffle=BloscShuffle.bitshuffle),
}


def write(root: pathlib.Path):
    out = root / "from_python"
    out.mkdir(parents=True, exist_ok=True)
    manifest = []

    def add(name, path, arr, values="rule", **extra):
        manifest.append(
            {
                "name": name,
                "path": path,
                "dtype": str(arr.dtype),
                "shape": list(arr.shape),
                "chunks": list(arr.chunks),
                "values": values,
                **extra,
            }
        )

    for cname, comp in COMPRESSORS.items():
        for dtype in ["float64", "float32", "int64", "int32", "uint64", "uint32", "uint8", "bool"]:
            shape, chunks = (13, 7), (4, 3)
            path = f"{cname}_{dtype}.zarr"
            kwargs = {} if comp is None else {"compressors": comp}
            if comp is None:
                kwargs = {"compressors": None}
            a = zarr.create_array(out / path, shape=shape, chunks=chunks, dtype=dtype, zarr_format=3, **kwargs)
            a[...] = rule(shape, dtype)
            add(path, path, a)

    # default codec (zstd), 3-d, with a size-1 axis
    a = zarr.create_array(out / "default_3d.zarr", shape=(5, 1, 9), chunks=(2, 1, 4), dtype="float64")
    a[...] = rule((5, 1, 9), "float64")
    add("default_3d.zarr", "default_3d.zarr", a)

    # sharded
    a = zarr.create_array(out / "sharded.zarr", shape=(10, 10), chunks=(2, 3), shards=(4, 6), dtype="float64")
    a[...] = rule((10, 10), "float64")
    add("sharded.zarr", "sharded.zarr", a, shards=list(a.shards))

    # only the first chunk written: the rest reads the fill value
    a = zarr.create_array(out / "partial.zarr", shape=(6,), chunks=(4,), dtype="int32", fill_value=-1)
    a[0:4] = rule((6,), "int32")[0:4]
    add("partial.zarr", "partial.zarr", a, values="partial", fill_value=-1, written=4)

    # a group with an array inside
    g = zarr.open_group(out / "group.zarr", mode="w")
    x = g.create_array("x", shape=(6, 5), chunks=(4, 4), dtype="uint32")
    x[...] = rule((6, 5), "uint32")
    add("group.zarr/x", "group.zarr", x, group_member="x")

    # zarr v2
    for comp_name, comp in [("v2_default", "auto"), ("v2_none", None)]:
        kwargs = {} if comp == "auto" else {"compressors": None}
        a = zarr.create_array(out / f"{comp_name}.zarr", shape=(7, 3), chunks=(3, 2), dtype="int64", zarr_format=2, **kwargs)
        a[...] = rule((7, 3), "int64")
        add(f"{comp_name}.zarr", f"{comp_name}.zarr", a, zarr_format=2)

    # dask's to_zarr, when dask is installed
    try:
        import dask.array as da

        x = da.random.default_rng(42).random((300, 200), chunks=(128, 64))
        x.to_zarr(str(out / "dask.zarr"), overwrite=True)
        v = np.asarray(zarr.open_array(out / "dask.zarr", mode="r")[...])
        a = zarr.open_array(out / "dask.zarr", mode="r")
        add("dask.zarr", "dask.zarr", a, values="stats", sum=float(v.sum()), first=[float(t) for t in v.ravel()[:10]])
    except ImportError:
        print("dask is not installed: no dask.zarr array")

    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"wrote {len(manifest)} arrays with zarr {zarr.__version__} into {out}")


def read(root: pathlib.Path):
    src = root / "from_spillway"
    manifest = json.loads((src / "manifest.json").read_text())
    failures = 0
    for entry in manifest:
        path = src / entry["path"]
        if "group_member" in entry:
            a = zarr.open_group(path, mode="r")[entry["group_member"]]
        else:
            a = zarr.open_array(path, mode="r")
        want = rule(entry["shape"], entry["dtype"])
        problems = []
        if list(a.shape) != entry["shape"]:
            problems.append(f"shape {a.shape}")
        if str(a.dtype) != entry["dtype"]:
            problems.append(f"dtype {a.dtype}")
        if list(a.chunks) != entry["chunks"]:
            problems.append(f"chunks {a.chunks}")
        if entry.get("shards") and list(a.shards or []) != entry["shards"]:
            problems.append(f"shards {a.shards}")
        if a.attrs.get("spillway", {}).get("complete", True) is not True:
            problems.append("still marked incomplete")
        got = np.asarray(a[...])
        if not np.array_equal(got, want):
            problems.append("values differ")
        if problems:
            failures += 1
            print(f"FAIL {entry['name']}: {', '.join(problems)}")
        else:
            print(f"ok   {entry['name']}")
    print(f"{len(manifest) - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "read"):
        sys.exit(__doc__)
    root = pathlib.Path(sys.argv[2])
    write(root) if sys.argv[1] == "write" else read(root)
