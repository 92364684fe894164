#!/usr/bin/env bash
# Screenshot of the live dashboard: builds and starts examples/dashboard.rs in the
# background, waits for its port, renders the page in headless Chromium and checks the PNG.
#
#   scripts/dashboard_screenshot.sh [PORT]      (default 8787, 0 for any free port;
#                                                output target/dashboard.png)
#
# Needs Debian's chromium (`apt-get install -y chromium`). PROFILE=dev builds without
# --release (faster to build, slower to run).
set -euo pipefail
cd "$(dirname "$0")/.."

port="${1:-8787}"
out="target/dashboard.png"
profile="${PROFILE:-release}"
chromium_bin="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$chromium_bin" ]; then
    echo "chromium not found; install it with: apt-get install -y chromium" >&2
    exit 1
fi

if [ "$profile" = "release" ]; then
    cargo build --release --example dashboard
    bin="target/release/examples/dashboard"
else
    cargo build --example dashboard
    bin="target/debug/examples/dashboard"
fi

mkdir -p target
rm -f "$out"
log="target/dashboard-example.log"
"$bin" --port "$port" --seconds 60 >"$log" 2>&1 &
example_pid=$!
profile_dir="$(mktemp -d)"
cleanup() {
    kill "$example_pid" 2>/dev/null || true
    wait "$example_pid" 2>/dev/null || true
    rm -rf "$profile_dir"
}
trap cleanup EXIT

# Wait (up to 60 s) for the example to print its URL (port 0: the OS picked the port),
# then for the page to answer.
url=""
for _ in $(seq 1 600); do
    if ! kill -0 "$example_pid" 2>/dev/null; then
        echo "the example exited early:" >&2
        cat "$log" >&2
        exit 1
    fi
    url="$(sed -n 's|^dashboard at \(http://[^ ]*\)/status$|\1/|p' "$log" | head -n 1)"
    [ -n "$url" ] && break
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "the example printed no dashboard URL:" >&2
    cat "$log" >&2
    exit 1
fi
port="${url##*:}"
port="${port%/}"
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        break
    fi
    sleep 0.1
done
# Let a few computations run so the page has data to draw.
sleep 3

# --virtual-time-budget lets the page's polling and drawing run before the capture.
timeout 120 "$chromium_bin" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --user-data-dir="$profile_dir" --hide-scrollbars \
    --window-size=1280,900 --virtual-time-budget=3000 \
    --screenshot="$out" "$url" >/dev/null 2>&1 || true

if [ ! -f "$out" ]; then
    echo "no screenshot was written to $out" >&2
    exit 1
fi
size=$(wc -c <"$out")
if [ "$size" -le 10240 ]; then
    echo "screenshot $out is only $size bytes; the page did not render" >&2
    exit 1
fi
echo "dashboard screenshot: $out ($size bytes)"
head -n 8 "$log"
