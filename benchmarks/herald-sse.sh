#!/usr/bin/env bash
# Herald's SSE fan-out alone: starts Herald as compare.sh does (benchmarks/servers.sh: one loop,
# core 0, limits raised for the load; THREADS=2 for both cores) and runs benchmarks/sse.sh against
# it with the load on core 1. sse.sh reports Herald's RSS with no subscriber and with all of them
# idle (bytes per idle subscriber), and its CPU per delivery.
# Usage: benchmarks/herald-sse.sh N M RATE|burst    (e.g. 10000 2000 burst, or 10000 500 50)
set -euo pipefail
cd "$(dirname "$0")/.."
subscribers=${1:?N}; events=${2:?M}; rate=${3:?RATE or burst}
threads=${THREADS:-1}
cpus=0; [ "$threads" -gt 1 ] && cpus=0,1

swift build -c release --product herald >&2 && swift build -c release --product herald-bench >&2
export HERALD_BIN=$PWD/.build/release/herald
source benchmarks/servers.sh
work=$(mktemp -d)
trap 'stop_servers; rm -rf "$work"' EXIT
start_herald "$work" "$cpus" "$threads"
HERALD_BENCH=.build/release/herald-bench BENCH_CPUS=1 SERVER_PIDS="$SERVER_PIDS" \
    OUT=${OUT:-bench-results/herald-sse-$(date +%H%M%S)} \
    benchmarks/sse.sh "$SUB_URL" "$PUB_URL" "$subscribers" "$events" "$rate"
