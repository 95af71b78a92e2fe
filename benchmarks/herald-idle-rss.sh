#!/usr/bin/env bash
# Herald's memory per idle subscriber: RSS with no subscribers, then with N idle SSE subscribers
# (two herald-bench processes, each under the 20,000 open-file limit), and the difference per
# subscriber. Usage: benchmarks/herald-idle-rss.sh [N]   (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
subscribers=${1:-10000}
half=$((subscribers / 2))
swift build -c release --product herald >&2 && swift build -c release --product herald-bench >&2
work=$(mktemp -d)
cat > "$work/herald.conf" <<CONF
[server]
listen = "127.0.0.1:18290"
threads = 1
max_connections = 100000
[upstream]
url = "http://127.0.0.1:18293"
[publish]
listen = "127.0.0.1:18291"
[limits]
max_subscribers_per_ip = 100000
[log]
access = "off"
level = "warning"
CONF
.build/release/herald --config "$work/herald.conf" & herald=$!
pids=()
trap 'kill ${pids[@]} $herald 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
rss() { awk '/VmRSS/ {print $2}' /proc/$herald/status; }
before=$(rss)
for p in 1 2; do
    .build/release/herald-bench subscribe --url http://127.0.0.1:18290/events/idle --connections $half \
        --source-addresses 127.0.$p.1,127.0.$p.2 --duration-limit 60s --quiet-exit 60s > "$work/ready$p" 2>/dev/null &
    pids+=($!)
done
for p in 1 2; do
    for _ in $(seq 300); do grep -q READY "$work/ready$p" && break; sleep 0.2; done
done
sleep 2
after=$(rss)
echo "herald RSS: ${before} kB with no subscribers, ${after} kB with $subscribers idle subscribers;" \
     "$(( (after - before) * 1024 / subscribers )) B per idle subscriber"
