#!/usr/bin/env bash
# Herald's SSE fan-out figures: starts Herald (one loop, pinned to core 0, limits raised for the
# load), runs benchmarks/sse.sh against it with the load on core 1, and reports Herald's RSS
# before subscribers, with all of them idle, and after the run.
# Usage: benchmarks/herald-sse.sh N M RATE|burst    (e.g. 10000 2000 burst, or 10000 500 50)
set -euo pipefail
cd "$(dirname "$0")/.."
subscribers=${1:?N}; events=${2:?M}; rate=${3:?RATE or burst}
threads=${THREADS:-1}

swift build -c release --product herald >&2 && swift build -c release --product herald-bench >&2
work=$(mktemp -d)
cat > "$work/herald.conf" <<CONF
[server]
listen = "127.0.0.1:18280"
threads = $threads
max_connections = 100000
[upstream]
url = "http://127.0.0.1:18283"
[publish]
listen = "127.0.0.1:18281"
[limits]
max_subscribers_per_ip = 100000
[log]
access = "off"
level = "warning"
CONF
cpus=0; [ "$threads" -gt 1 ] && cpus=0,1
taskset -c "$cpus" .build/release/herald --config "$work/herald.conf" & herald=$!
trap 'kill $herald 2>/dev/null; wait $herald 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
rss() { awk '/VmRSS/ {print $2}' /proc/$herald/status; }
echo "herald RSS with no subscribers: $(rss) kB"
( while kill -0 $herald 2>/dev/null; do rss > "$work/rss"; sleep 0.5; done ) & sampler=$!
HERALD_BENCH=.build/release/herald-bench BENCH_CPUS=1 OUT=${OUT:-bench-results/herald-sse-$(date +%H%M%S)} \
    benchmarks/sse.sh http://127.0.0.1:18280/events/bench http://127.0.0.1:18281/publish/bench \
    "$subscribers" "$events" "$rate"
kill $sampler 2>/dev/null || true
echo "herald RSS after the run (subscribers closed): $(rss) kB; peak $(awk '/VmHWM/ {print $2}' /proc/$herald/status) kB"
