// swift-tools-version:6.0
import PackageDescription

// Herald runs on Linux only: it needs Glibc, eventfd and malloc.h. SwiftPM has no "Linux only"
// platform key (`platforms` lists minimum versions of Apple's), so the manifest says it here.
#if !os(Linux)
#error("Herald builds on Linux only: it needs Glibc, eventfd and malloc.h")
#endif

let package = Package(
    name: "Herald",
    products: [
        .executable(name: "herald", targets: ["herald"]),
        .executable(name: "herald-bench", targets: ["herald-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // The C boundary: a module map and an umbrella header, nothing else.
        .systemLibrary(
            name: "CLibevent",
            pkgConfig: "libevent_core",
            providers: [.apt(["libevent-dev"])]
        ),
        // A value threads share behind a pthread mutex (which ThreadSanitizer sees). No IO.
        .target(name: "Locks"),
        // Safe Swift over libevent; the only importer of CLibevent.
        .target(name: "LibeventIO", dependencies: ["CLibevent", "Locks"]),
        // hiredis's RESP reader and command formatter: a module map and an umbrella header.
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        // A Redis connection (commands, pipelining, pub/sub) on LibeventIO; the only importer of CHiredis.
        .target(name: "RedisClient", dependencies: ["LibeventIO", "CHiredis"]),
        // Pure HTTP/1.1 framing: heads, bodies, limits. No IO.
        .target(name: "HTTP1"),
        // Pure SSE wire format: event encoding, comments, Last-Event-ID, channel names.
        .target(name: "EventStream"),
        // Channels, subscribers, bounded queues (the slow-subscriber bound), replay history. No IO.
        .target(name: "Fanout", dependencies: ["EventStream", "Locks"]),
        // The publish listener's pure rules: publish requests (Herald's JSON and raw, Pushpin's format)
        // and their answers, webhook signatures (Standard Webhooks, GitHub), who may use which route,
        // and webhooks in their senders' own formats (route templates). No IO.
        .target(name: "Publishing", dependencies: ["EventStream", .product(name: "Crypto", package: "swift-crypto")]),
        // The phases of a forwarded exchange as state machines; routing; header rewriting.
        .target(name: "Proxy", dependencies: ["HTTP1", "EventStream"]),
        // Scale-out through Redis, without the connection: keys, Lua scripts, entry and message codecs,
        // the shard map and the channel tracker (offsets, gaps, epochs) as a state machine. No IO.
        .target(name: "Cluster", dependencies: ["EventStream"]),
        // The figures /metrics reports by hand: process_* from /proc text, refusal reasons. No IO.
        .target(name: "Telemetry"),
        // proxy.conf -> validated settings.
        .target(name: "HeraldConfig", dependencies: ["TOMLKit", "EventStream", "Publishing"]),
        // Runs the state machines on LibeventIO connections; lifecycle.
        .target(
            name: "HeraldServer",
            dependencies: [
                "LibeventIO", "HTTP1", "Proxy", "HeraldConfig", "EventStream", "Fanout", "Publishing", "Cluster", "RedisClient", "Telemetry",
                "Locks",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // The browser script served at <events.path>/client.js, compiled into the binary.
            resources: [.embedInCode("client.js")]
        ),
        .executableTarget(
            name: "herald",
            dependencies: [
                "HeraldServer", "HeraldConfig", "Publishing", "Locks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Load generator for the benchmarks: SSE subscribers and publishers on LibeventIO.
        .executableTarget(
            name: "herald-bench",
            dependencies: [
                "LibeventIO", "HTTP1",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Real sockets on loopback: connects, writes and listeners.
        .testTarget(name: "LibeventIOTests", dependencies: ["LibeventIO"]),
        // A real redis-server per test, on a free port or a Unix socket in a temporary directory.
        .testTarget(name: "RedisClientTests", dependencies: ["RedisClient", "LibeventIO"]),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1"]),
        .testTarget(name: "EventStreamTests", dependencies: ["EventStream"]),
        .testTarget(name: "FanoutTests", dependencies: ["Fanout", "EventStream"]),
        .testTarget(name: "PublishingTests", dependencies: ["Publishing"]),
        .testTarget(name: "ProxyTests", dependencies: ["Proxy", "HTTP1"]),
        // The Lua scripts run against a real redis-server started per test (over a unix socket).
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "EventStream"]),
        .testTarget(name: "HeraldConfigTests", dependencies: ["HeraldConfig"]),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry"]),
        .testTarget(name: "LocksTests", dependencies: ["Locks"]),
        .testTarget(name: "HeraldBenchTests", dependencies: ["herald-bench"]),
    ],
    swiftLanguageModes: [.v6]
)
