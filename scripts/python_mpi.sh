#!/usr/bin/env bash
# spillway.mpi from Python, under `mpirun --allow-run-as-root --oversubscribe`: builds the
# package with its `mpi` feature into a fresh venv (in this checkout's target/; or uses
# the venv named by SPILLWAY_PYTHON_VENV, which must hold such a build), then
#   1. python/examples/pi_mpi.py (the lesson's dask_MPI_calculate_pi.py with its import
#      changed) on 4 ranks, in the default layout and in dask-mpi's, against
#      python/examples/pi_100gb.py in one process: the pi must be the same bits;
#   2. a script started on 2 ranks that computes without calling initialize is refused on
#      its ranks, naming them, instead of computing twice.
#
#   scripts/python_mpi.sh [SIZE]      (default 200MB of points)
#
# Needs OpenMPI and libclang: apt-get install -y libopenmpi-dev openmpi-bin libclang-dev
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-200MB}"

if ! command -v mpirun >/dev/null; then
    echo "mpirun not found; install OpenMPI: apt-get install -y libopenmpi-dev openmpi-bin libclang-dev" >&2
    exit 1
fi

if [ -n "${SPILLWAY_PYTHON_VENV:-}" ]; then
    # a venv that already holds the package built with MPI (CI's)
    py="$SPILLWAY_PYTHON_VENV/bin/python"
    echo "== the package in $SPILLWAY_PYTHON_VENV"
else
    venv="$PWD/target/python-mpi-venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    py="$venv/bin/python"
    "$py" -m pip install -q numpy
    echo "== MATURIN_PEP517_ARGS=\"--features mpi\" pip install ./python"
    started=$SECONDS
    CARGO_TARGET_DIR="$PWD/target" MATURIN_PEP517_ARGS="--features mpi" \
        "$py" -m pip install -q ./python
    echo "built and installed in $((SECONDS - started)) s"
fi
"$py" -c "import spillway.mpi; assert spillway.mpi.available(), 'built without MPI'"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
run() { timeout 300 mpirun --allow-run-as-root --oversubscribe "$@"; }

echo "== pi_mpi.py on 4 ranks against pi_100gb.py in one process ($size)"
flags=(--size "$size" --chunks 12 --seed 7)
single="$("$py" python/examples/pi_100gb.py "${flags[@]}" --threads-per-worker 1 \
    --memory-limit 256MB | tail -n 1)"
echo "one process:              $single"
for layout in every-rank dask-mpi; do
    got="$(SPILLWAY_WORK_DIR="$work" SPILLWAY_MPI_TIMEOUT=120 run -n 4 "$py" -u \
        python/examples/pi_mpi.py "${flags[@]}" --nthreads 1 --memory-limit 256MB \
        --layout "$layout" | tail -n 1)"
    printf '4 MPI ranks, %-10s: %s\n' "$layout" "$got"
    if [ "${single%% *}" != "${got%% *}" ]; then
        echo "the pi on 4 ranks ($layout) differs from one process's" >&2
        exit 1
    fi
done

echo "== a script on 2 ranks that never calls initialize is refused"
set +e
out="$(run -n 2 "$py" -c 'import spillway.array as da; print(da.ones(10, chunks=5).sum().compute())' 2>&1)"
code=$?
set -e
if [ "$code" = 0 ] || ! grep -q "did not call spillway::mpi::initialize" <<<"$out"; then
    echo "expected the ranks to be refused (exit $code):" >&2
    echo "$out" >&2
    exit 1
fi
grep -o "this process is rank [0-9] of 2[^,]*" <<<"$out" | sort -u
echo "Python MPI tests passed"
