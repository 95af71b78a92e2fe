#!/usr/bin/env bash
# What the fuzz corpora kept in the repository reach: builds the three targets again with source
# coverage (Fuzz/build.sh into .build-fuzz/coverage, swiftc's -profile-generate
# -profile-coverage-mapping beside the fuzzer's own instrumentation), runs each over its corpus
# Fuzz/corpus-NAME once (libFuzzer's -runs=0 executes the corpus and stops), merges the profiles
# with llvm-profdata and prints llvm-cov's line and region coverage of each fuzzed source file,
# then one summary line per module. Only Herald's files count: TOMLKit and toml++ are not measured.
# Usage: Fuzz/coverage.sh
set -euo pipefail
cd "$(dirname "$0")/.."

out=.build-fuzz/coverage
tools="$(dirname "$(readlink -f "$(command -v swiftc)")")"
Fuzz/build.sh "$out" -profile-generate -profile-coverage-mapping
rm -f "$out"/*.profraw
for name in http1 publish config; do
    # Leaks are not looked for here (run.sh does); the profile is written when the run ends.
    LLVM_PROFILE_FILE="$out/$name-%p.profraw" SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 \
        "$out/$name-fuzz" -runs=0 -max_len=4096 -timeout=10 "Fuzz/corpus-$name" 2>"$out/$name-replay.log" \
        || { echo "coverage: the $name corpus did not replay cleanly; see $out/$name-replay.log" >&2; exit 1; }
    echo "$name: $(grep -c . <(ls "Fuzz/corpus-$name")) inputs replayed"
done
"$tools/llvm-profdata" merge -sparse "$out"/*.profraw -o "$out/fuzz.profdata"

# report FILE...: llvm-cov's table for FILE..., the three binaries' coverage merged.
objects=("$out/http1-fuzz" -object "$out/publish-fuzz" -object "$out/config-fuzz")
report() {
    "$tools/llvm-cov" report "${objects[@]}" -instr-profile="$out/fuzz.profdata" "$@"
}
# NAME=FILES of each fuzzed module; Fanout has only its subscribe request in a target.
modules=(HTTP1="Sources/HTTP1/*.swift" EventStream="Sources/EventStream/*.swift" Publishing="Sources/Publishing/*.swift"
    HeraldConfig="Sources/HeraldConfig/*.swift" Fanout="Sources/Fanout/SubscribeRequest.swift")
all=()
for module in "${modules[@]}"; do all+=(${module#*=}); done
report "${all[@]}"
echo
echo "Summary (lines and regions the corpora reach):"
for module in "${modules[@]}"; do
    # The TOTAL row: regions, missed, cover, functions, missed, cover, lines, missed, cover.
    report ${module#*=} | awk -v name="${module%%=*}" '/^TOTAL/ {
        printf "  %-13s lines %7s of %5d   regions %7s of %5d\n", name, $10, $8, $4, $2 }'
done
