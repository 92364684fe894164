"""NumPy interop, the GIL, errors and Python callables on spillway arrays."""

import threading
import time

import numpy as np
import pytest

import spillway
import spillway.array as da


def test_compute_hands_over_spillways_buffer(client):
    x = da.arange(0, 1000, 1, chunks=100) * 2
    values = x.compute()
    # the NumPy array's memory belongs to a Rust container: no copy was made
    assert type(values.base).__name__ == "PySliceContainer"
    assert not values.flags.owndata
    np.testing.assert_array_equal(values, np.arange(0, 2000, 2))
    arr = np.asarray(x)
    assert type(arr.base).__name__ == "PySliceContainer"


def test_numpy_functions_stay_lazy(client):
    x = da.from_array(np.arange(12.0).reshape(3, 4), chunks=2)
    y = da.ones((3, 4), chunks=2)
    for lazy in (np.sin(x), np.sum(x, axis=0), np.concatenate([x, y]), np.add(x, 1), np.mean(x), np.where(x > 3, x, y)):
        assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(np.sin(x).compute(), np.sin(np.arange(12.0).reshape(3, 4)))
    np.testing.assert_array_equal(np.sum(x, axis=0).compute(), np.arange(12.0).reshape(3, 4).sum(axis=0))
    np.testing.assert_array_equal(np.concatenate([x, y]).compute(), np.concatenate([np.arange(12.0).reshape(3, 4), np.ones((3, 4))]))


def test_compute_releases_the_gil(client):
    x = da.random.default_rng(1).random((4000, 4000), chunks=500)
    expr = ((x + x.T) ** 2).sum()
    counts = []
    done = threading.Event()

    def count():
        n = 0
        while not done.is_set():
            n += 1
        counts.append(n)

    t = threading.Thread(target=count)
    t.start()
    start = time.perf_counter()
    expr.compute()
    elapsed = time.perf_counter() - start
    done.set()
    t.join()
    # a thread holding the GIL in compute would leave the counter near zero
    assert counts[0] > 10000, (counts, elapsed)


def test_errors_are_the_types_python_users_expect(client, tmp_path):
    with pytest.raises(ValueError, match="broadcast"):
        da.ones((3, 4), chunks=2) + da.ones((5,), chunks=2)
    with pytest.raises(ValueError, match="axis"):
        da.ones((3, 4), chunks=2).sum(axis=5)
    with pytest.raises(ValueError):
        da.ones((3, 4), chunks=2).reshape(5, 5)
    with pytest.raises(IndexError, match="out of bounds"):
        da.ones((3, 4), chunks=2)[7]
    with pytest.raises(TypeError, match="dtype"):
        da.ones((3,), chunks=2, dtype="datetime64[s]")
    with pytest.raises(TypeError, match="bool"):
        -(da.ones((3,), chunks=2) > 0)
    with pytest.raises(FileNotFoundError, match="missing.zarr"):
        da.from_zarr(tmp_path / "missing.zarr")
    small = spillway.distributed.Client(n_workers=1, threads_per_worker=1, memory_limit="16MB")
    try:
        with pytest.raises(spillway.MemoryBudgetError) as info:
            da.ones((20000, 20000), chunks=(20000, 20000)).persist()
        assert isinstance(info.value, MemoryError)
        assert info.value.budget > 0 and info.value.needed > info.value.budget
        assert "chunk" in str(info.value) and "rechunk" in info.value.suggestion
    finally:
        small.close()


def test_map_blocks_with_a_python_function(client):
    x = da.arange(0, 12, 1, chunks=4).astype("float64")
    y = x.map_blocks(lambda b: b - b.mean())
    np.testing.assert_array_equal(y.compute(), np.tile(np.array([-1.5, -0.5, 0.5, 1.5]), 3))
    z = da.map_blocks(np.sqrt, da.arange(0, 9, 1, chunks=3))
    assert z.dtype == np.float64
    np.testing.assert_allclose(z.compute(), np.sqrt(np.arange(9)))


def test_a_python_exception_in_a_block_reaches_the_caller(client):
    def boom(block):
        raise KeyError("no such thing")

    with pytest.raises(KeyError, match="no such thing"):
        da.ones((6,), chunks=2).map_blocks(boom, dtype=float).compute()
    # and the client still computes
    assert da.ones((6,), chunks=2).sum().compute() == 6.0


def test_delayed_exception_and_values(client):
    @spillway.delayed
    def inc(v):
        return v + 1

    @spillway.delayed
    def fail(v):
        raise ValueError(f"bad {v}")

    assert inc(inc(1)).compute() == 3
    a, b = spillway.compute(inc(1), inc(2))
    assert (a, b) == (2, 3)
    with pytest.raises(ValueError, match="bad 2"):
        inc(fail(inc(1))).compute()


def test_to_zarr_and_back_keeps_the_dtype(client, tmp_path):
    for dtype in ("float32", "int32", "int16", "int8", "uint16", "uint8", "bool"):
        values = (np.arange(20) % 3).astype(dtype)
        path = tmp_path / f"{dtype}.zarr"
        da.from_array(values, chunks=6).to_zarr(path)
        back = da.from_zarr(path)
        assert back.dtype == np.dtype(dtype) and back.chunks == ((6, 6, 6, 2),)
        np.testing.assert_array_equal(back.compute(), values)


def test_linalg(client):
    rng = np.random.default_rng(3)
    a = rng.normal(size=(40, 5))
    x = da.from_array(a, chunks=(10, 5))
    q, r = da.linalg.qr(x)
    np.testing.assert_allclose((q @ r).compute(), a, atol=1e-12)
    u, s, v = da.linalg.svd(x)
    np.testing.assert_allclose(s.compute(), np.linalg.svd(a, compute_uv=False), rtol=1e-10)
    sq = da.from_array(a.T @ a, chunks=5)
    b = da.from_array(np.arange(5.0), chunks=5)
    np.testing.assert_allclose(da.linalg.solve(sq, b).compute(), np.linalg.solve(a.T @ a, np.arange(5.0)), rtol=1e-10)
    np.testing.assert_allclose(da.linalg.inv(sq).compute(), np.linalg.inv(a.T @ a), rtol=1e-9)
    np.testing.assert_allclose(da.linalg.norm(x).compute(), np.linalg.norm(a), rtol=1e-12)
    np.testing.assert_allclose(da.einsum("ij,ij->", x, x).compute(), (a * a).sum(), rtol=1e-12)


def test_metadata_prints_as_dask_prints_it(client):
    x = da.ones((10, 7), chunks=(4, 3), dtype="float32")
    assert x.chunks == ((4, 4, 2), (3, 3, 1))
    assert (x.chunksize, x.numblocks, x.npartitions, x.nbytes) == ((4, 3), (3, 3), 9, 280)
    assert repr(x) == "spillway.array<ones, shape=(10, 7), dtype=float32, chunksize=(4, 3), chunktype=numpy.ndarray>"


def test_percentile_and_histogram(client):
    values = np.random.default_rng(0).normal(size=1000)
    x = da.from_array(values, chunks=100)
    np.testing.assert_allclose(da.percentile(x, 30).compute(), np.percentile(values, 30), rtol=1e-12)
    counts, edges = da.histogram(x, bins=10, range=(-3, 3))
    expected, expected_edges = np.histogram(values, bins=10, range=(-3, 3))
    np.testing.assert_array_equal(counts.compute(), expected)
    np.testing.assert_allclose(edges, expected_edges)


def test_from_array_wraps_the_numpy_buffer_without_a_copy(client):
    values = np.arange(12.0).reshape(3, 4)
    x = da.from_array(values, chunks=2)
    # a write after from_array is seen: spillway reads the caller's buffer in place
    values[0, 0] = 100.0
    assert x.sum().compute() == values.sum()
    for dtype in ("float32", "int64", "int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8", "bool"):
        v = (np.arange(10) % 3).astype(dtype)
        np.testing.assert_array_equal(da.from_array(v, chunks=3).compute(), v)


def test_reduction_is_lazy_and_matches_numpy(client):
    calls = []

    def chunk(b, axis, keepdims):
        calls.append(b.shape)
        return np.max(b, axis=axis, keepdims=keepdims)

    a = np.arange(7 * 10, dtype=np.int64).reshape(7, 10) * 37 % 101
    x = da.from_array(a, chunks=(3, 4))
    whole = da.reduction(x, chunk, np.max, dtype=np.int64)
    rows = da.reduction(x, chunk, np.max, axis=1)
    kept = da.reduction(x, chunk, np.max, axis=0, keepdims=True)
    assert calls == [] or all(len(c) == 2 and max(c) == 1 for c in calls)  # at most dtype probes
    calls.clear()
    assert whole.shape == () and int(whole.compute()) == a.max()
    assert len(calls) == 3 * 3  # every block once
    np.testing.assert_array_equal(rows.compute(), a.max(axis=1))
    assert rows.chunks == ((3, 3, 1),)
    np.testing.assert_array_equal(kept.compute(), a.max(axis=0, keepdims=True))
    assert kept.shape == (1, 10)


def test_an_index_list_of_runs_reads_like_slices_and_equals_numpy(client):
    # a month of every year: a few runs of consecutive indices become joined slices
    v = np.arange(40 * 6, dtype=np.float64).reshape(40, 6)
    x = da.from_array(v, chunks=(7, 3))
    for idx in ([0, 1, 2, 20, 21, 22, 23, 39], [5, 6], [3, 9, 10, 11], list(range(40))):
        np.testing.assert_array_equal(x[idx].compute(), v[idx])
        np.testing.assert_array_equal(x[idx, ...].compute(), v[idx, ...])
        np.testing.assert_array_equal(x[:, [0, 1, 4]][idx].compute(), v[:, [0, 1, 4]][idx])
        np.testing.assert_array_equal(x[idx].mean(axis=0).compute(), v[idx].mean(axis=0))
    np.testing.assert_array_equal(x[2:30, [1, 2, 5]].compute(), v[2:30, [1, 2, 5]])
    np.testing.assert_array_equal(x[[-3, -2, -1]].compute(), v[[-3, -2, -1]])
    with pytest.raises(IndexError):
        x[[38, 39, 40]].compute()


def test_from_array_reads_a_sliceable_source_lazily_once_per_chunk(client):
    class Source:
        """A sliceable array that counts its reads."""

        def __init__(self, values):
            self.values, self.shape, self.dtype, self.reads = values, values.shape, values.dtype, 0

        def __getitem__(self, region):
            self.reads += 1
            return self.values[region]

    v = np.arange(60, dtype=np.int16).reshape(12, 5)
    src = Source(v)
    x = da.from_array(src, chunks=(4, 5))
    assert src.reads == 0 and x.dtype == np.int16
    # three shifted slices of the same chunks, summed in one pass
    total = (x[0:10] + x[1:11] + x[2:12]).sum()
    assert int(total.compute()) == int(v[0:10].sum() + v[1:11].sum() + v[2:12].sum())
    assert src.reads <= 2 * 3, src.reads
