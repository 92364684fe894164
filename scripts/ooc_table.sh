#!/usr/bin/env bash
# The out-of-core table of docs/performance.md: spillway against its floor and against
# Dask, cold, on one zarr array per chunking.
#
#   scripts/ooc_table.sh [--n 20000] [--chunks "4000 2000 1000"] [--steps "a c b"]
#                        [--dir DIR] [--python PY] [--budget 1GB] [--no-dask]
#
# For each chunk width C it makes (once) DIR/cC/x.zarr, an N x N float64 array of uniform
# random values in C x C chunks (spillway's default codec, zstd level 1), then for each
# step: drops the page cache, runs `transpose_sum_ooc --floor --steps S` (the disk and the
# codec floor measured in the same run; the floor's pass leaves x out of the cache), drops
# the page cache again and runs scripts/ooc_dask.py on the same array with as many
# threads. One line per step:
#
#   chunk=C step=S spillway_s=.. floor_s=.. floor_ratio=.. dask_s=.. dask_over_spillway=..
#
# followed by the spillway run's time breakdown. Dropping the page cache needs root;
# without it the steps run warm and the script says so. Needs a release build of the
# example (`cargo build --release --example transpose_sum_ooc`) and, unless --no-dask,
# a Python with dask and zarr (--python, default python3).
set -euo pipefail

n=20000
chunks="4000 2000 1000"
steps="a c b"
dir="${TMPDIR:-/tmp}/spillway-ooc-table"
python=python3
budget=1GB
dask=1
while [ $# -gt 0 ]; do
    case "$1" in
        --n) n="$2"; shift 2 ;;
        --chunks) chunks="$2"; shift 2 ;;
        --steps) steps="$2"; shift 2 ;;
        --dir) dir="$2"; shift 2 ;;
        --python) python="$2"; shift 2 ;;
        --budget) budget="$2"; shift 2 ;;
        --no-dask) dask=0; shift ;;
        *) echo "ooc_table.sh: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
example="$root/target/release/examples/transpose_sum_ooc"
if [ ! -x "$example" ]; then
    echo "ooc_table.sh: build the example first: cargo build --release --example transpose_sum_ooc" >&2
    exit 2
fi

cold=1
drop_cache() {
    sync
    if ! { echo 3 > /proc/sys/vm/drop_caches; } 2>/dev/null; then
        if [ "$cold" = 1 ]; then
            echo "ooc_table.sh: cannot drop the page cache (not root): the steps run warm" >&2
        fi
        cold=0
    fi
}

# the value of the first ` key=` (a whole word: not `decode_seconds=` for `seconds`) in stdin
field() { grep -oE "(^| )$1=[^ ]*" | head -1 | cut -d= -f2; }

for c in $chunks; do
    work="$dir/c$c"
    mkdir -p "$work"
    # make x once (the creation is not a step)
    "$example" --path "$work" --n "$n" --chunk "$c" --memory-limit "$budget" --steps a --keep \
        > "$work/create.log"
    for s in $steps; do
        drop_cache
        out="$("$example" --path "$work" --n "$n" --chunk "$c" --memory-limit "$budget" \
            --floor --steps "$s" --keep)"
        secs="$(echo "$out" | field seconds)"
        floor_line="$(echo "$out" | grep "step $s: floor" || true)"
        floor="$(echo "$floor_line" | sed -n 's/.*floor \([0-9.]*\) s.*/\1/p')"
        ratio="$(echo "$floor_line" | sed -n 's/.*ratio \([0-9.]*\)$/\1/p')"
        line="chunk=$c step=$s spillway_s=$secs floor_s=$floor floor_ratio=$ratio"
        if [ "$dask" = 1 ]; then
            drop_cache
            d="$("$python" "$root/scripts/ooc_dask.py" "$work/x.zarr" --step "$s" | field seconds)"
            line="$line dask_s=$d dask_over_spillway=$(python3 -c "print(f'{$d / $secs:.2f}')")"
        fi
        echo "$line cold=$cold"
        echo "$out" | grep "step $s: " | grep -v "floor\|bandwidth" | sed 's/^/    /'
    done
done
