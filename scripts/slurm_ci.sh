#!/usr/bin/env bash
# The docs' Slurm batch files on a real Slurm: a two-node cluster on this machine
# (scripts/slurm_cluster.sh: munged, slurmctld, two slurmd), each job submitted with
# `sbatch --wait` at a CI size, with the account and partition given on the command line
# as a user would, and its output checked:
#   1. docs/slurm/pi_100gb_srun.sbatch (srun, every rank computes; --cpus-per-task=1 and
#      --mem=1G given to sbatch, so each rank's threads and memory come from Slurm's
#      grant): 6 ranks, the settings read from SLURM_CPUS_PER_TASK and SLURM_MEM_PER_NODE,
#      and a pi with the same bits as examples/pi_100gb in one process;
#   2. docs/slurm/pi_100gb.sbatch (the lesson's mpirun -n 6 -npernode 3, --layout
#      dask-mpi), submitted with no resource options: 6 ranks in dask-mpi's layout, and
#      the same pi;
#   3. scripts/slurm_transpose_sum.sbatch: (x + x.T).sum() of a zarr array written
#      beforehand by examples/mpi_transpose_sum in one process, under srun and under
#      mpirun in the same job: both sums the same bits as the one-process sum.
# The points' size reaches the pi jobs through PI_SIZE in sbatch's environment.
#
#   bash scripts/slurm_ci.sh [SIZE]     (default 200MB of points)
#
# Runs as root (it starts Slurm's daemons and mpirun runs as root in the jobs). Needs
# OpenMPI and libclang (as scripts/mpi_tests.sh); installs slurm-wlm and munge when
# missing. Each job asks for 4 minutes and every sbatch --wait is limited to
# SLURM_CI_JOB_SECONDS (default 300); a job that fails or runs past it is cancelled, and
# its output, `scontrol show job` and the daemons' logs are printed. The cluster is stopped and the temporary directory removed
# on exit, whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
size="${1:-200MB}"
job_seconds="${SLURM_CI_JOB_SECONDS:-300}"
start_time=$SECONDS

if [ "$(id -u)" != 0 ]; then
  echo "slurm_ci: run as root: it starts Slurm's daemons (CI runs as root)" >&2
  exit 1
fi
if ! command -v mpirun >/dev/null; then
  echo "slurm_ci: mpirun not found; install OpenMPI: apt-get install -y libopenmpi-dev openmpi-bin libclang-dev" >&2
  exit 1
fi
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
  || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  echo "== installing slurm-wlm and munge"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

echo "== the batch files parse (bash -n)"
batch_files=(docs/slurm/pi_100gb_srun.sbatch docs/slurm/pi_100gb.sbatch scripts/slurm_transpose_sum.sbatch)
for f in "${batch_files[@]}"; do bash -n "$f"; done

echo "== build (release, --features mpi)"
cargo build --release --features mpi --example mpi_pi --example pi_100gb --example mpi_transpose_sum
examples="${CARGO_TARGET_DIR:-$repo/target}/release/examples"

# the submit directory: the batch files run target/release/examples/... from it, and it
# holds the jobs' output, their shared work files (SPILLWAY_WORK_DIR) and x.zarr
work="$(mktemp -d "${TMPDIR:-/tmp}/slurm-ci.XXXXXX")"
mkdir -p "$work/target/release"
ln -s "$examples" "$work/target/release/examples"

cleanup() {
  local rc=$? id
  trap - EXIT
  for id in $(cat "$work/jobids" 2>/dev/null); do
    if [ -n "$(squeue -h -j "$id" -o %i 2>/dev/null)" ]; then
      echo "slurm_ci: cancelling job $id" >&2
      scancel "$id" 2>/dev/null || true
      for _ in $(seq 1 20); do
        [ -n "$(squeue -h -j "$id" -o %i 2>/dev/null)" ] || break
        sleep 0.5
      done
    fi
  done
  bash "$repo/scripts/slurm_cluster.sh" stop || true
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
# a signal ends the script through `exit`, so that cleanup runs
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== start a two-node Slurm on this machine"
bash scripts/slurm_cluster.sh start

# the batch files call `module`, which this machine does not have; mpirun runs as root
module() { :; }
export -f module
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# the two nodes are one host: OpenMPI's shared-memory transport (vader) names its
# segments by host and local rank, so ranks 0-2 of ci1 and of ci2 would share segments
# (and crash); TCP between all ranks instead
export OMPI_MCA_btl=self,tcp
# a silent rank ends a job within a minute rather than at its time limit
export SPILLWAY_MPI_TIMEOUT=60
export PI_SIZE="$size"

# fail JOB_NAME MESSAGE: prints the message, the job's output, `scontrol show job` and
# the daemons' logs, and exits 1
fail() {
  local name="$1" message="$2" id
  id="$(cat "$work/$name.jobid" 2>/dev/null | cut -d';' -f1 || true)"
  {
    echo "slurm_ci: $name: $message"
    echo "--- output of $name (job ${id:-not submitted}):"
    cat "$work/$name.out" 2>/dev/null || echo "(none)"
    if [ -n "$id" ]; then
      echo "--- scontrol show job $id"
      scontrol show job "$id" 2>&1 || true
    fi
    bash "$repo/scripts/slurm_cluster.sh" logs
  } >&2
  exit 1
}

# submit JOB_NAME FILE [SBATCH OPTIONS...]: submits FILE from the submit directory with
# sbatch --wait (limited to $job_seconds) and prints the job's output
submit() {
  local name="$1" file="$2" rc=0
  shift 2
  echo "== sbatch --wait --account=ci --partition=ci --time=00:04:00 $* $file"
  (cd "$work" && timeout "$job_seconds" stdbuf -oL sbatch --wait --parsable \
    --account=ci --partition=ci --time=00:04:00 --output="$work/$name.out" \
    "$@" "$repo/$file" >"$work/$name.jobid") || rc=$?
  cut -d';' -f1 "$work/$name.jobid" >>"$work/jobids" 2>/dev/null || true
  if [ "$rc" = 124 ]; then
    fail "$name" "sbatch --wait did not return within $job_seconds s"
  elif [ "$rc" != 0 ]; then
    fail "$name" "sbatch --wait exited with $rc"
  fi
  sed 's/^/    /' "$work/$name.out"
}

# expect JOB_NAME PATTERN WHAT: fails unless the job's output has a line matching PATTERN
expect() {
  grep -Eq "$2" "$work/$1.out" || fail "$1" "no line of its output matches /$2/ ($3)"
}

# same_bits JOB_NAME EXPECTED GOT: fails unless the first field of GOT (pi=... or the
# sum's value and bits) is EXPECTED's
same_bits() {
  if [ "$3" != "$2" ]; then
    fail "$1" "its result ${3:-(none)} differs from one process's, $2"
  fi
}

echo "== one process: examples/pi_100gb --size $size --chunks 40"
single="$("$examples/pi_100gb" --size "$size" --chunks 40 --no-progress | tail -n 1)"
echo "    $single"

submit pi_srun docs/slurm/pi_100gb_srun.sbatch --cpus-per-task=1 --mem=1G
expect pi_srun '^ *MPI: 6 ranks, layout: every rank computes' "6 ranks, every rank computing"
# both Slurm nodes are this one host: its 6 ranks share one node's --mem
expect pi_srun 'threads SLURM_CPUS_PER_TASK=1, memory limit SLURM_MEM_PER_NODE=1024 MiB / 6 ranks on this node \(more than SLURM_NTASKS_PER_NODE=3\)' \
  "threads and memory from Slurm's grant"
pi_srun="$(grep -E '^pi=' "$work/pi_srun.out" | tail -n 1 || true)"
same_bits pi_srun "${single%% *}" "${pi_srun%% *}"

submit pi_mpirun docs/slurm/pi_100gb.sbatch
expect pi_mpirun '^ *MPI: 6 ranks, layout: dask-mpi' "6 ranks in dask-mpi's layout"
pi_mpirun="$(grep -E '^pi=' "$work/pi_mpirun.out" | tail -n 1 || true)"
same_bits pi_mpirun "${single%% *}" "${pi_mpirun%% *}"

echo "== one process: examples/mpi_transpose_sum --one-process (writes x.zarr, 4000 x 4000 in 500 x 500 chunks)"
sum_single="$("$examples/mpi_transpose_sum" --path "$work" --one-process --n 4000 --chunk 500 | tail -n 1)"
echo "    $sum_single"
expected_sum="$(echo "$sum_single" | cut -d' ' -f1-2)"

submit transpose_sum scripts/slurm_transpose_sum.sbatch
mapfile -t sums < <(grep -E '^sum=' "$work/transpose_sum.out" | cut -d' ' -f1-2)
if [ "${#sums[@]}" != 2 ]; then
  fail transpose_sum "expected 2 sum= lines (srun and mpirun), found ${#sums[@]}"
fi
same_bits transpose_sum "$expected_sum" "${sums[0]}"
same_bits transpose_sum "$expected_sum" "${sums[1]}"

echo "== results"
printf '%-34s %s\n' "pi, one process:" "$single" \
  "pi, srun, 6 ranks:" "$pi_srun" \
  "pi, mpirun, 6 ranks, dask-mpi:" "$pi_mpirun" \
  "(x + x.T).sum(), one process:" "$expected_sum" \
  "(x + x.T).sum(), srun, 6 ranks:" "${sums[0]}" \
  "(x + x.T).sum(), mpirun, dask-mpi:" "${sums[1]}"
echo "Slurm tests passed in $((SECONDS - start_time)) s"
