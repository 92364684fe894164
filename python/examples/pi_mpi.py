"""The Dask lesson's ``dask_MPI_calculate_pi.py`` on spillway: the same program with only
the imports changed (``dask_mpi`` -> ``spillway.mpi``), run under MPI.

Run: ``mpirun -n 6 -npernode 3 python -u python/examples/pi_mpi.py`` (flags: ``--size
100GB``, ``--chunks 40``, ``--nthreads``, ``--memory-limit``, ``--layout every-rank|dask-mpi``,
``--seed 42``). Needs the package built with MPI
(``MATURIN_PEP517_ARGS="--features mpi" pip install ./python``). The last line is that of
``python/examples/pi_100gb.py`` in one process, with the same estimate for the same seed:
``pi=<estimate> error=<abs error> seconds=<compute seconds> points=<n>``.
"""

import argparse
import time

import numpy as np

import spillway as dask  # noqa: F401  (the lesson imports dask)
import spillway.array as da
from spillway.distributed import Client
from spillway.mpi import initialize

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


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="100GB", help="bytes of random points [100GB]")
    p.add_argument("--chunks", type=int, default=40, help="chunks along the points axis [40]")
    p.add_argument("--nthreads", type=int, default=4, help="threads per rank [4]")
    p.add_argument("--memory-limit", default="40GB", help="memory limit per rank [40GB]")
    p.add_argument("--layout", default="every-rank", choices=["every-rank", "dask-mpi"])
    p.add_argument("--seed", type=int, default=42, help="seed of the random generator [42]")
    args = p.parse_args()
    da.random.seed(args.seed)

    initialize(nthreads=args.nthreads, memory_limit=args.memory_limit, layout=args.layout)

    client = Client()

    t0 = time.time()
    print(client)
    size = _bytes(args.size)
    pi = dask_calculate_pi(size, args.chunks)
    t1 = time.time()
    print("time taken for spillway is " + str(t1 - t0))

    client.close()
    points = int(size / 8 / 2)
    error = np.format_float_positional(abs(pi - np.pi), unique=True, trim="-")
    print(f"pi={pi} error={error} seconds={COMPUTE_SECONDS[0]:.3f} points={points}")
