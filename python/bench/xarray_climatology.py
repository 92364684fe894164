"""xarray on spillway against xarray on Dask: a monthly climatology and anomalies of a
synthetic zarr dataset, both computed in the same run.

The dataset (three float32 variables over time x 180 x 360, 30-day chunks) is written
once by xarray through Dask; then each engine opens it lazily and computes

- the monthly climatology, ``ds.groupby("time.month").mean()``;
- the area-mean anomaly, ``(ds.groupby("time.month") - clim.persist()).mean(("lat", "lon"))``;
- a 5-day rolling mean of one variable, reduced over space.

Prints seconds per engine and the ratio, and checks the answers agree.

    python python/bench/xarray_climatology.py --gb 1       # ~1 GB (a minute)
    python python/bench/xarray_climatology.py --gb 10      # the issue's 10 GB
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time

import dask
import numpy as np
import pandas as pd
import xarray as xr

from spillway.distributed import Client

NY, NX, NVARS = 180, 360, 3


def write_dataset(path, days):
    """Three float32 variables with a seasonal cycle plus noise, written by xarray + Dask."""
    import dask.array as dda

    time_ = pd.date_range("2000-01-01", periods=days, freq="D")
    season = dda.from_array(np.cos(2 * np.pi * np.arange(days) / 365.25).astype("float32"), chunks=30)
    data = {}
    for k, name in enumerate(("t2m", "u10", "v10"), start=1):
        noise = dda.random.default_rng(k).standard_normal((days, NY, NX), chunks=(30, NY, NX), dtype="float32")
        data[name] = (("time", "lat", "lon"), noise + k * season[:, None, None])
    ds = xr.Dataset(data, coords={"time": time_, "lat": np.linspace(-89.5, 89.5, NY), "lon": np.linspace(0.5, 359.5, NX)})
    ds.to_zarr(path, mode="w", consolidated=False)


def workloads(ds):
    clim = ds.groupby("time.month").mean()
    # the anomaly reads the climatology once per month of data: kept in memory first, as
    # one does with Dask too (spillway evaluates a shared lazy input once per reader)
    anom = (ds.groupby("time.month") - clim.persist()).mean(("lat", "lon"))
    rolled = ds.t2m.rolling(time=5).mean().mean(("lat", "lon"))
    return {"climatology": clim, "anomaly (area mean)": anom, "rolling mean (area mean)": rolled}


def run(engine, path, threads):
    opened = xr.open_zarr(path, chunks={}, consolidated=False,
                          chunked_array_type=None if engine == "dask" else "spillway")
    out = {}
    for name, lazy in workloads(opened).items():
        t = time.perf_counter()
        value = lazy.compute()
        out[name] = (time.perf_counter() - t, value)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gb", type=float, default=1.0, help="dataset size in GB (default 1)")
    p.add_argument("--dir", default=None, help="where to write the dataset (default: a temporary directory)")
    p.add_argument("--memory-limit", default="4GB", help="spillway's budget (default 4GB)")
    args = p.parse_args()
    days = max(60, int(args.gb * 1e9 / (NVARS * NY * NX * 4)))
    root = tempfile.mkdtemp(prefix="xr-clim-", dir=args.dir)
    path = os.path.join(root, "data.zarr")
    threads = os.cpu_count() or 1
    try:
        t = time.perf_counter()
        write_dataset(path, days)
        print(f"dataset: {NVARS} x {days} x {NY} x {NX} float32 = {NVARS * days * NY * NX * 4 / 1e9:.2f} GB, "
              f"written by xarray + Dask in {time.perf_counter() - t:.1f} s; {threads} threads each")
        dask.config.set(scheduler="threads", num_workers=threads)
        client = Client(n_workers=1, threads_per_worker=threads, memory_limit=args.memory_limit)
        try:
            # alternate engines so both see the same page cache state
            d = run("dask", path, threads)
            s = run("spillway", path, threads)
        finally:
            client.close()
        print(f"{'workload':<26}{'dask s':>9}{'spillway s':>12}{'dask/spillway':>15}")
        for name in d:
            (td, vd), (ts, vs) = d[name], s[name]
            xr.testing.assert_allclose(vd, vs, rtol=1e-4, atol=1e-5)
            print(f"{name:<26}{td:>9.2f}{ts:>12.2f}{td / ts:>15.2f}")
        print("answers agree (rtol 1e-4)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
