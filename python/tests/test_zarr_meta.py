"""Dimension names and attributes between spillway and zarr-python (both directions), arrays
inside groups opened by path, a group's arrays listed, and bad names refused."""

import numpy as np
import pytest

import spillway.array as da
from spillway.array.zarr_io import list_arrays, open_zarr_metadata

zarr = pytest.importorskip("zarr")


def test_spillway_writes_what_zarr_python_reads(client, tmp_path):
    path = tmp_path / "t2m.zarr"
    values = np.arange(24, dtype=np.float32).reshape(4, 3, 2)
    attrs = {"units": "K", "scale": np.float64(0.5), "levels": np.array([1, 2]), "nested": {"a": None}}
    da.from_array(values, chunks=2).to_zarr(path, dimension_names=["time", "lat", None], attributes=attrs)

    z = zarr.open_array(str(path), mode="r")
    assert z.metadata.dimension_names == ("time", "lat", None)
    got = dict(z.attrs)
    assert got["units"] == "K" and got["scale"] == 0.5 and got["levels"] == [1, 2]
    assert got["nested"] == {"a": None}
    np.testing.assert_array_equal(z[:], values)

    info = open_zarr_metadata(path)
    assert info.dimension_names == ("time", "lat", None)
    assert info.attrs == {"units": "K", "scale": 0.5, "levels": [1, 2], "nested": {"a": None}}
    assert (info.shape, info.chunks, info.dtype, info.zarr_format) == ((4, 3, 2), (2, 2, 2), np.float32, 3)


def test_the_module_function_writes_names_too(client, tmp_path):
    path = tmp_path / "g.zarr"
    zarr.open_group(str(path), mode="w")
    da.to_zarr(da.arange(10, chunks=4), path, component="x", dimension_names=("n",), attributes={"k": 1})
    z = zarr.open_group(str(path), mode="r")["x"]
    assert z.metadata.dimension_names == ("n",)
    assert z.attrs["k"] == 1
    np.testing.assert_array_equal(z[:], np.arange(10))


def test_zarr_python_writes_what_spillway_reads(client, tmp_path):
    root = zarr.open_group(str(tmp_path / "ds.zarr"), mode="w", attributes={"title": "synthetic"})
    t2m = root.create_array(
        "t2m", shape=(10, 4, 6), chunks=(5, 4, 3), dtype="float32", dimension_names=("time", "lat", "lon")
    )
    t2m[:] = np.arange(240, dtype=np.float32).reshape(10, 4, 6)
    t2m.attrs.update({"units": "K", "valid_range": [0, 400]})
    time = root.create_array("time", shape=(10,), chunks=(10,), dtype="int64", dimension_names=("time",))
    time[:] = np.arange(10)
    sub = root.create_group("sub")
    inner = sub.create_array("inner", shape=(3,), chunks=(2,), dtype="uint8")
    inner[:] = [1, 2, 3]

    listed = list_arrays(tmp_path / "ds.zarr")
    assert [a.name for a in listed] == ["t2m", "time"]
    a = listed[0]
    assert a.shape == (10, 4, 6) and a.chunks == (5, 4, 3) and a.dtype == np.float32
    assert a.dimension_names == ("time", "lat", "lon")
    assert a.attrs == {"units": "K", "valid_range": [0, 400]}
    assert listed[1].dtype == np.int64 and listed[1].dimension_names == ("time",)
    assert [a.name for a in list_arrays(tmp_path / "ds.zarr", component="sub")] == ["inner"]

    # arrays inside groups, by path or by component, with the stored values
    x = da.from_zarr(listed[0].path)
    assert float(x.sum().compute()) == float(np.arange(240).sum())
    inner_back = da.from_zarr(tmp_path / "ds.zarr" / "sub" / "inner")
    np.testing.assert_array_equal(inner_back.compute(), [1, 2, 3])
    assert inner_back.dtype == np.uint8
    np.testing.assert_array_equal(da.from_zarr(tmp_path / "ds.zarr", component="sub/inner").compute(), [1, 2, 3])
    assert open_zarr_metadata(tmp_path / "ds.zarr", component="t2m").dimension_names == ("time", "lat", "lon")


def test_a_zarr_python_array_without_names_reads_none(client, tmp_path):
    z = zarr.create_array(str(tmp_path / "plain.zarr"), shape=(4,), chunks=(2,), dtype="float64")
    z[:] = 1.0
    info = open_zarr_metadata(tmp_path / "plain.zarr")
    assert info.dimension_names is None and info.attrs == {}


def test_bad_names_and_attributes_are_refused_before_writing(client, tmp_path):
    x = da.zeros((4, 3), chunks=2)
    with pytest.raises(ValueError, match="3 dimension names .* 2 dimensions"):
        x.to_zarr(tmp_path / "a.zarr", dimension_names=["a", "b", "c"])
    assert not (tmp_path / "a.zarr").exists()
    with pytest.raises(TypeError, match="not the string"):
        x.to_zarr(tmp_path / "a.zarr", dimension_names="ab")
    with pytest.raises(TypeError, match="must be a str"):
        x.to_zarr(tmp_path / "a.zarr", dimension_names=["a", 1])
    with pytest.raises(TypeError, match="not JSON"):
        x.to_zarr(tmp_path / "a.zarr", attributes={"when": object()})
    with pytest.raises(ValueError):
        x.to_zarr(tmp_path / "a.zarr", attributes={"bad": float("nan")})
    with pytest.raises(ValueError, match="spillway"):
        x.to_zarr(tmp_path / "a.zarr", attributes={"spillway": 1})
    assert not (tmp_path / "a.zarr").exists()


def test_malformed_metadata_on_disk_is_a_value_error(client, tmp_path):
    import json

    path = tmp_path / "m.zarr"
    da.zeros((4,), chunks=2).to_zarr(path)
    meta = json.loads((path / "zarr.json").read_text())
    meta["dimension_names"] = ["a", 7]
    (path / "zarr.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="dimension_names"):
        open_zarr_metadata(path)
    with pytest.raises(ValueError, match="dimension_names"):
        da.from_zarr(path)
    with pytest.raises(OSError, match="not a zarr group"):
        list_arrays(path)
    with pytest.raises(FileNotFoundError):
        list_arrays(tmp_path / "none.zarr")


def test_xarray_opens_a_group_spillway_wrote_with_its_dimensions(client, tmp_path):
    xr = pytest.importorskip("xarray")
    root = tmp_path / "ds.zarr"
    zarr.open_group(str(root), mode="w")
    t2m = np.arange(1, 1 + 5 * 4 * 3, dtype=np.float32).reshape(5, 4, 3)
    da.from_array(t2m, chunks=(2, 4, 3)).to_zarr(
        root / "t2m", dimension_names=["time", "lat", "lon"], attributes={"units": "K"}
    )
    da.arange(5, chunks=5).to_zarr(root / "time", dimension_names=["time"])
    ds = xr.open_zarr(str(root), consolidated=False)
    assert ds["t2m"].dims == ("time", "lat", "lon")
    assert ds["t2m"].attrs["units"] == "K"
    np.testing.assert_array_equal(ds["t2m"].values, t2m)
    np.testing.assert_array_equal(ds["time"].values, np.arange(5))


@pytest.mark.parametrize("dtype", ["int8", "int16", "uint16"])
def test_narrow_integers_cross_between_spillway_and_zarr_python(client, tmp_path, dtype):
    info = np.iinfo(dtype)
    values = np.linspace(info.min, info.max, 35).astype(dtype).reshape(5, 7)
    mine = tmp_path / "mine.zarr"
    da.from_array(values, chunks=(2, 3)).to_zarr(mine)
    z = zarr.open_array(str(mine), mode="r")
    assert z.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(z[:], values)

    theirs = zarr.create_array(str(tmp_path / "theirs.zarr"), shape=(5, 7), chunks=(3, 4), dtype=dtype)
    theirs[:] = values
    back = da.from_zarr(str(tmp_path / "theirs.zarr"))
    assert back.dtype == np.dtype(dtype) and back.chunks == ((3, 2), (4, 3))
    np.testing.assert_array_equal(back.compute(), values)
    # sums widen to 64 bits, as NumPy's do
    assert back.sum().compute() == values.sum() and back.sum().dtype == values.sum().dtype
