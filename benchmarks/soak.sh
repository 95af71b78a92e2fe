#!/usr/bin/env bash
# Soak: Herald for MINUTES under churn, checking that nothing is lost or repeated and that memory
# and descriptors stay flat. 10,000 SSE subscribers (two herald-bench processes) on one channel,
# 100 events/s published to it, 1 % of the subscribers a second closing their stream and opening
# another with their Last-Event-ID (a browser after a network change), and beside it a steady wrk
# load through the proxy to an nginx upstream, at the lowest CPU priority so that it takes what the
# rest leaves. Every 10 s it samples Herald's RSS and open descriptors; the subscribers print their
# latency every 10 s; wrk reports each minute. At the end benchmarks/soak_report.py prints the
# figures, draws soak.png, and fails the run on any lost or duplicated event, a subscriber that
# failed or whose reconnect failed, or descriptors that drift.
#
# Usage: benchmarks/soak.sh MINUTES
# Environment (optional): OUT (result folder, default bench-results/soak-<time>), SUBSCRIBERS
# (10000), RATE (events/s, 100), RECONNECT_PERCENT (per second, 1), HERALD_BIN, HERALD_BENCH
# (built when unset).
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=${1:-}
[[ "$minutes" =~ ^[1-9][0-9]*$ ]] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
subscribers=${SUBSCRIBERS:-10000}
rate=${RATE:-100}
reconnect_percent=${RECONNECT_PERCENT:-1}
events=$((minutes * 60 * rate))
out=${OUT:-bench-results/soak-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

scripts/ensure-packages --soak
if [[ -z "${HERALD_BIN:-}" ]]; then
    swift build -c release --product herald >&2
    HERALD_BIN=$PWD/.build/release/herald
fi
if [[ -z "${HERALD_BENCH:-}" ]]; then
    swift build -c release --product herald-bench >&2
    HERALD_BENCH=$PWD/.build/release/herald-bench
fi
export HERALD_BIN

source benchmarks/servers.sh
all_cpus=0-$(($(nproc) - 1))
load_pids=()
cleanup() {
    local pid
    for pid in "${load_pids[@]}"; do pkill -TERM -P "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
    stop_servers
}
trap cleanup EXIT

start_upstream "$out" "$all_cpus"
start_herald "$out" "$all_cpus" "$(nproc)"
herald_pid=$SERVER_PIDS
echo "soak: herald $herald_pid, $subscribers subscribers, $rate events/s for $minutes min, $reconnect_percent %/s reconnecting; results in $out" >&2

# Samples: seconds since start, Herald's RSS (KiB) and open descriptors, every 10 s until stopped.
sample() {
    local start=$SECONDS
    echo "seconds,rss_kib,fds" > "$out/samples.csv"
    while kill -0 "$herald_pid" 2>/dev/null; do
        echo "$((SECONDS - start)),$(server_rss_kib),$(ls "/proc/$herald_pid/fd" | wc -l)" >> "$out/samples.csv"
        sleep 10
    done
}

# Subscribers: two processes, each from its own source addresses.
processes=2
for ((p = 0; p < processes; p++)); do
    "$HERALD_BENCH" subscribe --url "$SUB_URL" --connections $((subscribers / processes)) \
        --source-addresses "$(seq -s, -f "127.0.$((p + 1)).%g" 1 4)" --expect-events "$events" \
        --reconnect-percent "$reconnect_percent" --progress-interval 10s --quiet-exit 30s \
        --duration-limit "$((minutes * 60 + 300))s" --label "subscribe-$p" --report "$out/subscribe-$p.json" \
        > "$out/subscribe-$p.out" 2> "$out/subscribe-$p.err" &
    load_pids+=($!)
done
subscriber_pids=("${load_pids[@]}")
deadline=$((SECONDS + 300))
for ((p = 0; p < processes; p++)); do
    until grep -q '^READY ' "$out/subscribe-$p.out" 2>/dev/null; do
        kill -0 "${subscriber_pids[p]}" 2>/dev/null || { cat "$out/subscribe-$p.err" >&2; exit 1; }
        [[ $SECONDS -lt $deadline ]] || { echo "soak: subscribers not ready after 300 s" >&2; exit 1; }
        sleep 0.5
    done
done
echo "soak: $(cat "$out"/subscribe-*.out | grep -h '^READY' | tr '\n' ' ')" >&2

sample &
load_pids+=($!)
# The proxy load: one wrk run a minute, for as long as the events are published.
(
    for ((m = 1; m <= minutes; m++)); do
        nice -n 19 wrk -t1 -c16 -d60s --latency "$PROXY_URL" > "$out/wrk-$m.txt" 2>&1 || true
    done
) &
load_pids+=($!)

"$HERALD_BENCH" publish --url "$PUB_URL" --count "$events" --rate "$rate" --report "$out/publish.json" \
    > "$out/publish.out" 2> "$out/publish.err" || { cat "$out/publish.err" >&2; exit 1; }
# The subscribers end once each has every event (or 30 s after the last, or at their limit).
for pid in "${subscriber_pids[@]}"; do wait "$pid" || true; done
sleep 10 # one more sample, with the load gone
cleanup
trap - EXIT
# The report draws with matplotlib: Debian's, for Debian's python3, unless the first on PATH has one.
python=python3
python3 -c 'import matplotlib' 2>/dev/null || python=/usr/bin/python3
"$python" benchmarks/soak_report.py "$out"
