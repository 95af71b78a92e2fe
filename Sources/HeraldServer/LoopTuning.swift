import Fanout
import HeraldConfig
import HTTP1
import LibeventIO
import Proxy

/// What one loop makes of the settings: the parts every exchange reads, built once per start or
/// reload instead of at each request.
struct LoopTuning {
    let settings: HeraldSettings
    let limits: HTTPLimits
    let router: Router
    let eventsGate: EventsGate
    let clientScript: ClientScript
    let streamOpening: StreamOpening
    let rewriter: HeadRewriter
    /// `events.max_buffered_bytes`, read at each delivery (reading it through `settings` copies
    /// the settings).
    let slowSubscriberBound: SlowSubscriberBound
    /// An access log is kept (`log.access` is not "off").
    let logsAccess: Bool
    /// This loop's share of `server.max_connections`; beyond it new connections are closed at once.
    let maxConnections: Int
    /// This loop's share of `limits.stream_opens_per_second`.
    let streamOpenRate: StreamOpenRate

    init(settings: HeraldSettings, loopCount: Int) {
        let loops = max(1, loopCount)
        self.settings = settings
        limits = HTTPLimits(maxStartLineBytes: settings.server.maxRequestLineBytes, maxHeadBytes: settings.server.maxHeaderBytes)
        router = Router(eventsPath: settings.events.path, healthPath: settings.server.healthPath)
        eventsGate = EventsGate(eventsPath: settings.events.path, servesClientScript: settings.events.clientScript,
                                allowedOrigins: settings.events.allowOrigins.origins, allowsAnyOrigin: settings.events.allowOrigins.allowsAny)
        clientScript = ClientScript(settings: settings.events)
        streamOpening = StreamOpening(events: settings.events)
        rewriter = HeadRewriter(upstreamAuthority: settings.upstream.url.authority)
        slowSubscriberBound = SlowSubscriberBound(maxBytes: settings.events.maxBufferedBytes)
        logsAccess = settings.log.access != .off
        maxConnections = max(1, settings.server.maxConnections / loops)
        streamOpenRate = StreamOpenRate(perSecond: Double(settings.limits.streamOpensPerSecond) / Double(loops))
    }

    /// A pool of connections to the upstream at `address`, with the `[upstream]` settings.
    func pool(loop: EventLoop, address: SocketAddress) -> UpstreamPool {
        let upstream = settings.upstream
        return UpstreamPool(loop: loop, address: address, connectTimeout: upstream.connectTimeout,
                            maxIdle: upstream.maxIdleConnections, idleTimeout: upstream.idleTimeout)
    }
}
