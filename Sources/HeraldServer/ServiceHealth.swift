import HTTP1
import Locks

/// What `server.health_path` reports beside the loop's own draining: why Redis (when configured)
/// cannot serve, set by the cluster engine on its loop, read by every loop.
final class ServiceHealth: Sendable {
    private let redisProblem = Locked<String?>(nil)

    /// nil while every Redis server is reachable (or Redis is not configured).
    var redisUnavailable: String? {
        redisProblem.withLock { $0 }
    }

    func setRedisUnavailable(_ reason: String?) {
        redisProblem.withLock { $0 = reason }
    }

    /// The readiness answer (head and body) of a loop that is draining or not.
    func response(draining: Bool, keepAlive: Bool, headOnly: Bool) -> (status: Int, bytes: [UInt8]) {
        let (status, text) = draining ? (503, "draining") : redisUnavailable.map { (503, $0) } ?? (200, "ok")
        let body = Array((text + "\n").utf8)
        var head = HTTPResponseHead(status: status, reason: status == 200 ? "OK" : "Service Unavailable")
        head.fields.append("Content-Type", "text/plain; charset=utf-8")
        head.fields.append("Content-Length", String(body.count))
        head.fields.append("Cache-Control", "no-store")
        if !keepAlive { head.fields.append("Connection", "close") }
        return (status, head.serialized() + (headOnly ? [] : body))
    }
}
