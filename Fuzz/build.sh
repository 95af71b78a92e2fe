#!/usr/bin/env bash
# Builds the libFuzzer targets into OUT with swiftc, outside the package build, so the fuzzer entry
# points and -sanitize=fuzzer never touch the normal targets: OUT/http1-fuzz, OUT/publish-fuzz and
# OUT/config-fuzz. Extra swiftc flags (Fuzz/coverage.sh adds the coverage instrumentation) apply
# to Herald's modules and the targets.
# Usage: Fuzz/build.sh OUT [swiftc flags]
set -euo pipefail
cd "$(dirname "$0")/.."

out=$1
shift
mkdir -p "$out/modules" "$out/toml"
# -Onone keeps the standard library's bounds checks on unsafe buffers; ASan catches reads past
# the input libFuzzer hands in. lld links the sanitizer runtimes without gold's warnings.
flags=(-sanitize=fuzzer,address -parse-as-library -Onone -g "$@")

# The HTTP/1.1 codec: Sources/HTTP1 and the target in one module.
swiftc "${flags[@]}" -use-ld=lld -module-name HTTP1Fuzz Sources/HTTP1/*.swift Fuzz/HTTP1Fuzz.swift -o "$out/http1-fuzz"

# The publish path: EventStream as a module of its own (Publishing imports it), then Publishing
# without its signature files (they need swift-crypto) and the authorization that uses them, with
# Fanout's subscribe request (and the error it throws; the rest of Fanout is the hub).
swiftc "${flags[@]}" -module-name EventStream -emit-module -emit-module-path "$out/modules/EventStream.swiftmodule" \
    -emit-library -static -o "$out/libEventStream.a" Sources/EventStream/*.swift
publishing=()
for file in Sources/Publishing/*.swift; do
    case "$file" in */SigningSecret.swift|*/WebhookSignature.swift|*/PublishAuthorization.swift) ;; *) publishing+=("$file") ;; esac
done
swiftc "${flags[@]}" -use-ld=lld -module-name PublishFuzz -I "$out/modules" -L "$out" -lEventStream \
    "${publishing[@]}" Sources/Fanout/SubscribeRequest.swift Sources/Fanout/FanoutError.swift \
    Fuzz/PublishFuzz.swift -o "$out/publish-fuzz"

# The config reader: Sources/HeraldConfig and the target in one module, over Publishing (whole,
# as a module), TOMLKit and swift-crypto.
# - TOMLKit is compiled here from its checkout: its Swift part with swiftc, its C bridge and
#   toml++ (which parses the input) with the toolchain's clang++, both instrumented, so the fuzzer
#   sees toml++'s branches too and ASan checks its memory.
# - swift-crypto (SigningSecret imports it for the keys that check signatures, which the reader
#   never builds) is linked from SwiftPM's own debug build, uninstrumented: its BoringSSL is
#   hundreds of C files that only SwiftPM knows how to build. `swift test` reuses that build.
swift build --target Crypto >/dev/null
debug=$(swift build --show-bin-path)
toml=.build/checkouts/TOMLKit/Sources
clangxx="$(dirname "$(readlink -f "$(command -v swiftc)")")/clang++"
for file in "$toml"/CTOML/Sources/*.cpp; do
    object="$out/toml/$(basename "$file" .cpp | tr -c 'A-Za-z0-9\n' _).o"
    [[ "$object" -nt "$file" ]] || "$clangxx" -std=c++17 -DTOML_EXCEPTIONS=1 -fsanitize=fuzzer-no-link,address -O1 -g -w \
        -I "$toml/CTOML/include" -c "$file" -o "$object"
done
mapfile -d '' tomlkit < <(find "$toml/TOMLKit" -name '*.swift' -print0)
swiftc "${flags[@]}" -suppress-warnings -module-name TOMLKit -Xcc -I"$toml/CTOML/include/CTOML" -emit-module \
    -emit-module-path "$out/modules/TOMLKit.swiftmodule" -emit-library -static -o "$out/libTOMLKit.a" "${tomlkit[@]}"
swiftc "${flags[@]}" -module-name Publishing -I "$out/modules" -I "$debug/Modules" -emit-module \
    -emit-module-path "$out/modules/Publishing.swiftmodule" -emit-library -static -o "$out/libPublishing.a" Sources/Publishing/*.swift
mapfile -d '' crypto < <(find "$debug"/{Crypto,CryptoBoringWrapper,CCryptoBoringSSL,CCryptoBoringSSLShims}.build -name '*.o' -print0)
swiftc "${flags[@]}" -use-ld=lld -module-name ConfigFuzz -I "$out/modules" -I "$debug/Modules" \
    -Xcc -I"$toml/CTOML/include/CTOML" -L "$out" -lPublishing -lTOMLKit -lEventStream \
    Sources/HeraldConfig/*.swift Fuzz/ConfigFuzz.swift "$out"/toml/*.o "${crypto[@]}" -lstdc++ -o "$out/config-fuzz"
