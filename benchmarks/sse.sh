#!/usr/bin/env bash
# SSE fan-out benchmark: N subscribers spread over several `herald-bench subscribe` processes (the
# open-file limit is 20,000 per process), one `herald-bench publish` of M events once all are
# subscribed, then one merged report. Starts no server: point it at one that is already running.
#
# Usage: benchmarks/sse.sh SUBSCRIBE_URL PUBLISH_URL N M RATE|burst
#   e.g. benchmarks/sse.sh http://127.0.0.1:8080/events/bench http://127.0.0.1:8081/publish/bench 10000 200 50
#   SUBSCRIBE_URL may list several servers' URLs, comma-separated (instances of one cluster): the
#   subscribers are split evenly over them, one process or more per URL.
# Environment (all optional):
#   HERALD_BENCH         the herald-bench binary (default: built into .build-bench)
#   OUT                  result directory (default: bench-results/sse-<time>)
#   MAX_PER_PROCESS      subscribers per process at most (default 9000)
#   SOURCES_PER_PROCESS  127.0.<p>.1… source addresses per process (default 4)
#   CONNECT_CONCURRENCY  connects in flight, all processes together (default 32, see PEERS.md)
#   DURATION_LIMIT       subscriber time limit (default 120s, plus M/RATE when paced)
#   QUIET_EXIT           subscribers end after this long without events (default 10s)
#   READY_TIMEOUT        seconds to wait for every READY (default 300)
#   PUBLISH_CONCURRENCY  publisher connections (default 1)
#   BODY_TEMPLATE CONTENT_TYPE PADDING PUBLISH_HEADER   passed to publish (see benchmarks/README.md)
#   SUBSCRIBE_HEADER     one extra header for subscribers
#   BENCH_CPUS           taskset CPU list for the load processes (e.g. 1 when the server is on 0)
#   SERVER_PIDS          the server's processes (space-separated): their RSS before subscribing and
#                        with every subscriber in, and their CPU from READY to the end, per delivery
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -ne 5 ]; then
    sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
subscribe_url=$1; publish_url=$2; subscribers=$3; events=$4; rate=$5
case "$subscribers$events" in *[!0-9]*) echo "N and M must be numbers" >&2; exit 2;; esac
[ "$rate" = burst ] || [[ "$rate" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "RATE must be a number or 'burst'" >&2; exit 2; }

bench=${HERALD_BENCH:-}
if [ -z "$bench" ]; then
    swift build -c release --scratch-path .build-bench --product herald-bench >&2
    bench=.build-bench/release/herald-bench
fi
out=${OUT:-bench-results/sse-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
max_per_process=${MAX_PER_PROCESS:-9000}
sources_per_process=${SOURCES_PER_PROCESS:-4}
IFS=, read -r -a subscribe_urls <<< "$subscribe_url"
urls=${#subscribe_urls[@]}
processes=$(( (subscribers + max_per_process - 1) / max_per_process ))
# With several URLs, as many processes for each (process p subscribes to URL p mod urls).
processes=$(( (processes + urls - 1) / urls * urls ))
connect_total=${CONNECT_CONCURRENCY:-32}
connect_per_process=$(( (connect_total + processes - 1) / processes ))
if [ -n "${DURATION_LIMIT:-}" ]; then
    duration_limit=$DURATION_LIMIT
elif [ "$rate" = burst ]; then
    duration_limit=120s
else
    duration_limit=$(python3 -c "import math; print(f'{120 + math.ceil($events / $rate)}s')")
fi
pin=()
[ -n "${BENCH_CPUS:-}" ] && pin=(taskset -c "$BENCH_CPUS")

# The server's resident memory (kB, summed) and CPU time (clock ticks, summed over its processes).
server_rss() { local kib=0 pid; for pid in ${SERVER_PIDS:-}; do kib=$((kib + $(awk '/VmRSS/ {print $2}' /proc/$pid/status))); done; echo $kib; }
server_ticks() { local ticks=0 pid; for pid in ${SERVER_PIDS:-}; do ticks=$((ticks + $(awk '{print $14 + $15}' /proc/$pid/stat))); done; echo $ticks; }
rss_before=$(server_rss); ticks_before=$(server_ticks)

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

# Subscribers: process p holds its share and binds 127.0.p+1.1…SOURCES_PER_PROCESS.
for ((p = 0; p < processes; p++)); do
    share=$(( subscribers / processes + (p < subscribers % processes ? 1 : 0) ))
    sources=$(seq -s, -f "127.0.$((p + 1)).%g" 1 "$sources_per_process")
    extra=()
    [ -n "${SUBSCRIBE_HEADER:-}" ] && extra+=(--header "$SUBSCRIBE_HEADER")
    "${pin[@]}" "$bench" subscribe --url "${subscribe_urls[p % urls]}" --connections "$share" --source-addresses "$sources" \
        --connect-concurrency "$connect_per_process" --duration-limit "$duration_limit" \
        --quiet-exit "${QUIET_EXIT:-10s}" --expect-events "$events" --label "subscribe-$p" \
        --report "$out/subscribe-$p.json" "${extra[@]}" >"$out/subscribe-$p.out" 2>"$out/subscribe-$p.err" &
    pids+=($!)
done
echo "sse: $subscribers subscribers in $processes process(es) → $subscribe_url; results in $out" >&2

# Wait (bounded) for every READY line.
ready_timeout=${READY_TIMEOUT:-300}
deadline=$(( SECONDS + ready_timeout ))
while :; do
    ready=0; established=0
    for ((p = 0; p < processes; p++)); do
        line=$(grep -m1 '^READY ' "$out/subscribe-$p.out" 2>/dev/null || true)
        if [ -n "$line" ]; then
            ready=$((ready + 1)); established=$((established + ${line#READY }))
        elif ! kill -0 "${pids[$p]}" 2>/dev/null; then
            echo "subscribe-$p exited before READY:" >&2; cat "$out/subscribe-$p.err" >&2; exit 1
        fi
    done
    [ "$ready" -eq "$processes" ] && break
    if [ $SECONDS -ge $deadline ]; then echo "not READY after ${ready_timeout}s" >&2; exit 1; fi
    sleep 0.2
done
echo "sse: READY, $established of $subscribers subscribed" >&2
sleep 1  # let the last subscribe settle before the memory reading
rss_ready=$(server_rss); ticks_ready=$(server_ticks)
[ "$established" -gt 0 ] || { cat "$out"/subscribe-*.err >&2; exit 1; }

# One publisher.
publish_args=(--url "$publish_url" --count "$events" --rate "$rate" --concurrency "${PUBLISH_CONCURRENCY:-1}"
              --report "$out/publish.json" --label publish)
[ -n "${BODY_TEMPLATE:-}" ] && publish_args+=(--body-template "$BODY_TEMPLATE")
[ -n "${CONTENT_TYPE:-}" ] && publish_args+=(--content-type "$CONTENT_TYPE")
[ -n "${PADDING:-}" ] && publish_args+=(--padding "$PADDING")
[ -n "${PUBLISH_HEADER:-}" ] && publish_args+=(--header "$PUBLISH_HEADER")
"${pin[@]}" "$bench" publish "${publish_args[@]}" | tee "$out/publish.out" >&2 || echo "publish failed" >&2

# Subscribers end by themselves: all complete, quiet, or their duration limit.
for pid in "${pids[@]}"; do wait "$pid" || true; done
pids=()
ticks_end=$(server_ticks)
printf '{"rss_before_kib": %d, "rss_ready_kib": %d, "storm_cpu_seconds": %s, "cpu_seconds": %s}\n' \
    "$rss_before" "$rss_ready" "$(python3 -c "print(($ticks_ready - $ticks_before) / $(getconf CLK_TCK))")" \
    "$(python3 -c "print(($ticks_end - $ticks_ready) / $(getconf CLK_TCK))")" > "$out/server.json"
for ((p = 0; p < processes; p++)); do grep -v '^READY ' "$out/subscribe-$p.out" >&2 || true; done

python3 - "$out" "$processes" <<'PY'
import json, math, sys
sys.path.insert(0, "benchmarks")
from histograms import merge_hist

out, processes = sys.argv[1], int(sys.argv[2])
subs = [json.load(open(f"{out}/subscribe-{p}.json")) for p in range(processes)]
try:
    pub = json.load(open(f"{out}/publish.json"))
except (OSError, ValueError):
    pub = None
server = json.load(open(f"{out}/server.json"))

def merge_reasons(lists):
    counts = {}
    for items in lists:
        for item in items:
            counts[item["reason"]] = counts.get(item["reason"], 0) + item["count"]
    return [{"reason": r, "count": c} for r, c in sorted(counts.items(), key=lambda x: -x[1])]

def total(path):
    value = 0
    for s in subs:
        node = s
        for key in path.split("."):
            node = node[key]
        value += node
    return value

established = total("established")
started = min(s["storm"]["started_at_ns"] for s in subs)
readies = [s["storm"]["ready_at_ns"] for s in subs]
firsts = [s["events"]["first_at_ns"] for s in subs if s["events"]["first_at_ns"]]
first = min(firsts) if firsts else 0
last = max(s["events"]["last_at_ns"] for s in subs)
window = (last - first) / 1e9 if first and last > first else 0.0
events_total = total("events.total")
growth = sum(max(0, s["memory"]["rss_ready_kib"] - s["memory"]["rss_start_kib"]) * 1024 for s in subs)
expect = subs[0]["subscribers"]["expect_events"]
summary = {
    "processes": processes,
    "connections": total("connections"),
    "established": established,
    "failed": total("failed"),
    "failures": merge_reasons(s["failures"] for s in subs),
    "establish_seconds": (max(readies) - started) / 1e9 if all(readies) else None,
    "subscribe_latency": merge_hist(s["storm"]["subscribe_latency"] for s in subs),
    "events": {
        "total": events_total, "stamped": total("events.stamped"), "expected": established * expect,
        "first_at_ns": first, "last_at_ns": last, "window_seconds": window,
        "deliveries_per_second": round(events_total / window) if window else 0,
    },
    "subscribers": {
        "expect_events": expect,
        "complete": total("subscribers.complete"), "dropped": total("subscribers.dropped"),
        "drops": merge_reasons(s["subscribers"]["drops"] for s in subs),
        "with_loss": total("subscribers.with_loss"), "with_duplicates": total("subscribers.with_duplicates"),
        "lost_total": total("subscribers.lost_total"), "lost_in_gaps": total("subscribers.lost_in_gaps"),
        "lost_at_end": total("subscribers.lost_at_end"), "duplicates_total": total("subscribers.duplicates_total"),
        "reordered_total": total("subscribers.reordered_total"), "far_behind_total": total("subscribers.far_behind_total"),
        "max_lost": max(s["subscribers"]["max_lost"] for s in subs),
        "min_received": min(s["subscribers"]["min_received"] for s in subs),
        "max_received": max(s["subscribers"]["max_received"] for s in subs),
    },
    "latency": merge_hist(s["latency"] for s in subs),
    "latency_from_due": merge_hist(s["latency_from_due"] for s in subs),
    "load_tool_bytes_per_connection": growth // established if established else 0,
    # Above 0.9 the storm ran the load tool's core(s) flat out: the time to establish is the tool's.
    "load_tool_storm_cores": round(sum(s["cpu"]["storm_user_seconds"] + s["cpu"]["storm_system_seconds"] for s in subs)
                                   / ((max(readies) - started) / 1e9), 2) if all(readies) and max(readies) > started else None,
    "load_tool_cpu_us_per_event": round(sum(s["cpu"]["events_user_seconds"] + s["cpu"]["events_system_seconds"]
                                            for s in subs) * 1e6 / events_total, 3) if events_total else 0,
    "finish": sorted({s["finish"] for s in subs}),
    "publish": pub,
}
if server["rss_ready_kib"]:
    server["bytes_per_subscriber"] = round((server["rss_ready_kib"] - server["rss_before_kib"]) * 1024 / max(established, 1))
    server["cpu_us_per_subscribe"] = round(server["storm_cpu_seconds"] * 1e6 / max(established, 1), 1)
    server["cpu_us_per_delivery"] = round(server["cpu_seconds"] * 1e6 / events_total, 2) if events_total else None
summary["server"] = server
with open(f"{out}/summary.json", "w") as f:
    json.dump(summary, f, indent=1, sort_keys=True)

lat, ev, sb = summary["latency"], summary["events"], summary["subscribers"]
line = f"sse: {established}/{summary['connections']} subscribed"
if summary["establish_seconds"] is not None:
    line += f" in {summary['establish_seconds']:.2f} s"
if summary["failed"]:
    line += f" ({summary['failed']} failed)"
line += f"; {ev['total']}/{ev['expected']} deliveries, {ev['deliveries_per_second']} deliveries/s"
line += f"; lost {sb['lost_total']}, duplicated {sb['duplicates_total']}"
if sb["reordered_total"]:
    line += f", reordered {sb['reordered_total']}"
if sb["dropped"]:
    line += f", {sb['dropped']} streams dropped"
line += f"; latency p50 {lat['p50_ms']} / p90 {lat['p90_ms']} / p99 {lat['p99_ms']} / max {lat['max_ms']} ms"
due = summary["latency_from_due"]
if due["count"]:
    line += f" (from due: p50 {due['p50_ms']} / p99 {due['p99_ms']} ms)"
if pub:
    line += f"; publish {pub['answered']}/{pub['count']} at {pub['publishes_per_second']}/s"
    if pub["non2xx"] or pub["unanswered"]:
        line += f" ({pub['non2xx']} non-2xx, {pub['unanswered']} unanswered)"
print(line)
if server["rss_ready_kib"]:
    print(f"sse: server RSS {server['rss_before_kib']} kB before, {server['rss_ready_kib']} kB subscribed "
          f"({server['bytes_per_subscriber']} B/subscriber); CPU {server['storm_cpu_seconds']:.2f} s to READY "
          f"({server['cpu_us_per_subscribe']} µs/subscribe), {server['cpu_seconds']:.2f} s after READY, "
          f"{server['cpu_us_per_delivery']} µs/delivery")
print(f"sse: load tool {summary['load_tool_bytes_per_connection']} B/connection, "
      f"{summary['load_tool_cpu_us_per_event']} µs CPU/event; report {out}/summary.json")
PY
