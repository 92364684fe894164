#!/usr/bin/env bash
# The docs' Slurm batch files on a real one-node Slurm (scripts/slurm_cluster.sh), at a CI
# size: each is submitted with `sbatch --wait`, with the account, partition and sizes
# given on the command line as a user would, and its pi must be the same bits as
# examples/pi_100gb in one process.
#
#   scripts/slurm_ci.sh [SIZE]     (default 200MB of points)
#
# Needs root, OpenMPI, slurm-wlm and munge (installed here when missing), and the mpi_pi
# example built with --features mpi.
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-200MB}"

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  sudo=""; if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then sudo="sudo"; fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
bash scripts/slurm_cluster.sh start

cargo build --release --features mpi --example mpi_pi --example pi_100gb
single="$(target/release/examples/pi_100gb --size "$size" --chunks 40 --no-progress | tail -n 1)"
echo "one process: $single"

work="$(mktemp -d "$PWD/target/slurm-ci.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# the batch files call `module`, which this machine does not have
module() { :; }
export -f module

run_batch() {
  local file="$1"; shift
  local out="$work/$(basename "$file").out"
  echo "== sbatch --wait $file $*"
  SPILLWAY_WORK_DIR="$work" PI_SIZE="$size" SPILLWAY_MPI_TIMEOUT=60 timeout 600 \
    sbatch --wait --account=ci --partition=ci --nodes=1 --overcommit --time=00:10:00 \
      --output="$out" "$@" "$file" || { cat "$out" >&2 || true; return 1; }
  local got
  got="$(grep -E '^pi=' "$out" | tail -n 1 || true)"
  echo "$(basename "$file"): $got"
  if [ "${single%% *}" != "${got%% *}" ]; then
    echo "the pi from $file differs from one process's; its output:" >&2
    cat "$out" >&2
    return 1
  fi
}

run_batch docs/slurm/pi_100gb_srun.sbatch --ntasks-per-node=3 --cpus-per-task=1 --mem=3G
run_batch docs/slurm/pi_100gb.sbatch --ntasks-per-node=6 --cpus-per-task=1 --mem=3G
bash scripts/slurm_cluster.sh stop
echo "Slurm tests passed"
