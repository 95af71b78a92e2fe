# Starts the systems the benchmarks compare, on loopback, with configs written into a work folder.
# Sourced by compare.sh (and usable alone: `source benchmarks/servers.sh; start_nchan /tmp/w 0`).
#
# Each start_<system> WORK CPUS [WORKERS] starts one system pinned to the taskset list CPUS with
# WORKERS workers (default 1), waits until it answers, and sets:
#   SERVER_PIDS   every process of the system (their RSS and CPU are summed)
#   SUB_URL       subscribe URL of channel "bench"; the scale-out systems (herald-redis,
#                 nchan-redis) give one per instance, comma-separated, for sse.sh to split over
#   PUB_URL       its publish URL
#   PUB_ENV       extra environment for sse.sh's publisher (body template, content type)
#   PROXY_URL     where proxied requests go (to the small upstream below)
# start_upstream sets UPSTREAM_PIDS (its master and worker) instead.
# stop_servers stops every process started here, by PID.
# Ports 18400-18441 (and 18450-18499 for redis-server), below the ephemeral range, so TIME_WAIT
# sockets never block a bind.

STARTED_PIDS=()

# The small upstream of the proxy benchmark, and the Grip answers Pushpin's subscribe routes need:
# one nginx worker answering "hello world\n" (12 bytes), and /events/<ch> with Grip-Hold headers.
start_upstream() {
    local work=$1 cpus=$2
    mkdir -p "$work/upstream"
    cat > "$work/upstream/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/upstream/nginx.pid;
error_log $work/upstream/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:18430;
        location / { return 200 "hello world\n"; }
        location ~ ^/events/([A-Za-z0-9_-]+)$ {
            default_type text/event-stream;
            add_header Grip-Hold stream;
            add_header Grip-Channel \$1;
            return 200 "";
        }
    }
}
CONF
    taskset -c "$cpus" nginx -c "$work/upstream/nginx.conf" &
    local master=$!
    STARTED_PIDS+=($master)
    wait_http http://127.0.0.1:18430/
    UPSTREAM_PIDS="$master $(pgrep -P "$master" | tr '\n' ' ')"
}

# herald_config FILE WORKERS: the benchmarks' proxy.conf (the upstream of start_upstream, loopback
# ports 18400/18401, limits out of the way, no access log).
herald_config() {
    local file=$1 workers=$2
    cat > "$file" <<CONF
[server]
listen = "127.0.0.1:18400"
threads = $workers
max_connections = 100000
[upstream]
url = "http://127.0.0.1:18430"
[publish]
listen = "127.0.0.1:18401"
[limits]
max_subscribers_per_ip = 100000
[log]
access = "off"
level = "warning"
CONF
}

start_herald() {
    local work=$1 cpus=$2 workers=${3:-1}
    mkdir -p "$work/herald"
    herald_config "$work/herald/herald.conf" "$workers"
    taskset -c "$cpus" "$HERALD_BIN" --config "$work/herald/herald.conf" 2>"$work/herald/stderr" &
    STARTED_PIDS+=($!)
    SERVER_PIDS="$!"
    wait_http http://127.0.0.1:18401/healthz
    SUB_URL=http://127.0.0.1:18400/events/bench
    PUB_URL=http://127.0.0.1:18401/publish/bench
    PUB_ENV=()
    PROXY_URL=http://127.0.0.1:18400/
}

# Nchan: nginx with the module, an eventsource subscriber and a publisher location per channel.
start_nchan() {
    local work=$1 cpus=$2 workers=${3:-1}
    mkdir -p "$work/nchan"
    cat > "$work/nchan/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_nchan_module.so;
worker_processes $workers;
worker_rlimit_nofile 20000;
daemon off;
pid $work/nchan/nginx.pid;
error_log $work/nchan/error.log;
events { worker_connections 19500; }
http {
    access_log off;
    nchan_max_reserved_memory 1024M;
    server {
        listen 127.0.0.1:18410;
        location ~ ^/events/([A-Za-z0-9_-]+)$ {
            nchan_subscriber eventsource;
            nchan_channel_id \$1;
        }
        location ~ ^/publish/([A-Za-z0-9_-]+)$ {
            nchan_publisher;
            nchan_channel_id \$1;
            nchan_message_buffer_length 1000;
            nchan_message_timeout 1h;
        }
    }
}
CONF
    taskset -c "$cpus" nginx -c "$work/nchan/nginx.conf" &
    local master=$!
    STARTED_PIDS+=($master)
    wait_http http://127.0.0.1:18410/publish/warmup
    SERVER_PIDS="$master $(pgrep -P "$master" | tr '\n' ' ')"
    SUB_URL=http://127.0.0.1:18410/events/bench
    PUB_URL=http://127.0.0.1:18410/publish/bench
    PUB_ENV=()
    PROXY_URL=
}

# Pushpin 1.36 (Debian): the runner with its own zurl, condure with one worker (through a wrapper,
# since the runner does not expose --workers), routes to the upstream above. The handler's shipped
# limits (message_rate 2500, message_hwm 25000) count deliveries and drop most events with
# thousands of subscribers: they are raised here, and BENCHMARKS.md says so.
start_pushpin() {
    local work=$1 cpus=$2 workers=${3:-1}
    local dir=$work/pushpin
    mkdir -p "$dir/run" "$dir/log"
    printf '#!/bin/sh\nexec condure --workers %d "$@"\n' "$workers" > "$dir/condure"
    chmod +x "$dir/condure"
    echo "* 127.0.0.1:18430" > "$dir/routes"
    cat > "$dir/pushpin.conf" <<CONF
[global]
include={libdir}/internal.conf
rundir=$dir/run
ipc_prefix=pushpin-
port_offset=0
stats_connection_ttl=120

[runner]
services=condure,zurl,pushpin-proxy,pushpin-handler
http_port=18420
logdir=$dir/log
log_level=1
client_buffer_size=8192
client_maxconn=50000
condure_bin=$dir/condure
zurl_bin=zurl

[proxy]
routesfile=routes
debug=false
auto_cross_origin=false
accept_x_forwarded_protocol=false
set_x_forwarded_protocol=proto-only
x_forwarded_for=
x_forwarded_for_trusted=
orig_headers_need_mark=
accept_pushpin_route=false
log_from=false
log_user_agent=false
sig_iss=pushpin
sig_key=changeme
upstream_key=
sockjs_url=http://cdn.jsdelivr.net/sockjs/0.3.4/sockjs.min.js
updates_check=off
organization_name=
zurl_out_specs=ipc://$dir/run/pushpin-zurl-in
zurl_out_stream_specs=ipc://$dir/run/pushpin-zurl-in-stream
zurl_in_specs=ipc://$dir/run/pushpin-zurl-out

[handler]
push_in_spec=tcp://127.0.0.1:18422
push_in_sub_specs=tcp://127.0.0.1:18423
push_in_sub_connect=false
push_in_http_addr=127.0.0.1
push_in_http_port=18421
push_in_http_max_headers_size=10000
push_in_http_max_body_size=1000000
stats_spec=ipc://{rundir}/{ipc_prefix}stats
command_spec=tcp://127.0.0.1:18424
message_rate=100000000
message_hwm=100000000
message_wait=5000
id_cache_ttl=60
connection_subscription_max=20
subscription_linger=60
stats_subscription_ttl=60
stats_report_interval=10
stats_format=tnetstring
CONF
    (cd "$dir" && exec taskset -c "$cpus" pushpin --config "$dir/pushpin.conf" >"$dir/stdout" 2>&1) &
    local runner=$!
    STARTED_PIDS+=($runner)
    wait_http http://127.0.0.1:18420/
    wait_http http://127.0.0.1:18421/publish/ -X POST -d '{"items":[]}'
    SERVER_PIDS="$runner $(pgrep -P "$runner" | tr '\n' ' ')"
    SUB_URL=http://127.0.0.1:18420/events/bench
    PUB_URL=http://127.0.0.1:18421/publish/
    PUB_ENV=(CONTENT_TYPE=application/json
             'BODY_TEMPLATE={"items":[{"channel":"bench","formats":{"http-stream":{"content":"data: ts={ts} seq={seq} due={due}\n\n"}}}]}')
    PROXY_URL=http://127.0.0.1:18420/
}

# The scale-out systems (herald-redis, nchan-redis, and the redis-server they share).
source "$(dirname "${BASH_SOURCE[0]}")/servers-scaleout.sh"

# The machine's floor (benchmarks/floor/floor.c, built by compare.sh into FLOOR_BIN): a minimal
# server in C on libevent, one thread whatever WORKERS says. It subscribes /events/<ch> to one channel,
# takes publishes on 18441 and proxies everything else to the upstream, doing only what is strictly
# necessary: the figure a server doing the least work reaches here, not a peer.
start_floor() {
    local work=$1 cpus=$2
    mkdir -p "$work/floor"
    taskset -c "$cpus" "$FLOOR_BIN" 18440 18441 18430 2>"$work/floor/stderr" &
    STARTED_PIDS+=($!)
    SERVER_PIDS="$!"
    wait_http http://127.0.0.1:18441/healthz
    SUB_URL=http://127.0.0.1:18440/events/bench
    PUB_URL=http://127.0.0.1:18441/publish/bench
    PUB_ENV=()
    PROXY_URL=http://127.0.0.1:18440/
}

# nginx proxy_pass with upstream keep-alive: the baseline of the proxy benchmark.
start_nginx_proxy() {
    local work=$1 cpus=$2 workers=${3:-1}
    mkdir -p "$work/nginx-proxy"
    cat > "$work/nginx-proxy/nginx.conf" <<CONF
worker_processes $workers;
daemon off;
pid $work/nginx-proxy/nginx.pid;
error_log $work/nginx-proxy/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    upstream app { server 127.0.0.1:18430; keepalive 64; }
    server {
        listen 127.0.0.1:18431;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
CONF
    taskset -c "$cpus" nginx -c "$work/nginx-proxy/nginx.conf" &
    local master=$!
    STARTED_PIDS+=($master)
    wait_http http://127.0.0.1:18431/
    SERVER_PIDS="$master $(pgrep -P "$master" | tr '\n' ' ')"
    PROXY_URL=http://127.0.0.1:18431/
}

# Waits (at most 20 s) until URL answers anything over HTTP; extra arguments go to curl.
wait_http() {
    local url=$1; shift
    for _ in $(seq 100); do
        curl -s -o /dev/null --max-time 1 "$@" "$url" && return 0
        sleep 0.2
    done
    echo "no answer from $url" >&2
    return 1
}

# Stops every process started here (and their children: nginx workers, Pushpin's services).
stop_servers() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        pkill -TERM -P "$pid" 2>/dev/null || true
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED_PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    STARTED_PIDS=()
}

# Summed VmRSS (kB) of SERVER_PIDS.
server_rss_kib() {
    local kib=0 pid
    for pid in $SERVER_PIDS; do kib=$((kib + $(awk '/VmRSS/ {print $2}' /proc/$pid/status))); done
    echo $kib
}
