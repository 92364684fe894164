#!/usr/bin/env bash
# Runs two builds of the pi, out-of-core and matmul examples alternately, in one sitting, and
# prints each run's figures: the way a change is shown to keep the speed (ratios within one
# run; absolute times drift on shared machines).
#
#   scripts/ab_examples.sh OLD_DIR NEW_DIR [ROUNDS]
#
# OLD_DIR and NEW_DIR each hold the release binaries pi_100gb, transpose_sum_ooc and
# matmul_ooc (e.g. `git worktree add /tmp/old REV && cargo build --release --example ...`
# there, copying target/release/examples/{pi_100gb,transpose_sum_ooc,matmul_ooc}).
# Sizes: SIZE (pi, default 16GB), N and CHUNK (transpose_sum_ooc, default 8000 and 1000),
# MM_N and MM_CHUNK (matmul_ooc, default 4000 and 1000); the stores go under WORK
# (default a temporary directory, removed at the end).
set -euo pipefail
old=$1 new=$2 rounds=${3:-3}
size=${SIZE:-16GB} n=${N:-8000} chunk=${CHUNK:-1000} mm_n=${MM_N:-4000} mm_chunk=${MM_CHUNK:-1000}
work=${WORK:-$(mktemp -d)}
trap 'rm -rf "$work"/ab-*' EXIT

for round in $(seq "$rounds"); do
  for side in old new; do
    dir=${!side}
    pi=$("$dir/pi_100gb" --size "$size" --memory-limit 1GB | tail -n 1)
    echo "round=$round side=$side pi: $pi"
    "$dir/transpose_sum_ooc" --path "$work/ab-$side" --n "$n" --chunk "$chunk" \
      --memory-limit 256MB --steps abc | grep '^step=' | sed "s/^/round=$round side=$side ooc: /"
    rm -rf "$work/ab-$side"
    mm=$("$dir/matmul_ooc" --n "$mm_n" --chunk "$mm_chunk" --memory-limit 256MB | tail -n 1)
    echo "round=$round side=$side matmul: $mm"
  done
done
