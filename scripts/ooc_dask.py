"""Dask's side of the out-of-core steps of `transpose_sum_ooc`, on the same zarr array.

    python scripts/ooc_dask.py DIR/x.zarr --step a|b|c [--threads 2] [--out DIR/dask_out.zarr]

(a) ``(x + x.T).sum()``, (b) ``(x + x.T).to_zarr(out)``, (c) ``x.mean(axis=0)`` and
``x.std()`` in one compute, with Dask's threaded scheduler on ``--threads`` threads and x
read with ``da.from_zarr`` in its stored chunks. Prints one line,
``dask step=<s> seconds=<t> value=<v>``, where the value is the sum, the output's chunk
count or the sum of the means plus the std (to compare with spillway's). (b)'s output is
removed afterwards. Drop the page cache before each call for a cold step, as
``scripts/ooc_table.sh`` does.
"""

import argparse
import shutil
import time

import dask
import dask.array as da


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="the zarr array x")
    parser.add_argument("--step", choices=["a", "b", "c"], required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", help="(b)'s output array (default: beside x)")
    args = parser.parse_args()
    out = args.out or args.path.rstrip("/") + ".dask_out.zarr"
    with dask.config.set(scheduler="threads", num_workers=args.threads):
        x = da.from_zarr(args.path)
        started = time.perf_counter()
        if args.step == "a":
            value = float((x + x.T).sum().compute())
        elif args.step == "b":
            (x + x.T).to_zarr(out, overwrite=True)
            value = float(x.npartitions)
        else:
            mean, std = dask.compute(x.mean(axis=0), x.std())
            value = float(mean.sum() + std)
        seconds = time.perf_counter() - started
    if args.step == "b":
        shutil.rmtree(out, ignore_errors=True)
    print(f"dask step={args.step} seconds={seconds:.3f} value={value!r}")


if __name__ == "__main__":
    main()
