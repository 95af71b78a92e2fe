import Fanout
import HeraldConfig
import HTTP1
import LibeventIO

/// What the publish listener's connections answer with, and their bounds: one per process, on
/// the publish loop, replaced in place by a reload, so a publisher's next request (on a
/// connection kept alive, too) meets the new token, secrets and routes.
final class PublishService {
    private(set) var api: PublishAPI
    private(set) var limits: HTTPLimits
    /// `publish.max_body_bytes`.
    private(set) var maxBodyBytes: Int
    /// `server.idle_timeout`.
    private(set) var idleTimeout: Duration
    private let hub: Hub
    private let store: any PublishStore
    private let metrics: HeraldMetrics
    /// The publish listener's access log (`log.access`).
    let accessLog: PublishAccessLog

    init(hub: Hub, store: any PublishStore, metrics: HeraldMetrics, settings: HeraldSettings, loop: EventLoop) {
        self.hub = hub
        self.store = store
        self.metrics = metrics
        api = PublishAPI(hub: hub, store: store, metrics: metrics, settings: settings.publish)
        (limits, maxBodyBytes, idleTimeout) = Self.bounds(settings)
        accessLog = PublishAccessLog(format: settings.log.access, loop: loop)
    }

    /// A reload: requests read from now on follow `settings`.
    func apply(_ settings: HeraldSettings) {
        api = PublishAPI(hub: hub, store: store, metrics: metrics, settings: settings.publish)
        (limits, maxBodyBytes, idleTimeout) = Self.bounds(settings)
        accessLog.apply(format: settings.log.access)
    }

    private static func bounds(_ settings: HeraldSettings) -> (HTTPLimits, Int, Duration) {
        (HTTPLimits(maxStartLineBytes: settings.server.maxRequestLineBytes, maxHeadBytes: settings.server.maxHeaderBytes),
         settings.publish.maxBodyBytes, settings.server.idleTimeout)
    }
}
