#!/usr/bin/env bash
# Hosts on a real network. Makes three hosts as network namespaces (host1, host2, host3 at
# 10.77.0.1-3/24), each joined by a veth link to a bridge in a fourth namespace (the
# switch), runs mpirun on host1 and lets it start its daemons on host2 and host3 through
# scripts/netns_agent.sh (OpenMPI's rsh launcher pointed at it instead of ssh), one rank
# per host, all MPI traffic over TCP on 10.77.0.0/24. Then:
#   1. mpi_pi on the three hosts gives the same bits as pi_100gb in one process;
#   2. (x + x.T).sum() of a zarr array on the three hosts gives the same bits as in one
#      process, and ((x + x.T) * 2).to_zarr writes the same files, marked complete;
#   3. host3's link is cut (its switch port set down) in the middle of such a to_zarr:
#      spillway's error naming rank 2 on host3 must come within 10 s of the cut, every
#      rank's process must be gone within 10 s, and the store must not say it is complete
#      (its zarr.json says "complete": false and from_zarr refuses it).
# Every namespace, link and file it makes is removed at exit, also on failure.
#
#   scripts/netns_mpi.sh        (as root; needs iproute2, util-linux's unshare, OpenMPI)
#
# Exits 0 with a line saying it skipped when network namespaces cannot be made here.
# SPILLWAY_MPI_HEARTBEAT_TIMEOUT, when set, is passed to the job (default 5 s).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

skip() {
    echo "netns_mpi: skipped: $*"
    exit 0
}
[ "$(id -u)" = 0 ] || skip "network namespaces need root"
command -v ip >/dev/null || skip "iproute2's ip is not installed"
if ! command -v mpirun >/dev/null; then
    echo "mpirun not found; install OpenMPI: apt-get install -y libopenmpi-dev openmpi-bin libclang-dev" >&2
    exit 1
fi

prefix="spw$$-"
switch="${prefix}switch"
made=()
work=""
cleanup() {
    local status=$? ns pids
    set +e
    # the job's processes left in our namespaces (a daemon on the cut host), then the
    # namespaces with their links and bridge
    for ns in "${made[@]}"; do
        pids="$(ip netns pids "$ns" 2>/dev/null)"
        if [ -n "$pids" ]; then
            # shellcheck disable=SC2086
            kill -KILL $pids 2>/dev/null
        fi
    done
    for ns in "${made[@]}"; do
        ip netns del "$ns" 2>/dev/null
        rm -rf "/etc/netns/$ns"
    done
    rmdir /etc/netns 2>/dev/null
    [ -n "$work" ] && rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! err="$(ip netns add "${prefix}probe" 2>&1)"; then
    skip "cannot make a network namespace here (ip netns add: $err)"
fi
made+=("${prefix}probe")
if ! err="$(ip netns exec "${prefix}probe" unshare --uts -- true 2>&1)"; then
    echo "cannot give a host its own name: unshare --uts: $err" >&2
    exit 1
fi

echo "== build (release, --features mpi)"
cargo build --release --features mpi --example mpi_pi --example pi_100gb --example mpi_zarr
bin="${CARGO_TARGET_DIR:-$repo/target}/release/examples"

echo "== three hosts: network namespaces ${prefix}host1..3 on 10.77.0.0/24, bridged in $switch"
work="$(mktemp -d /tmp/netns-mpi.XXXXXX)"
ip netns add "$switch"
made+=("$switch")
ip -n "$switch" link set lo up
ip -n "$switch" link add br0 type bridge
ip -n "$switch" link set br0 up
for i in 1 2 3; do
    ns="${prefix}host$i"
    ip netns add "$ns"
    made+=("$ns")
    mkdir -p "/etc/netns/$ns"
    printf '127.0.0.1 localhost\n10.77.0.1 host1\n10.77.0.2 host2\n10.77.0.3 host3\n' >"/etc/netns/$ns/hosts"
    ip -n "$ns" link set lo up
    ip -n "$ns" link add eth0 type veth peer name "port$i" netns "$switch"
    ip -n "$ns" addr add "10.77.0.$i/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$switch" link set "port$i" master br0
    ip -n "$switch" link set "port$i" up
    # this network's hosts give up on a TCP peer that stopped acknowledging after about
    # 1.5 s (Linux's default, 15, waits about 15 min): mpirun, once the job is aborted,
    # waits for its daemon on a cut host until TCP gives up on it, and OpenMPI 4.1 has no
    # setting for that wait (its oob_tcp_keepalive_* apply to idle connections only)
    ip netns exec "$ns" sh -c 'echo 1 >/proc/sys/net/ipv4/tcp_retries2'
done

export NETNS_AGENT_PREFIX="$prefix"
export SPILLWAY_WORK_DIR="$work/jobs"
export SPILLWAY_MPI_TIMEOUT=120
mkdir -p "$SPILLWAY_WORK_DIR"

# runs a command on host1: in its network namespace, named after it
host1=(ip netns exec "${prefix}host1" unshare --uts -- sh -c 'hostname "$0" && exec "$@"' host1)

forward=(-x SPILLWAY_WORK_DIR -x SPILLWAY_MPI_TIMEOUT)
if [ -n "${SPILLWAY_MPI_HEARTBEAT_TIMEOUT:-}" ]; then
    forward+=(-x SPILLWAY_MPI_HEARTBEAT_TIMEOUT)
fi
# one rank per host; daemons started by mpirun itself through the agent; MPI's traffic
# and OpenMPI's own over TCP on the hosts' network only
mpi=(mpirun --allow-run-as-root --oversubscribe --host host1,host2,host3 -n 3
    --mca plm_rsh_agent "$repo/scripts/netns_agent.sh" --mca plm_rsh_no_tree_spawn 1
    --mca btl tcp,self --mca btl_tcp_if_include 10.77.0.0/24
    --mca oob_tcp_if_include 10.77.0.0/24 "${forward[@]}")

# bytes through each host's link so far
traffic() {
    local i
    for i in 1 2 3; do
        printf 'host%s %s/%s  ' "$i" \
            "$(ip netns exec "${prefix}host$i" cat /sys/class/net/eth0/statistics/rx_bytes)" \
            "$(ip netns exec "${prefix}host$i" cat /sys/class/net/eth0/statistics/tx_bytes)"
    done
    echo "(bytes received/sent on eth0)"
}

echo "== mpi_pi on host1..3 against pi_100gb in one process"
flags=(--size 200MB --chunks 12 --threads-per-worker 1 --memory-limit 256MB --seed 7)
single="$("$bin/pi_100gb" "${flags[@]}" --no-progress | tail -n 1)"
many="$(timeout 120 "${host1[@]}" "${mpi[@]}" "$bin/mpi_pi" "${flags[@]}" | tail -n 1)"
echo "one process: $single"
echo "3 hosts:     $many"
if [ "${single%% *}" != "${many%% *}" ]; then
    echo "the pi estimates differ" >&2
    exit 1
fi

echo "== (x + x.T).sum() and ((x + x.T) * 2).to_zarr of a zarr array on host1..3 against one process"
"$bin/mpi_zarr" input "$work/in" --n 1200 --chunk 100
single="$("$bin/mpi_zarr" sum "$work/in" | tail -n 1)"
many="$(timeout 120 "${host1[@]}" "${mpi[@]}" "$bin/mpi_zarr" sum "$work/in" --mpi | tail -n 1)"
echo "one process: $single"
echo "3 hosts:     $many"
bits() { sed -n 's/.* bits=\([0-9a-f]*\) .*/\1/p' <<<"$1"; }
if [ -z "$(bits "$single")" ] || [ "$(bits "$single")" != "$(bits "$many")" ]; then
    echo "the zarr-backed sums differ" >&2
    exit 1
fi
"$bin/mpi_zarr" write "$work/in" "$work/one.zarr" | tail -n 1
timeout 120 "${host1[@]}" "${mpi[@]}" "$bin/mpi_zarr" write "$work/in" "$work/hosts.zarr" --mpi | tail -n 1
diff -r "$work/one.zarr" "$work/hosts.zarr"
echo "the same files; from_zarr: $("$bin/mpi_zarr" check "$work/hosts.zarr")"
traffic

echo "== host3's link cut in the middle of a to_zarr on host1..3"
out="$work/cut.zarr"
log="$work/cut.log"
# odls_base_sigkill_timeout 0: mpirun kills what is left of an aborted job at once
# instead of a second after its SIGTERM (that second is spent before it tells the other
# hosts' daemons; spillway's error is printed before the abort)
(
    timeout 60 "${host1[@]}" "${mpi[@]}" --mca odls_base_sigkill_timeout 0 \
        "$bin/mpi_zarr" write "$work/in" "$out" --rounds 600 --mpi 2>&1 |
        while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done >"$log"
) &
job=$!
# under way: the store exists and holds a chunk
for _ in $(seq 1 300); do
    if [ -d "$out/c" ] && [ -n "$(find "$out/c" -type f -print -quit)" ]; then
        break
    fi
    sleep 0.1
done
sleep 1
kill -0 "$job" 2>/dev/null || { cat "$log"; echo "the job ended before the cut" >&2; exit 1; }
cut_at=$EPOCHREALTIME
ip -n "$switch" link set port3 down
echo "cut host3's link (its switch port down) with $(find "$out/c" -type f | wc -l) of 144 chunks written"

since() { awk -v a="$cut_at" -v b="$1" 'BEGIN { printf "%.1f", b - a }'; }
# the names of the processes running on the hosts, one a line as host:name
processes() {
    local i pid
    for i in 1 2 3; do
        for pid in $(ip netns pids "${prefix}host$i"); do
            echo "host$i:$(cat "/proc/$pid/comm" 2>/dev/null)"
        done
    done
}
ranks_left() { processes | grep -c ':mpi_zarr$' || true; }
error_at="" gone_at="" end_at=""
while :; do
    now=$EPOCHREALTIME
    if [ -z "$error_at" ]; then
        line="$(grep -m1 'error: rank 2 on host3 is unreachable' "$log" || true)"
        [ -n "$line" ] && error_at="${line%% *}"
    fi
    if [ -z "$gone_at" ] && [ "$(ranks_left)" = 0 ]; then
        gone_at=$now
    fi
    if ! kill -0 "$job" 2>/dev/null; then
        end_at=$now
        break
    fi
    if [ "$(since "$now" | cut -d. -f1)" -ge 30 ]; then
        echo "mpirun still runs 30 s after the cut: the script ends it" >&2
        # shellcheck disable=SC2046
        kill -KILL $(ip netns pids "${prefix}host1") 2>/dev/null || true
        break
    fi
    sleep 0.1
done
if wait "$job" 2>/dev/null; then status=0; else status=$?; fi
[ -z "$gone_at" ] && [ "$(ranks_left)" = 0 ] && gone_at=$EPOCHREALTIME
left="$(processes | tr '\n' ' ')"

sed 's/^[0-9.]* //' "$log" | grep -E '^error:|MPI_ABORT' || true
failed=0
if [ -n "$error_at" ]; then
    echo "spillway's error naming rank 2 on host3: $(since "$error_at") s after the cut"
else
    echo "no error naming rank 2 on host3 came" >&2
    failed=1
fi
if [ -n "$gone_at" ]; then
    echo "every rank's process gone: $(since "$gone_at") s after the cut"
else
    echo "ranks still run: $left" >&2
    failed=1
fi
if [ -n "$end_at" ]; then
    echo "mpirun ended: $(since "$end_at") s after the cut (exit status $status)"
else
    echo "mpirun did not end by itself" >&2
    failed=1
fi
echo "left in the hosts' namespaces (removed at exit): ${left:-nothing}"
for at in "$error_at" "$gone_at" "$end_at"; do
    if [ -n "$at" ] && awk -v a="$cut_at" -v b="$at" 'BEGIN { exit !(b - a > 10) }'; then
        echo "later than 10 s after the cut" >&2
        failed=1
    fi
done
if ! grep -Eq '"complete"[[:space:]]*:[[:space:]]*false' "$out/zarr.json"; then
    echo "the cut store's zarr.json does not say it is incomplete:" >&2
    cat "$out/zarr.json" >&2
    failed=1
fi
if check="$("$bin/mpi_zarr" check "$out")"; then
    echo "from_zarr opens the cut store as complete: $check" >&2
    failed=1
else
    echo "the cut store: zarr.json says \"complete\": false; from_zarr: $check"
fi
traffic
if [ "$failed" != 0 ]; then
    echo "--- mpirun's output"
    cat "$log"
    exit 1
fi
echo "netns MPI tests passed"
