#!/usr/bin/env python3
"""The lesson's dask_calculate_pi on Dask's threaded scheduler with 128 MB chunks, for a
ratio against pi_100gb measured in the same run.

    python3 -m venv /tmp/daskvenv && /tmp/daskvenv/bin/pip install "dask[array]"
    /tmp/daskvenv/bin/python scripts/dask_pi.py 16e9     # SIZE_BYTES
"""
import sys, time
import numpy as np
import dask
import dask.array as da

def dask_calculate_pi(size_in_bytes, chunk_bytes):
    rand_array_shape = (int(size_in_bytes / 8 / 2), 2)
    chunk_size = int(chunk_bytes / 16)
    xy = da.random.uniform(low=0.0, high=1.0, size=rand_array_shape, chunks=(chunk_size, 2))
    xy_inside_circle = (xy ** 2).sum(axis=1) < 1
    pi = 4 * xy_inside_circle.sum() / xy_inside_circle.size
    t0 = time.time()
    result = pi.compute(scheduler="threads")
    return result, time.time() - t0

size = float(sys.argv[1])
res, secs = dask_calculate_pi(size, 128 * 2**20)
print(f"dask pi={res} seconds={secs:.3f} size={size:.0f} version={dask.__version__}")
