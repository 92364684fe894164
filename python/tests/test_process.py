"""Child Python processes: peak memory under a budget, and Ctrl-C during a computation."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

PEAK = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    import spillway.array as da
    from spillway.distributed import Client

    def rss_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    client = Client(n_workers=1, threads_per_worker=2, memory_limit="256MB")
    base = rss_mb()
    size = int(sys.argv[1])
    xy = da.random.default_rng(42).uniform(0.0, 1.0, size=(size // 16, 2), chunks=size // 16 // 8)
    inside = (xy ** 2).sum(axis=1) < 1
    pi = (4 * inside.sum() / inside.size).compute()
    assert abs(pi - np.pi) < 1e-3, pi
    n = int(sys.argv[2])
    x = da.random.default_rng(1).random((n, n), chunks=(n // 16, n))
    # rows to columns, written out (the rechunk cannot be seen through)
    x.rechunk((n, n // 16)).to_zarr(sys.argv[3])
    cols = da.from_zarr(sys.argv[3])
    assert cols.chunks[1][0] == n // 16
    total = cols[:, : n // 16].sum().compute()
    expected = x[:, : n // 16].sum().compute()
    assert abs(total - expected) <= 1e-9 * abs(expected), (total, expected)
    held, peak = client.memory_held()
    print(f"base_mb={base:.1f} peak_mb={rss_mb():.1f} budget_peak={peak} budget={256_000_000}")
    """
)


def test_twenty_gb_pi_and_a_rechunk_stay_in_the_budget(tmp_path):
    env = dict(os.environ, SPILLWAY_SPILL_DIR=str(tmp_path))
    size = int(os.environ.get("SPILLWAY_TEST_PI_BYTES", 20_000_000_000))
    out = subprocess.run([sys.executable, "-c", PEAK, str(size), "8000", str(tmp_path / "cols.zarr")], env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    fields = dict(kv.split("=") for kv in out.stdout.split())
    base, peak = float(fields["base_mb"]), float(fields["peak_mb"])
    budget_peak = int(fields["budget_peak"])
    print(out.stdout)
    assert budget_peak <= 256_000_000
    # the budget plus the interpreter's own footprint (numpy and spillway imported) plus 64 MB
    assert peak <= base + 256_000_000 / 2**20 + 64, (base, peak)


INTERRUPT = textwrap.dedent(
    """
    import os, signal, sys, time
    import spillway.array as da
    from spillway.distributed import Client

    # Ctrl-C as at an interactive prompt, even when the test runs in a background job
    # (non-interactive shells start those with SIGINT ignored, and Python keeps it so)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    client = Client(n_workers=1, threads_per_worker=2, memory_limit="64MB")
    x = da.random.default_rng(3).random((16000, 16000), chunks=(250, 16000))
    print("started", flush=True)
    try:
        # rows to columns under 64 MB: spills, about a second each on a quiet machine;
        # repeated so that the interrupt always finds one running
        for _ in range(600):
            x.rechunk((16000, 250)).to_zarr(sys.argv[1], overwrite=True)
        print("finished", flush=True)
    except KeyboardInterrupt:
        stopped = time.perf_counter()
        print(f"interrupted {stopped:.6f}", flush=True)
    # the client still computes
    assert da.ones((10,), chunks=5).sum().compute() == 10
    held, _ = client.memory_held()
    print(f"held={held}", flush=True)
    """
)


def test_ctrl_c_stops_the_computation_within_a_second_and_cleans_up(tmp_path):
    env = dict(os.environ, SPILLWAY_SPILL_DIR=str(tmp_path))
    spill = tmp_path / "spill"
    spill.mkdir()
    env["SPILLWAY_SPILL_DIR"] = str(spill)
    child = subprocess.Popen([sys.executable, "-c", INTERRUPT, str(tmp_path / "out.zarr")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "started"
    time.sleep(2.0)  # spilling has begun
    sent = time.perf_counter()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("interrupted"), out
    stopped = float(lines[0].split()[1])
    assert stopped - sent < 1.0, stopped - sent
    assert lines[1] == "held=0"
    assert os.listdir(spill) == [], os.listdir(spill)
