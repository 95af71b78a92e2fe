#!/usr/bin/env bash
# Fuzzes the HTTP1 codec (head scanning and parsing, body framing, chunked decoding) with libFuzzer
# for SECONDS (default 30). Builds into .build-fuzz/ with swiftc, outside the package build, so
# the fuzzer entry point and -sanitize=fuzzer never touch the normal targets.
# Exits non-zero when the fuzzer finds a crash; the input is left in .build-fuzz/artifacts/.
# Usage: Fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-30}"
out=.build-fuzz
mkdir -p "$out/corpus" "$out/artifacts"

# -Onone keeps the standard library's bounds checks on unsafe buffers; ASan catches reads past
# the input libFuzzer hands in. lld links the sanitizer runtimes without gold's warnings.
swiftc -sanitize=fuzzer,address -parse-as-library -Onone -g -use-ld=lld \
    -module-name HTTP1Fuzz Sources/HTTP1/*.swift Fuzz/HTTP1Fuzz.swift -o "$out/http1-fuzz"

# New inputs go to the first corpus folder (kept between runs); Fuzz/corpus holds the seeds.
# The Swift backtracer is off: libFuzzer reports a crash itself, and the backtracer can hang.
SWIFT_BACKTRACE=enable=no "$out/http1-fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -dict=Fuzz/http1.dict -artifact_prefix="$out/artifacts/" -print_final_stats=1 \
    "$out/corpus" Fuzz/corpus
