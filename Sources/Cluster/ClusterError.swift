/// Something read from Redis is not what Herald writes there: a pub/sub message, a stream entry or
/// a script's reply that is malformed (another program's data under Herald's prefix, a version
/// mismatch, a bug). Its source is always Redis; `reason` names the value and what was wrong, for
/// the log, since nothing a subscriber did caused it.
public struct ClusterError: Error, Sendable, Equatable {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }
}
