#!/usr/bin/env bash
# Publishing alone: the publishes/s one Herald answers in a burst (no subscriber; one loop on core 0,
# the publisher on core 1), for several binaries or settings side by side, runs interleaved, with
# the median of each. A setting ending in `:signed` checks a signature on every publish: GitHub's
# `X-Hub-Signature-256` (HMAC-SHA256 of the body) with `publish.require_signature = true`.
# Usage: benchmarks/publish.sh RUNS LABEL=HERALD_BIN[:signed] ...
#   e.g. benchmarks/publish.sh 5 before=/tmp/old/herald after=.build/release/herald \
#            after-signed=.build/release/herald:signed
# COUNT (default 20000) publishes per run over CONCURRENCY (default 4) connections; the body is a
# fixed 64-byte text, so every signed request carries the same header.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:?RUNS}; shift
count=${COUNT:-20000}; concurrency=${CONCURRENCY:-4}
bench=${HERALD_BENCH:-.build-bench/release/herald-bench}
[ -x "$bench" ] || swift build -c release --scratch-path .build-bench --product herald-bench >&2
secret=bench-secret
body=$(printf 'event %057d' 0)  # 64 bytes
signature=sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

run_one() {  # label bin signed -> publishes/s
    local label=$1 bin=$2 signed=$3
    {
        printf '[server]\nlisten = "127.0.0.1:18400"\nthreads = 1\n[upstream]\nurl = "http://127.0.0.1:18430"\n'
        printf '[publish]\nlisten = "127.0.0.1:18401"\n'
        [ "$signed" = 1 ] && printf 'signing_secrets = ["%s"]\nrequire_signature = true\n' "$secret"
        printf '[log]\naccess = "off"\nlevel = "warning"\n'
    } > "$work/herald.conf"
    taskset -c 0 "$bin" --config "$work/herald.conf" 2>"$work/stderr" &
    pid=$!
    for _ in $(seq 100); do curl -sf http://127.0.0.1:18401/healthz >/dev/null && break; sleep 0.05; done
    local header=()
    [ "$signed" = 1 ] && header=(--header "X-Hub-Signature-256: $signature")
    taskset -c 1 "$bench" publish --url http://127.0.0.1:18401/publish/bench --count "$count" --rate burst \
        --concurrency "$concurrency" --body-template "$body" --padding 0 "${header[@]}" \
        --report "$work/report.json" >/dev/null
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["non2xx"] == 0, r["statuses"]; print(round(r["publishes_per_second"]))' "$work/report.json"
}

declare -A results
for run in $(seq "$runs"); do
    for setting in "$@"; do
        label=${setting%%=*}; spec=${setting#*=}; bin=${spec%:signed}; signed=0
        [ "$spec" != "$bin" ] && signed=1
        rate=$(run_one "$label" "$bin" "$signed")
        results[$label]+="$rate "
        echo "run $run $label: $rate publishes/s" >&2
    done
done
for setting in "$@"; do
    label=${setting%%=*}
    python3 -c 'import statistics,sys; v=[int(x) for x in sys.argv[2].split()]; print("%s: median %d publishes/s (runs: %s)" % (sys.argv[1], statistics.median(v), ", ".join(map(str, v))))' "$label" "${results[$label]}"
done
