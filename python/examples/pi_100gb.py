"""The Dask lesson's ``dask_MPI_calculate_pi.py`` on spillway: the same function with only
the imports changed (``dask`` -> ``spillway``), ``dask_calculate_pi(100000000000, 40)``.

Run: ``python python/examples/pi_100gb.py`` (flags: ``--size 2GB``, ``--chunks``,
``--memory-limit``, ``--workers``, ``--threads-per-worker``, ``--seed``). The last line is
the Rust example's (``cargo run --release --example pi_100gb``):
``pi=<estimate> error=<abs error> seconds=<compute seconds> points=<n>``; with the same
seed both print the same estimate.
"""

import argparse
import time

import numpy as np

import spillway as dask  # noqa: F401  (the lesson imports dask)
import spillway.array as da
from spillway.distributed import Client

COMPUTE_SECONDS = []


def dask_calculate_pi(size_in_bytes, nchunks):
    """Calculate pi using a Monte Carlo method."""

    rand_array_shape = (int(size_in_bytes / 8 / 2), 2)
    chunk_size = int(rand_array_shape[0] / nchunks)
    print(chunk_size)

    # 2D random array with positions (x, y)
    xy = da.random.uniform(low=0.0, high=1.0, size=rand_array_shape, chunks=chunk_size)
    print(f" Created xy\n {xy}\n")
    print(f" Number of partitions/chunks is {xy.numblocks}\n")

    # check if position (x, y) is in unit circle
    xy_inside_circle = (xy ** 2).sum(axis=1) < 1

    # pi is the fraction of points in circle x 4
    pi = 4 * xy_inside_circle.sum() / xy_inside_circle.size

    t = time.perf_counter()
    result = pi.compute()
    COMPUTE_SECONDS.append(time.perf_counter() - t)

    print(f"\nfrom {xy.nbytes / 1e9} GB randomly chosen positions")
    print(f"   pi estimate: {result}")
    print(f"   pi error: {abs(result - np.pi)}\n")

    return result


def _bytes(text):
    units = {"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "b": 1}
    t = text.strip().lower()
    for unit in sorted(units, key=len, reverse=True):
        if t.endswith(unit):
            return int(float(t[: -len(unit)]) * units[unit])
    return int(float(t))


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="100GB", help="bytes of random points [100GB]")
    p.add_argument("--chunks", type=int, default=40, help="chunks along the points axis [40]")
    p.add_argument("--workers", type=int, default=1, help="n_workers [1]")
    p.add_argument("--threads-per-worker", type=int, default=None, help="threads per worker [all cores]")
    p.add_argument("--memory-limit", default="1GB", help="memory_limit per worker [1GB]")
    p.add_argument("--seed", type=int, default=42, help="seed of the random generator [42]")
    args = p.parse_args()
    da.random.seed(args.seed)

    client = Client(n_workers=args.workers, threads_per_worker=args.threads_per_worker,
                    memory_limit=args.memory_limit)

    t0 = time.time()
    print(client)
    size = _bytes(args.size)
    pi = dask_calculate_pi(size, args.chunks)
    t1 = time.time()
    print("time taken for spillway is " + str(t1 - t0))

    client.close()
    points = int(size / 8 / 2)
    # formatted as the Rust example prints it (positional, shortest round-trip digits)
    error = np.format_float_positional(abs(pi - np.pi), unique=True, trim="-")
    print(f"pi={pi} error={error} seconds={COMPUTE_SECONDS[0]:.3f} points={points}")
