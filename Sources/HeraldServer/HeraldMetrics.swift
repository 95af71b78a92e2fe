import CoreMetrics
import Prometheus

/// The figures `/metrics` shows, kept with swift-metrics on a Prometheus registry of Herald's own
/// (never the global one, so tests and embedders can run several servers in one process).
///
/// Counters are bumped once per delivery slice with the slice's count, never once per subscriber.
final class HeraldMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
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
    /// How an auth request (or a re-authorization) ended.
    enum AuthorizationResult: String, CaseIterable {
        /// A 2xx: the stream opened (or stays open).
        case granted
        /// Any other answer: relayed to the client (or the stream closed).
        case refused
        /// No usable answer: 502, 504, a bad Herald-Channels (a re-authorized stream stays open).
        case failed
    }

    private let authRequestCounters: [AuthorizationResult: CoreMetrics.Counter]
    private let reauthorizationCounters: [AuthorizationResult: CoreMetrics.Counter]
    private let subscribers: CoreMetrics.Gauge
    private let channels: CoreMetrics.Gauge
    /// New streams refused beyond `limits.stream_opens_per_second`.
    let streamOpensRefused: CoreMetrics.Counter
    /// Redis mode: times a shard's connection was lost (or could not be made).
    let redisDisconnects: CoreMetrics.Counter
    private let factory: PrometheusMetricsFactory

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["herald_publish_to_write_seconds"] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        ]
        eventsPublished = Counter(label: "herald_events_published_total", factory: factory)
        eventsDelivered = Counter(label: "herald_events_delivered_total", factory: factory)
        slowSubscribersDisconnected = Counter(label: "herald_slow_subscribers_disconnected_total", factory: factory)
        eventsDropped = Counter(label: "herald_events_dropped_total", factory: factory)
        duplicatePublishes = Counter(label: "herald_duplicate_publishes_total", factory: factory)
        signaturesRefused = Counter(label: "herald_webhook_signatures_refused_total", factory: factory)
        publishToWrite = Timer(label: "herald_publish_to_write_seconds", factory: factory)
        authRequestCounters = Dictionary(uniqueKeysWithValues: AuthorizationResult.allCases.map { result in
            (result, Counter(label: "herald_auth_requests_total", dimensions: [("result", result.rawValue)], factory: factory))
        })
        reauthorizationCounters = Dictionary(uniqueKeysWithValues: AuthorizationResult.allCases.map { result in
            (result, Counter(label: "herald_reauthorizations_total", dimensions: [("result", result.rawValue)], factory: factory))
        })
        subscribers = Gauge(label: "herald_subscribers", factory: factory)
        channels = Gauge(label: "herald_channels", factory: factory)
        redisDisconnects = Counter(label: "herald_redis_disconnects_total", factory: factory)
        streamOpensRefused = Counter(label: "herald_stream_opens_refused_total", factory: factory)
        self.factory = factory
    }

    /// Redis mode: 1 while shard `shard` is connected, 0 while not.
    func setRedisUp(shard: Int, _ up: Bool) {
        Gauge(label: "herald_redis_up", dimensions: [("shard", String(shard))], factory: factory).record(up ? 1 : 0)
    }

    /// Auth requests made before a stream opens, by result.
    func authRequests(_ result: AuthorizationResult) -> CoreMetrics.Counter { authRequestCounters[result]! }

    /// Re-authorizations of open streams, by result.
    func reauthorizations(_ result: AuthorizationResult) -> CoreMetrics.Counter { reauthorizationCounters[result]! }

    /// The Prometheus text exposition, with the gauges read from `totals` first.
    func exposition(subscribers: Int, channels: Int) -> [UInt8] {
        self.subscribers.record(subscribers)
        self.channels.record(channels)
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
