"""spillway against Dask (threaded scheduler) from Python, side by side in one run.

Prints one row per workload: Dask's seconds, spillway's seconds and the ratio, plus the
Python pi against the Rust example's time and the per-``compute()`` overhead on a
one-chunk array.

    python python/bench/vs_dask.py                 # 4 GB and 16 GB pi, a 4 GB zarr array
    python python/bench/vs_dask.py --quick         # small sizes (seconds)
    python python/bench/vs_dask.py --rust target/release/examples/pi_100gb
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time

import dask
import dask.array as dda
import numpy as np

import spillway.array as sda
from spillway.distributed import Client


def timed(f, repeat=1):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def pi_expr(da, nbytes, nchunks, seed):
    n = nbytes // 16
    if da is sda:
        xy = da.random.default_rng(seed).uniform(0.0, 1.0, size=(n, 2), chunks=n // nchunks)
    else:
        xy = da.random.default_rng(seed).uniform(0.0, 1.0, size=(n, 2), chunks=(n // nchunks, 2))
    inside = (xy ** 2).sum(axis=1) < 1
    return 4 * inside.sum() / inside.size


def main():
    p = argparse.ArgumentParser(description="spillway vs Dask from Python")
    p.add_argument("--quick", action="store_true", help="small sizes")
    p.add_argument("--memory-limit", default="4GB")
    p.add_argument("--dir", default=None, help="where the zarr array goes [a temporary directory]")
    p.add_argument("--rust", default=None, help="the Rust pi_100gb binary, for the Python/Rust ratio")
    args = p.parse_args()
    dask.config.set(scheduler="threads")
    client = Client(n_workers=1, memory_limit=args.memory_limit)
    gb = 10**9
    pis = [gb // 4, gb] if args.quick else [4 * gb, 16 * gb]
    n = 4000 if args.quick else 22360  # 4 GB of float64 at full size
    rows = []

    for size in pis:
        d = timed(lambda: pi_expr(dda, size, 40, 1).compute())
        s = timed(lambda: pi_expr(sda, size, 40, 1).compute())
        rows.append((f"pi {size / gb:g} GB", d, s))

    work = tempfile.mkdtemp(dir=args.dir)
    try:
        path = os.path.join(work, "x.zarr")
        chunk = max(n // 8, 1)
        sda.random.default_rng(5).random((n, n), chunks=chunk).to_zarr(path)
        dx, sx = dda.from_zarr(path), sda.from_zarr(path)
        rows.append(("(x + x.T).sum()", timed(lambda: (dx + dx.T).sum().compute()), timed(lambda: (sx + sx.T).sum().compute())))
        rows.append(("x.mean(axis=0), x.std()",
                     timed(lambda: dask.compute(dx.mean(axis=0), dx.std())),
                     timed(lambda: sda.compute(sx.mean(axis=0), sx.std()))))
        out_d, out_s = os.path.join(work, "d.zarr"), os.path.join(work, "s.zarr")
        rows.append(("to_zarr(x + x.T)",
                     timed(lambda: dda.to_zarr(dx + dx.T, out_d, overwrite=True)),
                     timed(lambda: (sx + sx.T).to_zarr(out_s, overwrite=True))))
        rows.append(("map_blocks(np.sin)",
                     timed(lambda: dx.map_blocks(np.sin).sum().compute()),
                     timed(lambda: sx.map_blocks(np.sin).sum().compute())))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{'workload':<28}{'dask s':>10}{'spillway s':>12}{'dask/spillway':>15}")
    for name, d, s in rows:
        print(f"{name:<28}{d:>10.3f}{s:>12.3f}{d / s:>14.1f}x")

    one = sda.ones((100,), chunks=100).sum()
    one.compute()
    reps = 2000
    t = time.perf_counter()
    for _ in range(reps):
        one.compute()
    per = (time.perf_counter() - t) / reps
    print(f"per-compute() overhead on a one-chunk array: {per * 1e6:.1f} us")

    if args.rust:
        size = pis[-1]
        out = subprocess.run([args.rust, "--size", str(size), "--memory-limit", args.memory_limit],
                             capture_output=True, text=True, check=True)
        rust = float(out.stdout.strip().splitlines()[-1].split("seconds=")[1].split()[0])
        sda.random.seed(42)
        py = timed(lambda: pi_expr(sda, size, 40, 42).compute())
        print(f"pi {size / gb:g} GB: Python {py:.3f} s, Rust example {rust:.3f} s, ratio {py / rust:.3f}")
    client.close()


if __name__ == "__main__":
    main()
