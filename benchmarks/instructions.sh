#!/usr/bin/env bash
# Instructions Herald executes per proxied request and per delivered event, counted by valgrind's
# cachegrind: on this VM the CPU time of one binary moves by half between runs, an instruction
# count by a fraction of a percent, so this is how two builds of a hot path are compared.
#
#   proxy:  one loop, the nginx upstream of servers.sh, wrk (16 connections) stopping after N
#           requests; (instructions after 12,000 − after 2,000) / 10,000, start-up cancelled out.
#   fanout: one loop, 500 subscribers (herald-bench), events published at 200/s; (instructions
#           after 1,200 events − after 200) / (1,000 × 500). Under valgrind events arrive in fewer
#           or more per sweep from run to run, so this one moves by a few percent.
#
# Usage: benchmarks/instructions.sh HERALD_BINARY...   (e.g. two builds side by side)
# Needs valgrind, wrk, nginx; HERALD_BENCH (default .build/release/herald-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 HERALD_BINARY..." >&2; exit 2; }
command -v valgrind >/dev/null && command -v wrk >/dev/null && command -v nginx >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq valgrind wrk nginx >/dev/null; }
bench=${HERALD_BENCH:-$PWD/.build/release/herald-bench}
[ -x "$bench" ] || swift build -c release --product herald-bench >&2

source benchmarks/servers.sh
work=$(mktemp -d)
counting=
trap 'if [ -n "$counting" ]; then kill "$counting" 2>/dev/null || true; fi; stop_servers; rm -rf "$work"' EXIT
start_upstream "$work" 1
herald_config "$work/herald.conf" 1
# wrk has no request count: this script stops its thread after $LIMIT responses.
cat > "$work/stop.lua" <<'LUA'
local n, limit = 0, tonumber(os.getenv("LIMIT"))
response = function() n = n + 1; if n >= limit then wrk.thread:stop() end end
LUA

# counted BINARY LOAD N: runs Herald under cachegrind through `LOAD N`, prints its instruction count.
counted() {
    local binary=$1 load=$2 n=$3
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$binary" --config "$work/herald.conf" \
        2>"$work/valgrind.err" &
    counting=$!
    wait_http http://127.0.0.1:18401/healthz
    "$load" "$n"
    kill "$counting"
    wait "$counting" || true
    counting=
    grep "I *refs" "$work/valgrind.err" | tr -d ',' | awk '{print $NF}'
}

proxy_load() {
    LIMIT=$1 timeout 120 wrk -t1 -c16 -d15s -s "$work/stop.lua" http://127.0.0.1:18400/ >/dev/null
}

fanout_load() {
    local n=$1
    "$bench" subscribe --url http://127.0.0.1:18400/events/bench --connections 500 --expect-events "$n" \
        --quiet-exit 5s --duration-limit 120s >"$work/subscribe.out" 2>"$work/subscribe.err" &
    local subscribers=$!
    for _ in $(seq 300); do grep -q READY "$work/subscribe.out" 2>/dev/null && break; sleep 0.1; done
    "$bench" publish --url http://127.0.0.1:18401/publish/bench --count "$n" --rate 200 >/dev/null 2>&1
    wait "$subscribers"
    grep -q "lost 0, duplicated 0" "$work/subscribe.out" || { cat "$work/subscribe.out" "$work/subscribe.err" > "$work/lost"; }
}

for binary in "$@"; do
    # valgrind 3.19 cannot read the DWARF 5 a Swift build writes: count a copy without it.
    plain=$work/$(basename "$binary").nodebug
    objcopy --strip-debug "$binary" "$plain"
    a=$(counted "$plain" proxy_load 2000)
    b=$(counted "$plain" proxy_load 12000)
    c=$(counted "$plain" fanout_load 200)
    d=$(counted "$plain" fanout_load 1200)
    if [ -e "$work/lost" ]; then echo "a fanout run lost events:" >&2; cat "$work/lost" >&2; exit 1; fi
    echo "$binary: $(( (b - a) / 10000 )) instructions per proxied request, $(( (d - c) / 500000 )) per delivery"
done
