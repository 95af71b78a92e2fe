# The scale-out systems of servers.sh (which sources this file): herald-redis and nchan-redis, on a
# redis-server started here. Uses servers.sh's STARTED_PIDS and wait_http; sets what its start_<system> do.
#
# The scale-out systems: two instances of a server on one redis-server, each instance with one
# worker pinned to one CPU of the list (0,1: one per core; a single CPU: both on it), half the
# subscribers on each (SUB_URL is then a comma-separated list, which sse.sh splits the subscribers
# over), every publish to the first instance. Redis runs on the same CPU list and counts as part of
# the system: its RSS and CPU are in SERVER_PIDS.

# start_redis WORK CPUS: a redis-server on a free loopback port of 18450-18499 (below the
# ephemeral range, like every port here), in WORK/redis, no persistence; sets REDIS_PORT, REDIS_PID.
start_redis() {
    local work=$1 cpus=$2
    mkdir -p "$work/redis"
    REDIS_PORT=$(python3 - <<'PY'
import socket
for port in range(18450, 18500):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
PY
)
    [ -n "$REDIS_PORT" ] || { echo "no free port for redis-server in 18450-18499" >&2; return 1; }
    taskset -c "$cpus" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$work/redis" \
        --save "" --appendonly no --daemonize no --logfile "$work/redis/redis.log" --maxclients 1000 &
    REDIS_PID=$!
    STARTED_PIDS+=($REDIS_PID)
    for _ in $(seq 100); do
        [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && return 0
        sleep 0.1
    done
    echo "redis-server on port $REDIS_PORT did not answer" >&2
    return 1
}

# cpu_of CPUS I: the I-th CPU (0-based) of a taskset list such as "0,1" or "0-1"; the last one when
# the list is shorter.
cpu_of() {
    python3 -c '
import sys
cpus = []
for part in sys.argv[1].split(","):
    lo, _, hi = part.partition("-")
    cpus += range(int(lo), int(hi or lo) + 1)
print(cpus[min(int(sys.argv[2]), len(cpus) - 1)])' "$1" "$2"
}

# Herald in Redis mode: instances A (public 18400, publish 18401) and B (18402, 18403), each with
# server.threads = 1. Every limit that would cap the load tool is raised, as for `herald`.
start_herald-redis() {
    local work=$1 cpus=$2 i
    start_redis "$work" "$cpus" || return 1
    SERVER_PIDS="$REDIS_PID"
    for i in 0 1; do
        mkdir -p "$work/herald-$i"
        cat > "$work/herald-$i/herald.conf" <<CONF
[server]
listen = "127.0.0.1:$((18400 + 2 * i))"
threads = 1
max_connections = 100000
[upstream]
url = "http://127.0.0.1:18430"
[publish]
listen = "127.0.0.1:$((18401 + 2 * i))"
[limits]
max_subscribers_per_ip = 100000
[log]
access = "off"
level = "warning"
[redis]
url = "redis://127.0.0.1:$REDIS_PORT/0"
CONF
        taskset -c "$(cpu_of "$cpus" $i)" "$HERALD_BIN" --config "$work/herald-$i/herald.conf" 2>"$work/herald-$i/stderr" &
        STARTED_PIDS+=($!)
        SERVER_PIDS+=" $!"
    done
    # Ready once each instance takes a publish (202: Redis stored it), not only once it listens.
    for i in 0 1; do
        wait_http "http://127.0.0.1:$((18401 + 2 * i))/publish/warmup" -f -X POST -d warmup || return 1
    done
    SUB_URL=http://127.0.0.1:18400/events/bench,http://127.0.0.1:18402/events/bench
    PUB_URL=http://127.0.0.1:18401/publish/bench
    PUB_ENV=()
    PROXY_URL=http://127.0.0.1:18400/
}

# Nchan in Redis mode (Debian's module): two nginx instances with one worker each, 18410 and 18412,
# on one redis-server through `nchan_redis_pass`, with the same locations and buffers as `nchan`.
start_nchan-redis() {
    local work=$1 cpus=$2 i master
    start_redis "$work" "$cpus" || return 1
    SERVER_PIDS="$REDIS_PID"
    for i in 0 1; do
        mkdir -p "$work/nchan-$i"
        cat > "$work/nchan-$i/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_nchan_module.so;
worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
pid $work/nchan-$i/nginx.pid;
error_log $work/nchan-$i/error.log;
events { worker_connections 19500; }
http {
    access_log off;
    nchan_max_reserved_memory 1024M;
    upstream redis_server { nchan_redis_server redis://127.0.0.1:$REDIS_PORT; }
    server {
        listen 127.0.0.1:$((18410 + 2 * i));
        location ~ ^/events/([A-Za-z0-9_-]+)$ {
            nchan_subscriber eventsource;
            nchan_channel_id \$1;
            nchan_redis_pass redis_server;
        }
        location ~ ^/publish/([A-Za-z0-9_-]+)$ {
            nchan_publisher;
            nchan_channel_id \$1;
            nchan_redis_pass redis_server;
            nchan_message_buffer_length 1000;
            nchan_message_timeout 1h;
        }
    }
}
CONF
        taskset -c "$(cpu_of "$cpus" $i)" nginx -c "$work/nchan-$i/nginx.conf" &
        master=$!
        STARTED_PIDS+=($master)
        wait_http "http://127.0.0.1:$((18410 + 2 * i))/publish/warmup" -f -X POST -d warmup || return 1
        SERVER_PIDS+=" $master $(pgrep -P "$master" | tr '\n' ' ')"
    done
    SUB_URL=http://127.0.0.1:18410/events/bench,http://127.0.0.1:18412/events/bench
    PUB_URL=http://127.0.0.1:18410/publish/bench
    PUB_ENV=()
    PROXY_URL=
}
