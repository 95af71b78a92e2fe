#!/usr/bin/env bash
# Fuzzes with libFuzzer, SECONDS (default 30) per target: the HTTP1 codec (head scanning and
# parsing, body framing, chunked decoding; Fuzz/HTTP1Fuzz.swift), the publish path (JSON and
# Pushpin publish bodies, raw publishes, Last-Event-ID, channel names, subscribe targets, the event
# encoder; Fuzz/PublishFuzz.swift) and the config reader (proxy.conf text; Fuzz/ConfigFuzz.swift).
# Fuzz/build.sh builds them into .build-fuzz/ with swiftc, outside the package build (it says how
# TOMLKit and swift-crypto are linked into the config target).
# Exits non-zero when a target finds a crash; the input is left in .build-fuzz/artifacts/.
# FUZZ_SEED fixes libFuzzer's seed (CI uses 1, so that its short run explores what a longer run
# with that seed checked); unset, each run picks its own.
# Usage: Fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-30}"
out=.build-fuzz
mkdir -p "$out/artifacts"
Fuzz/build.sh "$out"

# fuzz NAME [libFuzzer flags]: runs one target for $seconds. New inputs go to its first corpus folder
# (kept between runs); Fuzz/corpus-NAME holds the seeds. The Swift backtracer is off: libFuzzer
# reports a crash itself, and the backtracer can hang.
fuzz() {
    local name=$1
    shift
    mkdir -p "$out/corpus-$name"
    SWIFT_BACKTRACE=enable=no "$out/$name-fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
        -seed="${FUZZ_SEED:-0}" -artifact_prefix="$out/artifacts/$name-" -print_final_stats=1 "$@" \
        "$out/corpus-$name" "Fuzz/corpus-$name"
}
fuzz http1 -dict=Fuzz/http1.dict
fuzz publish
# TOMLKit leaks what its C bridge allocates (Fuzz/lsan-config.supp says what and why), so every
# input would trigger libFuzzer's leak search, a scan of the whole heap that cut the runs to a
# twentieth; -detect_leaks=0 leaves the search to LeakSanitizer when the run ends, which fails
# the run on a leak outside TOMLKit (without saving the input that made it).
# FUZZ_CONFIG_REPLAY=1 (CI) runs the config corpus once instead of exploring: toml++ may have more
# assertions malformed text reaches (a seed-1 run found a fourth after three were guarded), and a
# new one found in CI would fail a change that never touched the config reader.
replay=()
[[ "${FUZZ_CONFIG_REPLAY:-}" == 1 ]] && replay=(-runs=0)
LSAN_OPTIONS=suppressions=Fuzz/lsan-config.supp fuzz config -dict=Fuzz/config.dict -detect_leaks=0 "${replay[@]}"
