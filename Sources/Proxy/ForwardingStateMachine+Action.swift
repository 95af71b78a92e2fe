import HTTP1

extension ForwardingStateMachine {
    /// What the IO shell does after an event.
    public enum Action {
        case none
        /// Arm the idle timer and read a head already received (keep-alive, or the first one).
        case awaitHead
        /// Arm the header timer: a head has started, or a draining connection waits for its first.
        case armHeaderTimer
        /// The response timeout starts now (request sent, or a GRIP body awaited).
        case armUpstreamTimer
        /// Close the client connection (and the upstream one, if any) now.
        case close
        /// Close the client connection once the answer is flushed; `lingering`: the client may
        /// still be sending a body, which must not turn the answer into a reset.
        case closeWhenFlushed(lingering: Bool)
        /// Pause reading the client while the upstream's unsent output is above the high watermark.
        case limitUpstreamBacklog
        /// Pause reading the upstream while the client's unsent output is above the high watermark.
        case limitDownstreamBacklog
        /// The pooled upstream had closed: connect anew and send the request again.
        case retry(ForwardedExchange)
        /// Relay an interim (1xx) head to the client, then read the next head.
        case relayInterimHead
        /// Relay the response head (rewritten for `framing`), then stream the body.
        case relayHead(ForwardedExchange, framing: DownstreamFraming, keepAlive: Bool)
        /// The upstream's head is a GRIP hold: arm the upstream timer, read its initial body.
        case beginGripHold
        /// Relay the 101, log the exchange, and copy bytes both ways from now on.
        case openTunnel(ForwardedExchange)
        /// One side of the tunnel ended: move what it sent, close it, let the other finish.
        case endTunnel(ended: Side)
        /// The exchange ended well: log it, give the upstream back or close it, go on.
        case finish(ForwardedExchange, Finish)
        /// The GRIP body is complete: the client becomes a held stream. (Rare, large cases are
        /// indirect: every action is returned by value, and this keeps it small.)
        indirect case holdGripStream(ForwardedExchange, GripHold)
        /// Answer with an error and close (nothing of a response was sent).
        indirect case fail(Failure)
        /// A response had begun: close both sides, the client sees a truncated response.
        /// `resetsClient`: its body ends with the connection (an HTTP/1.0 client), where a close
        /// would read as the body's end: reset the client connection instead.
        case abort(ForwardedExchange, reason: String, upstreamError: UpstreamError?, resetsClient: Bool)
        /// The client went away during the exchange: close both sides, log a 499.
        case abandon(ForwardedExchange)
    }

    public enum Side: Sendable, Equatable {
        case downstream, upstream
    }

    /// How the upstream failed, for the metrics (where a 502 does not say).
    public enum UpstreamError: Sendable, Equatable {
        case connect, timeout, reset, badResponse
    }

    public struct Finish: Sendable, Equatable {
        /// The upstream connection goes back to its pool; else it is closed.
        public var upstreamReusable: Bool
        /// The body ended with its connection: write the encoding's end (a last chunk) first.
        public var endsBody: BodyEncoding?
        /// The client connection waits for its next request; else it closes once flushed.
        public var keepAlive: Bool
        /// The client may still be sending its body (the app answered early): linger on close.
        public var requestComplete: Bool
    }

    public struct GripHold {
        public var head: HTTPResponseHead
        public var instruction: GripInstruction
        public var body: [UInt8]
        public var upstreamReusable: Bool
    }

    public struct Failure {
        public var error: ProxyError
        /// The request answered, for the access log (nil when its head could not be read).
        public var request: HTTPRequestHead?
        /// The exchange under way, if any (its id and timings go in the access log).
        public var exchange: ForwardedExchange?
        public var extraFields: [HTTPField]
        /// How the upstream failed, for an upstream error.
        public var upstreamError: UpstreamError?
        /// The answer is a forwarded request's (an upstream failure is one even before the
        /// exchange began), for `herald_proxied_requests_total`.
        public var forwarded: Bool
        /// An upstream connection is open (it cannot be reused after a failure): close it.
        public var closesUpstream: Bool { exchange != nil }
    }
}
