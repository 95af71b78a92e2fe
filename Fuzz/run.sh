#!/usr/bin/env bash
# Fuzzes with libFuzzer, SECONDS (default 30) per target: the HTTP1 codec (head scanning and
# parsing, body framing, chunked decoding; Fuzz/HTTP1Fuzz.swift) and the publish path (JSON and
# Pushpin publish bodies, raw publishes, Last-Event-ID, channel names, the event encoder;
# Fuzz/PublishFuzz.swift). Builds into .build-fuzz/ with swiftc, outside the package build, so
# the fuzzer entry points and -sanitize=fuzzer never touch the normal targets.
# Exits non-zero when a target finds a crash; the input is left in .build-fuzz/artifacts/.
# Usage: Fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-30}"
out=.build-fuzz
mkdir -p "$out/modules" "$out/artifacts"
# -Onone keeps the standard library's bounds checks on unsafe buffers; ASan catches reads past
# the input libFuzzer hands in. lld links the sanitizer runtimes without gold's warnings.
flags=(-sanitize=fuzzer,address -parse-as-library -Onone -g)

# The HTTP/1.1 codec: Sources/HTTP1 and the target in one module.
swiftc "${flags[@]}" -use-ld=lld -module-name HTTP1Fuzz Sources/HTTP1/*.swift Fuzz/HTTP1Fuzz.swift -o "$out/http1-fuzz"

# The publish path: EventStream as a module of its own (Publishing imports it), then Publishing
# without its signature files (they need swift-crypto) and the authorization that uses them.
swiftc "${flags[@]}" -module-name EventStream -emit-module -emit-module-path "$out/modules/EventStream.swiftmodule" \
    -emit-library -static -o "$out/libEventStream.a" Sources/EventStream/*.swift
publishing=()
for file in Sources/Publishing/*.swift; do
    case "$file" in */SigningSecret.swift|*/WebhookSignature.swift|*/PublishAuthorization.swift) ;; *) publishing+=("$file") ;; esac
done
swiftc "${flags[@]}" -use-ld=lld -module-name PublishFuzz -I "$out/modules" -L "$out" -lEventStream \
    "${publishing[@]}" Fuzz/PublishFuzz.swift -o "$out/publish-fuzz"

# fuzz NAME [libFuzzer flags]: runs one target for $seconds. New inputs go to its first corpus folder
# (kept between runs); Fuzz/corpus-NAME holds the seeds. The Swift backtracer is off: libFuzzer
# reports a crash itself, and the backtracer can hang.
fuzz() {
    local name=$1
    shift
    mkdir -p "$out/corpus-$name"
    SWIFT_BACKTRACE=enable=no "$out/$name-fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
        -artifact_prefix="$out/artifacts/$name-" -print_final_stats=1 "$@" "$out/corpus-$name" "Fuzz/corpus-$name"
}
fuzz http1 -dict=Fuzz/http1.dict
fuzz publish
