#!/usr/bin/env bash
# The MPI feature end to end: builds with --features mpi and runs, under
# `mpirun --allow-run-as-root --oversubscribe`:
#   1. tests/mpi_ranks.rs, which starts itself under mpirun for each check (pi and
#      (x + x.T) bit-identical to one process in the default layout, where every rank
#      computes, and in dask-mpi's, (x + x.T) of a zarr array and a staged rechunk
#      through the shared work directory, to_zarr on 4 ranks writing the same files as
#      one process, threads and memory from SLURM_ variables and more threads than
#      SLURM_CPUS_PER_TASK refused on every rank, a program that initialised MPI itself,
#      a panicking rank and a killed rank named with their task, a rank stuck in a task
#      named by the stage timeout, a stopped rank (and a stopped rank 0) named by the
#      liveness check, too few ranks, a plan refused on every rank), with timeouts;
#   2. examples/mpi_pi on 4 ranks, in the default layout and in dask-mpi's, against
#      examples/pi_100gb in one process: the pi on the last line must be the same bits.
#
#   scripts/mpi_tests.sh [SIZE]      (default 200MB of points for step 2)
#
# Needs OpenMPI and libclang: apt-get install -y libopenmpi-dev openmpi-bin libclang-dev
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-200MB}"

if ! command -v mpirun >/dev/null; then
    echo "mpirun not found; install OpenMPI: apt-get install -y libopenmpi-dev openmpi-bin libclang-dev" >&2
    exit 1
fi

echo "== the Slurm batch files parse (bash -n)"
for f in docs/slurm/*.sbatch; do bash -n "$f"; done

# optimized, so it shares spillway's build with the examples below instead of compiling
# it once more for the test profile
echo "== cargo test --release --features mpi --test mpi_ranks"
cargo test --release --features mpi --test mpi_ranks

echo "== mpi_pi on 4 ranks against pi_100gb in one process ($size)"
cargo build --release --features mpi --example mpi_pi --example pi_100gb
bin="${CARGO_TARGET_DIR:-target}/release/examples"
flags=(--size "$size" --chunks 12 --threads-per-worker 1 --memory-limit 256MB --seed 7)
single="$("$bin/pi_100gb" "${flags[@]}" --no-progress | tail -n 1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "one process:              $single"
for layout in every-rank dask-mpi; do
    many="$(SPILLWAY_WORK_DIR="$work" SPILLWAY_MPI_TIMEOUT=60 timeout 300 mpirun --allow-run-as-root --oversubscribe -n 4 \
        "$bin/mpi_pi" "${flags[@]}" --layout "$layout" | tail -n 1)"
    printf '4 MPI ranks, %-10s: %s\n' "$layout" "$many"
    if [ "${single%% *}" != "${many%% *}" ]; then
        echo "the pi estimates differ ($layout)" >&2
        exit 1
    fi
done
echo "MPI tests passed"
