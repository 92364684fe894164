"""spillway.mpi in one process: what a build without MPI says, and the launch check that
refuses a rank started by an MPI launcher without joining the job. The MPI runs
themselves (mpirun python ...) are in scripts/python_mpi.sh."""

import os
import subprocess
import sys

import pytest

import spillway.mpi


@pytest.mark.skipif(spillway.mpi.available(), reason="this build has MPI")
def test_initialize_without_mpi_says_how_to_build_it():
    with pytest.raises(RuntimeError, match=r'MATURIN_PEP517_ARGS="--features mpi" pip install ./python'):
        spillway.mpi.initialize(nthreads=1, memory_limit="1GB")
    assert spillway.mpi.current_job() is None


def test_a_rank_started_by_a_launcher_without_initialize_is_refused():
    code = "import spillway.array as da; print(da.ones(10, chunks=5).sum().compute())"
    env = dict(os.environ, OMPI_COMM_WORLD_SIZE="3", OMPI_COMM_WORLD_RANK="1")
    env.pop("SPILLWAY_MPI_LAUNCH", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert "this process is rank 1 of 3 started by an MPI launcher (OMPI_COMM_WORLD_SIZE=3)" in out.stderr
    env["SPILLWAY_MPI_LAUNCH"] = "ignore"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "10.0", out.stderr


def test_the_client_repr_is_daskish_outside_mpi():
    from spillway.distributed import Client

    client = Client(n_workers=1, threads_per_worker=1, memory_limit="1GB")
    try:
        assert repr(client).startswith("<Client: 'inproc://spillway' processes=1 threads=1")
    finally:
        client.close()
