#!/usr/bin/env bash
# Herald side by side with Nchan, Pushpin and nginx, in one run on this machine: SSE fan-out to
# 1,000 and 10,000 subscribers on one channel (paced at 50 events/s and a burst of 2,000), RSS per
# idle subscriber, time to establish the subscriptions, and proxied req/s with wrk -t1 -c64.
# Every system runs with one worker pinned to core 0, the load on core 1 (WORKERS=2 and
# SERVER_CPUS=0,1 for the all-cores run, where the load shares the cores). With one worker the
# machine's floor runs too: benchmarks/floor/floor.c, a minimal C server (a reference, not a peer).
#
# Scale-out (issue 18): SYSTEMS may name herald-redis and nchan-redis, two instances each (one worker
# each, on the first and the second CPU of SERVER_CPUS) on one redis-server, half the subscribers on
# each, every publish to the first; beside `herald`, one instance without Redis, e.g.
#   WORKERS=2 SERVER_CPUS=0,1 LOAD_CPUS=0,1 SYSTEMS="herald herald-redis nchan-redis" \
#       SCENARIOS=fanout-10k-paced benchmarks/compare.sh 1
# and tables.md then ends with their own table (herald-redis ÷ nchan-redis, herald-redis ÷ herald).
#
# Usage: benchmarks/compare.sh [runs]        (default 3; medians are taken over the runs)
# Environment: SYSTEMS (default "herald nchan pushpin floor", without floor when WORKERS > 1),
#   SCENARIOS (default all, e.g. "fanout-1k-burst proxy"), WORKERS (1), SERVER_CPUS (0),
#   LOAD_CPUS (1), OUT (bench-results/compare-<time>).
# Writes $OUT/results.jsonl (one line per system, scenario and run) and $OUT/tables.md (medians,
# each figure with its ratio to the best peer of the same run), which BENCHMARKS.md quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
workers=${WORKERS:-1}
# The floor is one thread: beside servers with several workers it would measure nothing.
if [ "$workers" = 1 ]; then systems=${SYSTEMS:-herald nchan pushpin floor}; else systems=${SYSTEMS:-herald nchan pushpin}; fi
scenarios=${SCENARIOS:-fanout-1k-paced fanout-1k-burst fanout-10k-paced fanout-10k-10ps fanout-10k-burst proxy}
server_cpus=${SERVER_CPUS:-0}
load_cpus=${LOAD_CPUS:-1}
out=${OUT:-bench-results/compare-$(date +%Y%m%d-%H%M%S)}
# Results are appended run by run: an OUT holding an earlier run's would mix the two in the medians.
if [ -e "$out/results.jsonl" ]; then
    echo "compare.sh: $out already holds results; give a new OUT" >&2
    exit 2
fi
mkdir -p "$out"

command -v wrk >/dev/null && command -v nginx >/dev/null && command -v pushpin >/dev/null \
    && [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] && command -v cc >/dev/null \
    && command -v redis-server >/dev/null && command -v redis-cli >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq wrk nginx libnginx-mod-nchan pushpin gcc redis-server redis-tools >/dev/null; }
swift build -c release --product herald >&2 && swift build -c release --product herald-bench >&2
export HERALD_BIN=$PWD/.build/release/herald HERALD_BENCH=$PWD/.build/release/herald-bench

source benchmarks/servers.sh
work=$(mktemp -d)
trap 'stop_servers; rm -rf "$work"' EXIT
export FLOOR_BIN=$work/floor-server
case " $systems " in
    *" floor "*) cc -O2 -Wall -Wextra -o "$FLOOR_BIN" benchmarks/floor/floor.c -levent_core ;;
esac

# fanout N M RATE SYSTEM RUN: one sse.sh run; its summary becomes a line of results.jsonl.
fanout() {
    local n=$1 m=$2 rate=$3 system=$4 run=$5 scenario=$6
    local dir=$out/$scenario-$system-$run
    # Pushpin's handler holds events for up to ~10 s before delivering them, and Nchan's publish
    # answers only after delivery (a 10k burst takes it two minutes): the subscribers wait 30 s
    # of silence and up to 400 s in all, so slowness is measured as latency, not counted as loss.
    env "${PUB_ENV[@]}" BENCH_CPUS="$load_cpus" SERVER_PIDS="$SERVER_PIDS" OUT="$dir" \
        QUIET_EXIT=${QUIET_EXIT:-30s} DURATION_LIMIT=${DURATION_LIMIT:-400s} \
        benchmarks/sse.sh "$SUB_URL" "$PUB_URL" "$n" "$m" "$rate" 2>"$dir.log" | tee -a "$out/progress.log" >&2 || true
    python3 - "$dir/summary.json" "$system" "$scenario" "$run" >> "$out/results.jsonl" <<'PY'
import json, sys
path, system, scenario, run = sys.argv[1:]
try:
    s = json.load(open(path))
except (OSError, ValueError):
    print(json.dumps({"system": system, "scenario": scenario, "run": int(run), "failed": True}))
    sys.exit()
sb, server = s["subscribers"], s.get("server", {})
print(json.dumps({
    "system": system, "scenario": scenario, "run": int(run),
    "established": s["established"], "failed_subscribes": s["failed"],
    "deliveries": s["events"]["total"], "expected": s["events"]["expected"],
    "deliveries_per_second": s["events"]["deliveries_per_second"],
    "lost": sb["lost_total"], "duplicated": sb["duplicates_total"],
    "p50_ms": s["latency"]["p50_ms"], "p99_ms": s["latency"]["p99_ms"],
    "p50_from_due_ms": s["latency_from_due"]["p50_ms"], "p99_from_due_ms": s["latency_from_due"]["p99_ms"],
    "establish_seconds": s["establish_seconds"],
    "server_cpu_us_per_subscribe": server.get("cpu_us_per_subscribe"),
    "load_tool_storm_cores": s.get("load_tool_storm_cores"),
    "rss_before_kib": server.get("rss_before_kib"), "rss_ready_kib": server.get("rss_ready_kib"),
    "bytes_per_idle_subscriber": server.get("bytes_per_subscriber"),
    "server_cpu_us_per_delivery": server.get("cpu_us_per_delivery"),
    "load_tool_cpu_us_per_event": s["load_tool_cpu_us_per_event"],
    "publishes_per_second": (s.get("publish") or {}).get("publishes_per_second"),
    "published": (s.get("publish") or {}).get("answered"), "publish_count": (s.get("publish") or {}).get("count"),
    "publish_p50_ms": ((s.get("publish") or {}).get("latency") or {}).get("p50_ms"),
    "publish_p99_ms": ((s.get("publish") or {}).get("latency") or {}).get("p99_ms"),
}))
PY
}

# ticks PIDS: "user system" clock ticks so far, summed over the processes (every thread of each).
ticks() { local pid; for pid in $1; do awk '{print $14, $15}' "/proc/$pid/stat"; done | awk '{u += $1; s += $2} END {print u + 0, s + 0}'; }

# proxy SYSTEM RUN URL: wrk -t1 -c64 for 10 s through the system (or straight to the upstream), and
# the CPU that the system (SERVER_PIDS) and the upstream (UPSTREAM_PIDS) spent per request meanwhile:
# with one worker they share core 0, so their sum is what a request costs that core: what sets the rate.
proxy() {
    local system=$1 run=$2 url=$3
    local text proxy_before upstream_before
    proxy_before=$(ticks "$SERVER_PIDS") upstream_before=$(ticks "$UPSTREAM_PIDS")
    text=$(taskset -c "$load_cpus" wrk -t1 -c64 -d10s --latency "$url" 2>&1)
    echo "$text" > "$out/proxy-$system-$run.txt"
    python3 - "$system" "$run" "$out/proxy-$system-$run.txt" "$(getconf CLK_TCK)" \
        "$proxy_before $(ticks "$SERVER_PIDS")" "$upstream_before $(ticks "$UPSTREAM_PIDS")" <<'PY' >> "$out/results.jsonl"
import json, re, sys
system, run, text, hz = sys.argv[1], int(sys.argv[2]), open(sys.argv[3]).read(), int(sys.argv[4])
proxy_ticks, upstream_ticks = ([int(t) for t in arg.split()] for arg in sys.argv[5:7])
total = re.search(r"(\d+) requests in", text)
def us_per_request(before_user, before_system, after_user, after_system, user_only=False):
    spent = after_user - before_user + (0 if user_only else after_system - before_system)
    return round(spent * 1e6 / hz / int(total.group(1)), 2) if total and int(total.group(1)) else None
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", text)
p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
def ms(m):
    return None if not m else float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)]
proxy_cpu = us_per_request(*proxy_ticks) if system != "direct" else None
upstream_cpu = us_per_request(*upstream_ticks)
print(json.dumps({"system": system, "scenario": "proxy", "run": run,
                  "requests_per_second": float(rps.group(1)) if rps else None,
                  "p50_ms": ms(p50), "p99_ms": ms(p99), "non2xx": int(errors.group(1)) if errors else 0,
                  "proxy_cpu_us_per_request": proxy_cpu,
                  "proxy_user_cpu_us_per_request": us_per_request(*proxy_ticks, user_only=True) if proxy_cpu is not None else None,
                  "upstream_cpu_us_per_request": upstream_cpu,
                  "core_cpu_us_per_request": round(proxy_cpu + upstream_cpu, 2) if None not in (proxy_cpu, upstream_cpu) else upstream_cpu}))
PY
    echo "proxy $system run $run: $(grep Requests/sec "$out/proxy-$system-$run.txt")" | tee -a "$out/progress.log" >&2
}

for run in $(seq "$runs"); do
    for scenario in $scenarios; do
        if [ "$scenario" = proxy ]; then
            start_upstream "$work" "$server_cpus"
            SERVER_PIDS=""
            proxy direct "$run" http://127.0.0.1:18430/
            for system in nginx $systems; do
                case $system in nchan|nchan-redis) continue ;; esac  # Nchan is no reverse proxy
                case $system in
                    nginx) start_nginx_proxy "$work" "$server_cpus" "$workers" ;;
                    *) start_$system "$work" "$server_cpus" "$workers" ;;
                esac
                proxy "$system" "$run" "$PROXY_URL"
                stop_servers
                start_upstream "$work" "$server_cpus"
            done
            stop_servers
            continue
        fi
        case $scenario in
            fanout-1k-paced) args=(1000 500 50) ;;
            fanout-1k-burst) args=(1000 2000 burst) ;;
            fanout-10k-paced) args=(10000 500 50) ;;
            # Nchan answers each publish after delivering it: at 10,000 subscribers its publisher
            # gets about 10/s, so this is the load on which latencies compare like for like.
            fanout-10k-10ps) args=(10000 100 10) ;;
            fanout-10k-burst) args=(10000 2000 burst) ;;
            *) echo "unknown scenario $scenario" >&2; exit 2 ;;
        esac
        for system in $systems; do
            start_upstream "$work" "$server_cpus"
            start_$system "$work" "$server_cpus" "$workers"
            echo "== run $run $scenario $system" | tee -a "$out/progress.log" >&2
            fanout "${args[@]}" "$system" "$run" "$scenario"
            stop_servers
            sleep 2  # let TIME_WAIT and the kernel's socket memory settle between systems
        done
    done
done

python3 benchmarks/tables.py "$out/results.jsonl" > "$out/tables.md"
case " $systems " in
    *" herald-redis "*|*" nchan-redis "*) python3 benchmarks/scaleout_tables.py "$out/results.jsonl" >> "$out/tables.md" ;;
esac
cat "$out/tables.md"
