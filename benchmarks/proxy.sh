#!/usr/bin/env bash
# Proxied req/s: wrk -t1 -c64 against a small upstream (nginx answering a 12-byte body), directly,
# through nginx proxy_pass (one worker, upstream keep-alive) and through Herald (one loop), in the
# same run. The proxies and the upstream share core 0; wrk runs on core 1.
# Usage: benchmarks/proxy.sh [seconds per run] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
runs=${2:-3}
command -v wrk >/dev/null && command -v nginx >/dev/null || apt-get install -y -qq wrk nginx-light >/dev/null
swift build -c release --product herald >/dev/null

work=$(mktemp -d)
upstream_port=18180; herald_port=18181; publish_port=18182; nginx_proxy_port=18183
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$upstream_port;
        location / { return 200 "hello world\n"; }
    }
}
CONF
cat > "$work/nginx-proxy.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx-proxy.pid;
error_log $work/error-proxy.log;
events { worker_connections 4096; }
http {
    access_log off;
    upstream app { server 127.0.0.1:$upstream_port; keepalive 64; }
    server {
        listen 127.0.0.1:$nginx_proxy_port;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
CONF
cat > "$work/herald.conf" <<CONF
[server]
listen = "127.0.0.1:$herald_port"
threads = 1
[upstream]
url = "http://127.0.0.1:$upstream_port"
[publish]
listen = "127.0.0.1:$publish_port"
[log]
access = "off"
level = "warning"
CONF
taskset -c 0 nginx -c "$work/nginx.conf" & nginx_pid=$!
taskset -c 0 nginx -c "$work/nginx-proxy.conf" & nginx_proxy_pid=$!
taskset -c 0 .build/release/herald --config "$work/herald.conf" & herald_pid=$!
trap 'kill $herald_pid $nginx_pid $nginx_proxy_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
sleep 1

measure() { taskset -c 1 wrk -t1 -c64 -d"${duration}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
for run in $(seq "$runs"); do
    direct=$(measure "http://127.0.0.1:$upstream_port/")
    nginx=$(measure "http://127.0.0.1:$nginx_proxy_port/")
    proxied=$(measure "http://127.0.0.1:$herald_port/")
    rss=$(awk '/VmHWM/ {print $2}' /proc/$herald_pid/status)
    echo "run $run: direct $direct req/s, nginx proxy_pass $nginx req/s, herald $proxied req/s, herald peak RSS ${rss} kB"
done
