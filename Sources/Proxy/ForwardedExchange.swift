import HTTP1

/// One forwarded request and what is known of its answer, for the access log and the metrics,
/// and the two phases it is in, which only `ForwardingStateMachine` changes. The phases live here,
/// not in the machine's state enum, so that an event changes them in place instead of copying the
/// state out and back (a tenth of the proxy's instructions per request, BENCHMARKS.md, stop 19).
public final class ForwardedExchange {
    /// How far the request has gone upstream.
    @exclusivity(unchecked) public internal(set) var requestPhase = ForwardingStateMachine.RequestPhase.sent
    /// How far the response has come back.
    @exclusivity(unchecked) public internal(set) var responsePhase = ForwardingStateMachine.ResponsePhase.awaitingHead(mayRetry: false,
                                                                                                                   keepAlive: false)

    /// When the request was forwarded, for the access log's duration (nil when none is kept:
    /// no clock read per request for nothing).
    public let startedAt: ContinuousClock.Instant?
    /// The head sent upstream, kept to retry once on a fresh connection; it holds the request.
    public let upstreamHead: UpstreamRequestHead
    /// The client's request (kept once, in its rewrite).
    public var request: HTTPRequestHead { upstreamHead.request }
    /// The X-Request-Id sent upstream, for the access log (nil when the log keeps none).
    public let requestID: String?
    /// The client asked for a `101 Switching Protocols` (its head was rewritten for a tunnel).
    public let isUpgrade: Bool
    /// The status the client got (0 until a response head was relayed).
    public internal(set) var status = 0
    /// Response body bytes relayed to the client.
    public internal(set) var bytesSent: UInt64 = 0
    /// When the whole request reached the upstream's output, for `herald_upstream_response_seconds`.
    public internal(set) var requestSentAt: ContinuousClock.Instant?
    /// When the upstream's final response head came (timed exchanges only).
    public internal(set) var headAt: ContinuousClock.Instant?

    public init(upstreamHead: UpstreamRequestHead, isUpgrade: Bool, startedAt: ContinuousClock.Instant?, requestID: String?) {
        self.upstreamHead = upstreamHead
        self.isUpgrade = isUpgrade
        self.startedAt = startedAt
        self.requestID = requestID
    }
}
