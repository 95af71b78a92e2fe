import CoreMetrics
import Foundation
import Locks
import Prometheus
import Synchronization
import Telemetry

/// The figures `/metrics` shows, kept with swift-metrics on a Prometheus registry of Herald's own
/// (never the global one, so tests and embedders can run several servers in one process).
///
/// Every family is made on the registry with its help text (swift-prometheus's metrics factory
/// would leave out the `# HELP` lines). Counters are bumped once per delivery slice with the
/// slice's count, once per exchange at most, never once per subscriber; figures that are a state
/// (subscribers, connections, the process) are read when scraped.
final class HeraldMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let eventsPublished: CoreMetrics.Counter
    let eventsDelivered: CoreMetrics.Counter
    let slowSubscribersDisconnected: CoreMetrics.Counter
    /// Events queued for a stream and discarded unsent when it closed (the client replays them).
    let eventsDropped: CoreMetrics.Counter
    /// Publishes to a channel whose history held their id: answered duplicate, not stored.
    let duplicatePublishes: CoreMetrics.Counter
    /// Publishes refused for a missing, wrong or expired webhook signature (401).
    let signaturesRefused: CoreMetrics.Counter
    /// From a publish arriving to its bytes being queued on every subscriber of a loop (taken
    /// when the sweep that had it from its start ends).
    let publishToWrite: CoreMetrics.Timer
    /// From a forwarded request's last byte reaching the upstream's output to its response head.
    private let upstreamResponse: CoreMetrics.Timer
    /// Times the server began draining (SIGTERM, SIGINT).
    let drains: CoreMetrics.Counter
    /// How an auth request (or a re-authorization) ended.
    enum AuthorizationResult: String, CaseIterable {
        /// A 2xx: the stream opened (or stays open).
        case granted
        /// Any other answer: relayed to the client (or the stream closed).
        case refused
        /// No usable answer: 502, 504, a bad Herald-Channels (a re-authorized stream stays open).
        case failed
    }

    /// How a forwarded exchange failed on the upstream's side.
    enum UpstreamErrorKind: String, CaseIterable {
        /// No connection: refused, unreachable, or not made within `upstream.connect_timeout`.
        case connect
        /// No response head within `upstream.timeout` (504).
        case timeout
        /// The connection closed or failed before the response head, or in the middle of the body.
        case reset
        /// A response Herald could not read: a malformed head or body, a bad GRIP instruction.
        case badResponse = "bad_response"
    }

    enum ReloadResult: String, CaseIterable {
        case ok, failed
    }

    private let authRequestCounters: [AuthorizationResult: CoreMetrics.Counter]
    private let reauthorizationCounters: [AuthorizationResult: CoreMetrics.Counter]
    /// By status class: "2xx" ... "5xx".
    private let proxiedCounters: [CoreMetrics.Counter]
    private let upstreamErrorCounters: [UpstreamErrorKind: CoreMetrics.Counter]
    private let refusalCounters: [RefusalReason: CoreMetrics.Counter]
    private let reloadCounters: [ReloadResult: CoreMetrics.Counter]
    private let subscribers: Prometheus.Gauge
    private let channels: Prometheus.Gauge
    private let connectionsOpen: Prometheus.Gauge
    /// Each loop's count of open client connections, summed when scraped.
    private let loopConnectionCounts = Locked<[LoopConnectionCount]>([])
    /// New streams refused beyond `limits.stream_opens_per_second` (kept for dashboards made
    /// before `herald_requests_refused_total{reason="stream_opens"}`, which counts them too).
    let streamOpensRefused: CoreMetrics.Counter
    /// Redis mode: times a shard's connection was lost (or could not be made).
    let redisDisconnects: CoreMetrics.Counter
    private let factory: PrometheusMetricsFactory

    init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        let factory = PrometheusMetricsFactory(registry: registry)
        func counter(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> CoreMetrics.Counter {
            CoreMetrics.Counter(label: name, dimensions: labels, handler: registry.makeCounter(descriptor: described(name, help), labels: labels),
                                factory: factory)
        }
        func timer(_ name: String, _ help: String, _ buckets: [Duration]) -> CoreMetrics.Timer {
            CoreMetrics.Timer(label: name, dimensions: [],
                              handler: registry.makeDurationHistogram(descriptor: described(name, help), buckets: buckets), factory: factory)
        }
        eventsPublished = counter("herald_events_published_total", "Events published and stored.")
        eventsDelivered = counter("herald_events_delivered_total", "Events queued on a subscriber's stream.")
        slowSubscribersDisconnected = counter("herald_slow_subscribers_disconnected_total",
                                              "Streams closed for falling behind events.max_buffered_bytes.")
        eventsDropped = counter("herald_events_dropped_total", "Events queued for a stream and discarded unsent when it closed.")
        duplicatePublishes = counter("herald_duplicate_publishes_total", "Publishes whose id the channel's history held already.")
        signaturesRefused = counter("herald_webhook_signatures_refused_total",
                                    "Publishes refused for a missing, wrong or expired webhook signature.")
        publishToWrite = timer("herald_publish_to_write_seconds",
                               "From a publish arriving to its bytes being queued on every subscriber of a loop.", [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        ])
        upstreamResponse = timer("herald_upstream_response_seconds",
                                 "From a forwarded request sent to the upstream to its response head.", [
            .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
        ])
        authRequestCounters = Dictionary(uniqueKeysWithValues: AuthorizationResult.allCases.map { result in
            (result, counter("herald_auth_requests_total", "Auth requests made before a stream opens, by result.",
                             [("result", result.rawValue)]))
        })
        reauthorizationCounters = Dictionary(uniqueKeysWithValues: AuthorizationResult.allCases.map { result in
            (result, counter("herald_reauthorizations_total", "Re-authorizations of open streams, by result.",
                             [("result", result.rawValue)]))
        })
        proxiedCounters = (2...5).map { digit in
            counter("herald_proxied_requests_total", "Forwarded requests by the class of the status sent to the client.",
                    [("class", "\(digit)xx")])
        }
        upstreamErrorCounters = Dictionary(uniqueKeysWithValues: UpstreamErrorKind.allCases.map { kind in
            (kind, counter("herald_upstream_errors_total", "Forwarded requests the upstream failed, by kind.", [("kind", kind.rawValue)]))
        })
        refusalCounters = Dictionary(uniqueKeysWithValues: RefusalReason.allCases.map { reason in
            (reason, counter("herald_requests_refused_total", "Connections and requests Herald refused itself, by reason.",
                             [("reason", reason.rawValue)]))
        })
        reloadCounters = Dictionary(uniqueKeysWithValues: ReloadResult.allCases.map { result in
            (result, counter("herald_reloads_total", "Reloads of proxy.conf, by result.", [("result", result.rawValue)]))
        })
        drains = counter("herald_drains_total", "Times the server began draining its connections.")
        subscribers = registry.makeGauge(descriptor: described("herald_subscribers", "Open event streams."))
        channels = registry.makeGauge(descriptor: described("herald_channels", "Channels with a subscriber or a history."))
        connectionsOpen = registry.makeGauge(descriptor: described("herald_connections_open", "Client connections open now, on every loop."))
        registry.makeGauge(descriptor: described("herald_build_info", "The running Herald's version, always 1."),
                           labels: [("version", HeraldVersion.number)]).set(to: 1)
        redisDisconnects = counter("herald_redis_disconnects_total", "Redis mode: times a shard's connection was lost or not made.")
        streamOpensRefused = counter("herald_stream_opens_refused_total", "New streams refused beyond limits.stream_opens_per_second.")
        self.factory = factory
    }

    /// Redis mode: 1 while shard `shard` is connected, 0 while not.
    func setRedisUp(shard: Int, _ up: Bool) {
        registry.makeGauge(descriptor: described("herald_redis_up", "Redis mode: 1 while the shard is connected."),
                           labels: [("shard", String(shard))]).set(to: up ? 1 : 0)
    }

    /// Auth requests made before a stream opens, by result.
    func authRequests(_ result: AuthorizationResult) -> CoreMetrics.Counter { authRequestCounters[result]! }

    /// Re-authorizations of open streams, by result.
    func reauthorizations(_ result: AuthorizationResult) -> CoreMetrics.Counter { reauthorizationCounters[result]! }

    /// A forwarded request answered with `status` (an interim 1xx or 101 counts nowhere).
    func proxied(status: Int) {
        guard (200...599).contains(status) else { return }
        proxiedCounters[status / 100 - 2].increment()
    }

    /// A forwarded request's response head came `duration` after the request was sent.
    func upstreamResponded(after duration: Duration) {
        let (seconds, attoseconds) = duration.components
        upstreamResponse.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// Forwarded requests the upstream failed, by kind.
    func upstreamErrors(_ kind: UpstreamErrorKind) -> CoreMetrics.Counter { upstreamErrorCounters[kind]! }

    /// Connections and requests refused, by reason.
    func refusals(_ reason: RefusalReason) -> CoreMetrics.Counter { refusalCounters[reason]! }

    /// Reloads of proxy.conf, by result.
    func reloads(_ result: ReloadResult) -> CoreMetrics.Counter { reloadCounters[result]! }

    /// A counter of open connections for one loop, which it sets as they open and close.
    func makeLoopConnectionCount() -> LoopConnectionCount {
        let count = LoopConnectionCount()
        loopConnectionCounts.withLock { $0.append(count) }
        return count
    }

    /// The Prometheus text exposition, with the gauges read from `totals` first.
    func exposition(subscribers: Int, channels: Int) -> [UInt8] {
        self.subscribers.set(Int64(subscribers))
        self.channels.set(Int64(channels))
        connectionsOpen.set(Int64(loopConnectionCounts.withLock { counts in counts.reduce(0) { $0 + $1.current } }))
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        buffer += Array(ProcessFigures.readNow().exposition.utf8)
        return buffer
    }
}

/// A family's name (given whole, suffix included) with its help text.
private func described(_ name: String, _ help: String) -> MetricNameDescriptor {
    MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
}

/// One loop's open client connections: written by its loop only, read by a scrape on another
/// thread, so an atomic, stored (not added to) with relaxed ordering: a scrape needs no more.
final class LoopConnectionCount: Sendable {
    private let value = Atomic<Int>(0)

    func set(_ count: Int) { value.store(count, ordering: .relaxed) }

    var current: Int { value.load(ordering: .relaxed) }
}

extension ProcessFigures {
    /// This process's figures, read from /proc (Linux; elsewhere only the descriptor limit).
    static func readNow() -> ProcessFigures {
        var limit = rlimit()
        let maxFDs = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 && limit.rlim_cur < rlim_t(Int.max) ? Int(limit.rlim_cur) : nil
        let openFDs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")).map(\.count)
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8) else {
            return ProcessFigures(openFDs: openFDs, maxFDs: maxFDs)
        }
        return ProcessFigures(stat: stat, systemStat: try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
                              ticksPerSecond: sysconf(Int32(_SC_CLK_TCK)), pageSize: sysconf(Int32(_SC_PAGESIZE)),
                              openFDs: openFDs, maxFDs: maxFDs)
    }
}
