"""The Dask lesson's Python cells (../shared/lesson/dask-lesson.md), with only their
imports changed to spillway's, asserting what the lesson prints."""

import re

import numpy as np

import spillway as dask
import spillway.array as da
from spillway.distributed import Client


def calculate_pi(size_in_bytes):
    """Calculate pi using a Monte Carlo method (the lesson's NumPy version)."""
    rand_array_shape = (int(size_in_bytes / 8 / 2), 2)
    xy = np.random.uniform(low=0.0, high=1.0, size=rand_array_shape)
    xy_inside_circle = (xy ** 2).sum(axis=1) < 1
    pi = 4 * xy_inside_circle.sum() / xy_inside_circle.size
    print(f"\nfrom {xy.nbytes / 1e9} GB randomly chosen positions")
    print(f"   pi estimate: {pi}")
    print(f"   pi error: {abs(pi - np.pi)}\n")
    return pi


def dask_calculate_pi(size_in_bytes, nchunks):
    """Calculate pi using a Monte Carlo method (the lesson's Dask version)."""
    rand_array_shape = (int(size_in_bytes / 8 / 2), 2)
    chunk_size = int(rand_array_shape[0] / nchunks)
    xy = da.random.uniform(low=0.0, high=1.0, size=rand_array_shape, chunks=chunk_size)
    print(xy)
    xy_inside_circle = (xy ** 2).sum(axis=1) < 1
    pi = 4 * xy_inside_circle.sum() / xy_inside_circle.size
    result = pi.compute()
    print(f"\nfrom {xy.nbytes / 1e9} GB randomly chosen positions")
    print(f"   pi estimate: {result}")
    print(f"   pi error: {abs(result - np.pi)}\n")
    return result


def test_client_cell():
    client = Client(n_workers=2, threads_per_worker=2, memory_limit="1GB")
    text = repr(client)
    assert "processes=2" in text and "threads=4" in text and "memory=1.86 GiB" in text
    html = client._repr_html_()
    assert "Total threads" in html and "1.86 GiB" in html and "Workers" in html
    assert client.status == "running"
    client.close()
    assert client.status == "closed"


def test_delayed_calculate_pi_and_visualize(tmp_path):
    client = Client(n_workers=2, threads_per_worker=2, memory_limit="1GB")
    dask_calpi = dask.delayed(calculate_pi)(10000)
    svg = dask.visualize(dask_calpi)
    assert "calculate_pi" in svg.data
    results = []
    for i in range(5):
        dask_calpi = dask.delayed(calculate_pi)(10000 * (i + 1))
        results.append(dask_calpi)
    graph = dask.visualize(results, filename=tmp_path / "graph.svg")
    assert graph.data.count("calculate_pi") >= 5
    assert (tmp_path / "graph.svg").exists()
    values = dask.compute(*results)
    assert len(values) == 5
    assert all(abs(v - np.pi) < 0.2 for v in values)
    client.close()


def test_arange_cells(capsys):
    client = Client(n_workers=2, threads_per_worker=1, memory_limit="1GB")
    a_np = np.arange(1, 50, 3)
    a_da = da.arange(1, 50, 3, chunks=5)
    assert a_np.shape == (17,)
    print(a_da.dtype)
    print(a_da.shape)
    print(a_da.chunks)
    print(a_da.chunksize)
    out = capsys.readouterr().out
    assert out == "int64\n(17,)\n((5, 5, 5, 2),)\n(5,)\n"
    assert repr(a_da) == "spillway.array<arange, shape=(17,), dtype=int64, chunksize=(5,), chunktype=numpy.ndarray>"
    assert "<svg" in a_da.visualize().data
    assert "<svg" in (a_da ** 2).visualize().data
    squares = (a_da ** 2).compute()
    assert isinstance(squares, np.ndarray)
    np.testing.assert_array_equal(squares, a_np ** 2)
    assert "<table" in a_da._repr_html_()
    client.close()


def test_random_sum_cell():
    client = Client(n_workers=2, threads_per_worker=1, memory_limit="1GB")
    x = da.random.random(20, chunks=5)
    result = x.sum()
    value = result.compute()
    assert isinstance(value, np.float64)
    np.testing.assert_allclose(value, np.asarray(x).sum(), rtol=1e-12)
    assert 0 < value < 20
    client.restart()
    client.close()


def test_dask_calculate_pi_cell(capsys):
    client = Client(n_workers=5, threads_per_worker=1, memory_limit="1GB")
    result = dask_calculate_pi(10000000, 20)
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first == "spillway.array<uniform, shape=(625000, 2), dtype=float64, chunksize=(31250, 2), chunktype=numpy.ndarray>"
    assert "from 0.01 GB randomly chosen positions" in out
    assert re.search(r"pi estimate: 3\.1[34]\d*", out)
    assert abs(result - np.pi) < 0.01
    client.close()


def test_same_bits_whatever_the_chunking():
    client = Client(n_workers=2, threads_per_worker=2, memory_limit="256MB")
    values = []
    for chunks in (1000, 31250, 77777, 625000):
        xy = da.random.default_rng(7).uniform(0.0, 1.0, size=(625000, 2), chunks=chunks)
        inside = (xy ** 2).sum(axis=1) < 1
        values.append((4 * inside.sum() / inside.size).compute())
    assert len(set(values)) == 1
    client.close()
