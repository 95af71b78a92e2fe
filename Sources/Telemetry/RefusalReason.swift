/// Why Herald refused a client, as `herald_requests_refused_total{reason}` counts it: a small,
/// fixed set, so that the series stay few whatever clients send.
public enum RefusalReason: String, CaseIterable, Sendable {
    /// `server.max_connections` reached: the connection was closed at once.
    case maxConnections = "max_connections"
    /// `limits.stream_opens_per_second` exceeded (503).
    case streamOpens = "stream_opens"
    /// `limits.max_subscribers` reached (503).
    case maxSubscribers = "max_subscribers"
    /// `limits.max_subscribers_per_ip` reached (429).
    case subscribersPerIP = "subscribers_per_ip"
    /// A malformed or unsupported request: 400, 405, 501, 505, …
    case badRequest = "bad_request"
    /// A refused target or origin: an absolute-form target, an origin not in `events.allow_origins` (403).
    case forbidden
    /// A request line or head over its limit (414, 431).
    case headTooLarge = "head_too_large"
    /// A body over `server.max_body_bytes` (413).
    case payloadTooLarge = "payload_too_large"
    /// A head not received within `server.header_timeout` (408).
    case headerTimeout = "header_timeout"

    /// The reason for a request refused with `status` (a 4xx or 5xx Herald answered itself).
    public init(refusedStatus status: Int) {
        switch status {
        case 403: self = .forbidden
        case 408: self = .headerTimeout
        case 413: self = .payloadTooLarge
        case 414, 431: self = .headTooLarge
        default: self = .badRequest
        }
    }

    /// The reason for a stream the limits refused with `status`: 429 is the per-address limit,
    /// the hub's 503 the server-wide one.
    public init(subscriberLimitStatus status: Int) {
        self = status == 429 ? .subscribersPerIP : .maxSubscribers
    }
}
