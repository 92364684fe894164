"""xarray on spillway: a synthetic climate dataset written by xarray through Dask, reopened
with ``chunked_array_type="spillway"``; means, a monthly climatology and anomalies, a
rolling mean and a round trip through ``to_zarr`` equal xarray's NumPy answers, and the
variables stay spillway arrays until computed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

xr = pytest.importorskip("xarray")

from spillway.array import Array  # noqa: E402
from spillway.xarray_chunkmanager import SpillwayChunkManager  # noqa: E402

NT, NY, NX = 365, 24, 48

# every test computes on a fresh client under a known budget (conftest's fixture)
pytestmark = pytest.mark.usefixtures("client")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Three float32 variables over (time, lat, lon), written to zarr by xarray + Dask."""
    rng = np.random.default_rng(0)
    time = pd.date_range("2001-01-01", periods=NT, freq="D")
    season = np.cos(2 * np.pi * np.arange(NT) / 365.0)[:, None, None]
    ds = xr.Dataset(
        {
            name: (("time", "lat", "lon"), (season * k + rng.standard_normal((NT, NY, NX))).astype("float32"))
            for k, name in enumerate(("t2m", "u10", "v10"), start=1)
        },
        coords={"time": time, "lat": np.linspace(-80, 80, NY), "lon": np.linspace(0, 352.5, NX)},
    )
    path = tmp_path_factory.mktemp("xr") / "in.zarr"
    ds.chunk({"time": 73, "lat": 12, "lon": 24}).to_zarr(path, mode="w", consolidated=False)
    return path


@pytest.fixture(scope="module")
def opened(store):
    return (xr.open_zarr(store, chunked_array_type="spillway", chunks={}, consolidated=False),
            xr.open_zarr(store, chunks=None, consolidated=False).load())


def _close(got, want):
    assert all(isinstance(v.data, np.ndarray) for v in got.data_vars.values())
    xr.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_variables_are_spillway_arrays_on_the_stored_chunks(opened):
    sw, _ = opened
    data = sw.t2m.data
    assert isinstance(data, Array)
    assert data.chunks == ((73,) * 5, (12, 12), (24, 24))


def test_stored_zarr_variables_are_read_natively_and_encoded_ones_through_xarray(tmp_path):
    # a plain float variable is read by spillway's own zarr reader (no Python per chunk);
    # a CF-encoded one (scale_factor, a fill value to mask) goes through xarray's decoding
    v = np.arange(40 * 6, dtype="float32").reshape(40, 6) / 8
    ds = xr.Dataset({"plain": (("t", "x"), v), "packed": (("t", "x"), v)})
    ds.packed.encoding.update(dtype="int16", scale_factor=0.125, _FillValue=-1)
    ds.packed[3, 2] = np.nan
    path = tmp_path / "enc.zarr"
    ds.chunk({"t": 8}).to_zarr(path, mode="w", consolidated=False)
    sw = xr.open_zarr(path, chunked_array_type="spillway", chunks={}, consolidated=False)
    ref = xr.open_zarr(path, chunks=None, consolidated=False).load()
    assert "from-zarr" in repr(sw.plain.data) and sw.plain.data.chunks[0] == (8,) * 5
    assert "from-zarr" not in repr(sw.packed.data)
    xr.testing.assert_identical(sw.load(), ref)
    assert np.isnan(ref.packed.values[3, 2])
    # other chunks than the store's: the native read, rechunked
    re = xr.open_zarr(path, chunked_array_type="spillway", chunks={"t": 12}, consolidated=False)
    assert re.plain.data.chunks[0] == (12, 12, 12, 4)
    np.testing.assert_array_equal(re.plain.values, v)


def test_complex_variables_are_read_natively_and_computed(tmp_path):
    v = (np.arange(40 * 6).reshape(40, 6) / 8 + 1j * np.arange(40 * 6)[::-1].reshape(40, 6) / 4).astype("complex64")
    ds = xr.Dataset({"z": (("t", "x"), v)})
    path = tmp_path / "complex.zarr"
    ds.chunk({"t": 8}).to_zarr(path, mode="w", consolidated=False)
    sw = xr.open_zarr(path, chunked_array_type="spillway", chunks={}, consolidated=False)
    assert "from-zarr" in repr(sw.z.data) and sw.z.dtype == np.complex64
    ref = xr.open_zarr(path, chunks=None, consolidated=False).load()
    xr.testing.assert_identical(sw.load(), ref)
    xr.testing.assert_allclose(abs(sw.z).mean("t").compute(), abs(ref.z).mean("t"), rtol=1e-6)
    xr.testing.assert_identical(sw.z.real.compute(), ref.z.real)


def test_mean_over_time(opened):
    sw, ref = opened
    lazy = sw.mean("time")
    assert isinstance(lazy.t2m.data, Array)
    _close(lazy.compute(), ref.mean("time"))


def test_monthly_climatology_and_anomalies(opened):
    sw, ref = opened
    clim = sw.groupby("time.month").mean()
    assert isinstance(clim.t2m.data, Array)
    _close(clim.compute(), ref.groupby("time.month").mean())
    anom = sw.groupby("time.month") - clim
    assert isinstance(anom.t2m.data, Array)
    _close(anom.compute(), ref.groupby("time.month") - ref.groupby("time.month").mean())


def test_rolling_mean(opened):
    sw, ref = opened
    rolled = sw.isel(lat=slice(0, 6)).rolling(time=5).mean()
    assert isinstance(rolled.t2m.data, Array)
    _close(rolled.compute(), ref.isel(lat=slice(0, 6)).rolling(time=5).mean())


def test_to_zarr_round_trip(opened, tmp_path):
    sw, ref = opened
    out = tmp_path / "out.zarr"
    sw.mean("lon").to_zarr(out, mode="w", consolidated=False)
    back = xr.open_zarr(out, chunks=None, consolidated=False).load()
    _close(back, ref.mean("lon"))


def test_apply_ufunc_with_a_core_dimension(opened):
    sw, ref = opened
    def spread(x):
        return x.max(axis=-1) - x.min(axis=-1)
    got = xr.apply_ufunc(spread, sw.t2m.chunk({"lon": -1}, chunked_array_type="spillway"), input_core_dims=[["lon"]], dask="parallelized", output_dtypes=[np.float32])
    assert isinstance(got.data, Array)
    want = ref.t2m.max("lon") - ref.t2m.min("lon")
    xr.testing.assert_allclose(got.compute(), want)


def test_scan_is_a_cumulative_sum_across_chunks():
    cm = SpillwayChunkManager()
    v = np.random.default_rng(2).standard_normal((10, 3))
    x = xr.Variable(("t", "y"), v).chunk({"t": 3}, chunked_array_type="spillway").data
    got = cm.scan(lambda b: np.cumsum(b, axis=0), np.add, 0, x, axis=0, dtype=np.float64)
    np.testing.assert_allclose(np.asarray(got.compute()), np.cumsum(v, axis=0), rtol=1e-12)


def test_unsupported_options_name_what_to_do():
    cm = SpillwayChunkManager()
    x = xr.Variable(("t",), np.arange(6.0)).chunk({"t": 2}, chunked_array_type="spillway").data
    with pytest.raises(NotImplementedError, match="axes= is not supported"):
        cm.apply_gufunc(np.sum, "(i)->()", x, axes=[(0,), ()])
    with pytest.raises(NotImplementedError, match="2 outputs"):
        cm.apply_gufunc(np.divmod, "(),()->(),()", x, x)
    with pytest.raises(NotImplementedError, match="drop_axis"):
        cm.map_blocks(np.sum, x, drop_axis=0)
    with pytest.raises(NotImplementedError, match="compute=False"):
        cm.store(x, np.zeros(6), compute=False)


def test_normalize_chunks_forms():
    cm = SpillwayChunkManager()
    assert cm.normalize_chunks((2, -1), shape=(5, 3)) == ((2, 2, 1), (3,))
    assert cm.normalize_chunks({0: 3}, shape=(7, 2)) == ((3, 3, 1), (2,))
    assert cm.normalize_chunks(((4, 3), (2,)), shape=(7, 2)) == ((4, 3), (2,))
    auto = cm.normalize_chunks("auto", shape=(10**6, 100), dtype="float64")
    assert sum(auto[0]) == 10**6 and max(auto[0]) * max(auto[1]) * 8 <= 128 * 2**20
    with pytest.raises(ValueError, match="do not add up"):
        cm.normalize_chunks(((4, 4), (2,)), shape=(7, 2))
