#!/usr/bin/env bash
# Publishing through Redis (issue 18): the publishes/s one Herald instance answers in a burst with
# `[redis]` on and without it, and beside them what the redis-server itself takes: `redis-benchmark`
# appending to a stream (XADD, pipelined) as the ceiling. No subscriber. Runs interleaved, medians.
# Herald (one loop) on core 0, the publisher on core 1; redis-server on REDIS_CPUS (default 1: it
# stands for a Redis on another machine, and Herald keeps its core as in publish.sh), redis-benchmark
# on core 0 once Herald has stopped.
#
# Usage: benchmarks/publish-redis.sh RUNS
# Environment: HERALD_BIN (.build/release/herald), HERALD_BENCH (.build/release/herald-bench),
#   COUNT (20000 publishes of 64 bytes per run), CONCURRENCY (publisher connections, a list:
#   default "4 16", one request in flight on each), REDIS_CPUS (1), XADD_COUNT (200000),
#   XADD_PIPELINE (16, also for the script), PUBLISHERS (publisher processes, each with COUNT /
#   PUBLISHERS publishes on a channel of its own: default 1; herald-bench keeps at most 16 requests in
#   flight per process, and through Redis a publish waits a round trip, so 2 or more show the rate an
#   instance sustains rather than what 16 requests in flight allow; their rates are summed).
# When the source has Herald's publish script (Sources/Cluster/PublishScript+Source.swift), a second
# ceiling: redis-benchmark calling it (EVALSHA, pipelined) as Herald does for a publish without id to
# one channel, with the same 64-byte body, history 1000 and TTL 1 h (Cluster/PublishScript.swift).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:?RUNS}
count=${COUNT:-20000}
concurrencies=${CONCURRENCY:-4 16}
redis_cpus=${REDIS_CPUS:-1}
herald=${HERALD_BIN:-.build/release/herald}
bench=${HERALD_BENCH:-.build/release/herald-bench}
[ -x "$herald" ] || swift build -c release --product herald >&2
[ -x "$bench" ] || swift build -c release --product herald-bench >&2
body=$(printf 'event %057d' 0)  # 64 bytes, as publish.sh
work=$(mktemp -d)
herald_pid= redis_pid=
stop() {  # by PID, only what this script started
    local pid
    for pid in $herald_pid $redis_pid; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in $herald_pid $redis_pid; do wait "$pid" 2>/dev/null || true; done
    herald_pid= redis_pid=
}
trap 'stop; rm -rf "$work"' EXIT

port=$(python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

start_redis() {
    rm -rf "$work/redis"; mkdir -p "$work/redis"
    taskset -c "$redis_cpus" redis-server --bind 127.0.0.1 --port "$port" --dir "$work/redis" \
        --save "" --appendonly no --daemonize no --logfile "$work/redis/redis.log" &
    redis_pid=$!
    for _ in $(seq 100); do [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && return 0; sleep 0.1; done
    echo "redis-server did not answer on $port" >&2; return 1
}

# publish_burst REDIS(0|1) CONCURRENCY: "publishes/s p50 p99" into $work/result (every answer must be
# a 2xx). Runs in this shell (never in a subshell), so that the trap knows every PID to stop.
publish_burst() {
    local redis=$1 concurrency=$2
    {
        printf '[server]\nlisten = "127.0.0.1:18400"\nthreads = 1\n[upstream]\nurl = "http://127.0.0.1:18430"\n'
        printf '[publish]\nlisten = "127.0.0.1:18401"\n[log]\naccess = "off"\nlevel = "warning"\n'
        [ "$redis" = 1 ] && printf '[redis]\nurl = "redis://127.0.0.1:%s/0"\n' "$port"
    } > "$work/herald.conf"
    taskset -c 0 "$herald" --config "$work/herald.conf" 2>"$work/herald.stderr" &
    herald_pid=$!
    local ready=0
    for _ in $(seq 200); do
        curl -sf -o /dev/null -X POST -d warmup http://127.0.0.1:18401/publish/warmup && { ready=1; break; }
        sleep 0.05
    done
    [ $ready = 1 ] || { echo "Herald (redis=$redis) took no publish; its stderr:" >&2; cat "$work/herald.stderr" >&2; return 1; }
    local publishers=${PUBLISHERS:-1} i pids=()
    for i in $(seq "$publishers"); do
        taskset -c 1 "$bench" publish --url "http://127.0.0.1:18401/publish/bench$i" --count $((count / publishers)) \
            --rate burst --concurrency "$concurrency" --body-template "$body" --padding 0 --duration-limit 120s \
            --report "$work/report-$i.json" >/dev/null 2>&1 &
        pids+=($!)
    done
    wait "${pids[@]}" || true
    kill -TERM "$herald_pid"; wait "$herald_pid" 2>/dev/null || true; herald_pid=
    python3 -c '
import json, statistics, sys
reports = [json.load(open(path)) for path in sys.argv[1:]]
for r in reports:
    assert r["non2xx"] == 0 and r["unanswered"] == 0, (r["statuses"], r["unanswered"])
print(round(sum(r["publishes_per_second"] for r in reports)), statistics.median(r["latency"]["p50_ms"] for r in reports),
      max(r["latency"]["p99_ms"] for r in reports))' "$work"/report-*.json > "$work/result"
    rm -f "$work"/report-*.json
}

# redis_benchmark ARGS... -> requests/s of redis-benchmark's --csv line
redis_benchmark() {
    taskset -c 0 redis-benchmark -p "$port" -n "${XADD_COUNT:-200000}" -P "${XADD_PIPELINE:-16}" --csv "$@" \
        | python3 -c 'import csv, sys; rows = [r for r in csv.reader(sys.stdin)]; print(round(float(rows[-1][1])))'
}

# Herald's publish script, the Lua between #""" and """# in its Swift source (absent before issue 18).
python3 - Sources/Cluster/PublishScript+Source.swift > "$work/publish.lua" <<'PY' || true
import sys
try:
    text = open(sys.argv[1]).read()
except OSError:
    sys.exit()
start = text.index('#"""\n') + 5
print(text[start:text.index('\n"""#', start)])
PY

declare -A rates
record() { rates[$1]+="$2 "; echo "run $run $1: $2" >&2; }
for run in $(seq "$runs"); do
    for c in $concurrencies; do
        publish_burst 0 "$c"; read -r rate p50 p99 < "$work/result"
        record "herald, ${PUBLISHERS:-1} × $c connections" "$rate"; rates["herald, ${PUBLISHERS:-1} × $c connections p50"]+="$p50 "
        start_redis
        publish_burst 1 "$c"; read -r rate p50 p99 < "$work/result"
        record "herald-redis, ${PUBLISHERS:-1} × $c connections" "$rate"; rates["herald-redis, ${PUBLISHERS:-1} × $c connections p50"]+="$p50 "
        stop
    done
    start_redis
    record "redis-benchmark XADD -P ${XADD_PIPELINE:-16}" "$(redis_benchmark XADD s '*' f v)"
    if [ -s "$work/publish.lua" ]; then
        sha=$(redis-cli -p "$port" -x SCRIPT LOAD < "$work/publish.lua")
        record "redis-benchmark EVALSHA publish script -P ${XADD_PIPELINE:-16}" "$(redis_benchmark EVALSHA "$sha" 4 \
            herald:seq herald:s:bench herald:m:bench herald:i:bench abcdefgh 1000 3600000 e "" "" "$body" "" "" herald:c:bench)"
    fi
    stop
done

echo "| setting | median of $runs | runs |"
echo "|---|---|---|"
for label in "${!rates[@]}"; do echo "$label"; done | sort | while read -r label; do
    python3 -c '
import statistics, sys
label, values = sys.argv[1], [float(v) for v in sys.argv[2].split()]
fmt = "{:,.2f}" if label.endswith("p50") else "{:,.0f}"
name = label[:-4] + ": publish → 202 p50 ms" if label.endswith("p50") else label + ": per second"
print("| %s | %s | %s |" % (name, fmt.format(statistics.median(values)), ", ".join(fmt.format(v) for v in values)))' \
        "$label" "${rates[$label]}"
done
