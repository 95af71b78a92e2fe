import HTTP1

extension ForwardingStateMachine {
    /// Largest initial body of a GRIP response, held whole so that nothing published can land
    /// inside it: a page's first bytes, not a download. Larger is a 502.
    public static let maxGripBodyBytes = 64 * 1024

    /// What the shell reads from the upstream's input now.
    public enum UpstreamInput: Sendable, Equatable {
        /// Nothing (no exchange, or a tunnel, which the shell copies as it is).
        case none
        case responseHead
        /// The body, moved to the client with `responseBodyReceived`.
        case body
        /// A GRIP hold's initial body, read with `gripBodyReceived`.
        case gripBody
    }

    public var upstreamInput: UpstreamInput {
        guard case .exchanging(let exchange) = state else { return .none }
        switch exchange.responsePhase {
        case .awaitingHead: return .responseHead
        case .body: return .body
        case .gripBody: return .gripBody
        }
    }

    /// A response head came (the shell parsed it; GRIP fields are removed from it in place when
    /// `gripMaxChannels` is set, i.e. `events.grip` is on). `checkFraming` looks at the chunked
    /// framing already received behind the head, before anything is sent: bad framing there is a
    /// 502, not a head followed by a cut.
    public mutating func responseHeadReceived(
        _ head: inout HTTPResponseHead, gripMaxChannels: Int?, limits: HTTPLimits, now: @autoclosure () -> ContinuousClock.Instant,
        checkFraming: (BodyReader) throws(HTTPParseError) -> Void
    ) -> Action {
        guard case .exchanging(let exchange) = state, case .awaitingHead(_, let keepAlive) = exchange.responsePhase else { return .none }
        if exchange.startedAt != nil && (head.status == 101 || head.status >= 200) { exchange.headAt = now() }
        if head.status == 101 {
            guard exchange.isUpgrade, exchange.requestPhase.isComplete else {
                return fail(ProxyError(.upstream, status: 502, "upstream switched protocols without an upgrade request"),
                            request: exchange.request)
            }
            exchange.status = 101
            state = .tunnel
            return .openTunnel(exchange)
        }
        if head.status < 200 {
            // Interim (100 Continue, 103 Early Hints): relayed to HTTP/1.1 clients, then the final one.
            exchange.responsePhase = .awaitingHead(mayRetry: false, keepAlive: keepAlive)
            return exchange.request.version == .http11 ? .relayInterimHead : .none
        }
        if let maxChannels = gripMaxChannels {
            if exchange.request.method != "HEAD" {
                do throws(ProxyError) {
                    if let instruction = try GripInstruction.parse(head.fields, maxChannels: maxChannels) {
                        return beginGripHold(exchange, head, instruction, limits: limits)
                    }
                } catch {
                    return fail(error, request: exchange.request)
                }
            }
            // Instructions are for Herald alone: with GRIP on, no Grip-* field reaches a client.
            GripInstruction.removeGripFields(&head.fields)
        }
        let framing: ResponseBodyFraming
        let body: BodyReader
        do throws(HTTPParseError) {
            framing = try head.bodyFraming(requestMethod: exchange.request.method)
            body = BodyReader(response: framing, limits: limits)
            // A body without framing is not looked at; framing that arrives later is checked as it is pumped (an abort).
            if body.readsFraming {
                do {
                    try checkFraming(body)
                } catch {
                    return fail(ProxyError(.upstream, status: 502, "invalid response body from upstream: \(error.reason)"),
                                request: exchange.request)
                }
            }
        } catch {
            return fail(ProxyError(.upstream, status: 502, "invalid response from upstream: \(error.reason)"), request: exchange.request)
        }
        let downstreamFraming = DownstreamFraming(upstream: framing, clientVersion: exchange.request.version)
        let relay = Relay(keepAlive: keepAlive && downstreamFraming != .untilClose,
                          upstreamReusable: head.wantsKeepAlive && framing != .untilClose, endsWithClose: downstreamFraming == .untilClose)
        exchange.status = head.status
        exchange.responsePhase = .body(body, downstreamFraming == .chunked ? .chunked : .identity, relay)
        return .relayHead(exchange, framing: downstreamFraming, keepAlive: relay.keepAlive)
    }

    /// The upstream's response head could not be read.
    public mutating func responseHeadInvalid(_ error: HTTPParseError) -> Action {
        guard case .exchanging(let exchange) = state, case .awaitingHead = exchange.responsePhase else { return .none }
        return fail(ProxyError(.upstream, status: 502, "invalid response from upstream: \(error.reason)"), request: exchange.request)
    }

    /// The upstream's end is part of the answer (a body delimited by the close, or a GRIP body
    /// being held): the shell reads what it sent before reporting `upstreamEnded`.
    public var readsUntilUpstreamEnds: Bool {
        guard case .exchanging(let exchange) = state else { return false }
        switch exchange.responsePhase {
        case .body(let body, _, _): return body.endsAtClose
        case .gripBody: return true
        case .awaitingHead: return false
        }
    }

    /// Response body bytes may be moved to the client: `pump` moves what it can with the reader
    /// given (re-framing with the encoding) and says whether the body is complete and how many
    /// data bytes it moved.
    public mutating func responseBodyReceived(
        pump: (inout BodyReader, BodyEncoding) throws(HTTPParseError) -> (finished: Bool, dataBytes: Int)
    ) -> Action {
        guard case .exchanging(let exchange) = state, case .body(var body, let encoding, let relay) = exchange.responsePhase else {
            return .none
        }
        let moved: (finished: Bool, dataBytes: Int)
        do throws(HTTPParseError) {
            moved = try pump(&body, encoding)
        } catch {
            return abort(exchange, reason: "invalid response body from upstream: \(error.reason)", upstreamError: .badResponse)
        }
        exchange.bytesSent += UInt64(moved.dataBytes)
        if moved.finished { return finish(exchange, relay, endsBody: nil) }
        exchange.responsePhase = .body(body, encoding, relay)
        return .limitDownstreamBacklog
    }

    /// Bytes of a GRIP hold's initial body arrived at the front of the upstream's input; returns
    /// how many to drop and what to do.
    public mutating func gripBodyReceived(_ bytes: UnsafeRawBufferPointer) -> (consumed: Int, action: Action) {
        guard case .exchanging(let exchange) = state,
              case .gripBody(let head, let instruction, var body, let reusable) = exchange.responsePhase else { return (0, .none) }
        let consumed: Int
        let finished: Bool
        do throws(HTTPParseError) {
            (consumed, finished) = try body.received(bytes)
        } catch {
            return (0, fail(ProxyError(.upstream, status: 502, "invalid response body from upstream: \(error.reason)"),
                            request: exchange.request))
        }
        guard finished else {
            if body.bytes == nil { return (consumed, gripBodyTooLarge(exchange)) }
            exchange.responsePhase = .gripBody(head, instruction, body, upstreamReusable: reusable)
            return (consumed, .none)
        }
        return (consumed, holdGripStream(exchange, head, instruction, body, upstreamReusable: reusable))
    }

    /// How many input bytes `gripBodyReceived` should see at once: the whole bound and its framing.
    public static func gripBodyWindow(limits: HTTPLimits) -> Int {
        maxGripBodyBytes + limits.maxHeadBytes + 2
    }

    private mutating func beginGripHold(_ exchange: ForwardedExchange, _ head: HTTPResponseHead,
                                        _ instruction: GripInstruction, limits: HTTPLimits) -> Action {
        let framing: ResponseBodyFraming
        do throws(HTTPParseError) {
            framing = try head.bodyFraming(requestMethod: exchange.request.method)
        } catch {
            return fail(ProxyError(.upstream, status: 502, "invalid response from upstream: \(error.reason)"), request: exchange.request)
        }
        exchange.status = instruction.status?.code ?? head.status
        let body = BoundedBody(BodyReader(response: framing, limits: limits), maxBytes: Self.maxGripBodyBytes)
        let reusable = head.wantsKeepAlive && framing != .untilClose
        exchange.responsePhase = .gripBody(head, instruction, body, upstreamReusable: reusable)
        // Nothing has reached the client yet: the initial body too must come within upstream.timeout.
        return .beginGripHold
    }

    mutating func holdGripStream(_ exchange: ForwardedExchange, _ head: HTTPResponseHead,
                                 _ instruction: GripInstruction, _ body: BoundedBody, upstreamReusable: Bool) -> Action {
        guard let bytes = body.bytes else { return gripBodyTooLarge(exchange) }
        guard exchange.requestPhase.isComplete else {
            return fail(ProxyError(.upstream, status: 502, "the app held the stream before the request body was sent"),
                        request: exchange.request)
        }
        state = .closing
        return .holdGripStream(exchange, GripHold(head: head, instruction: instruction, body: bytes, upstreamReusable: upstreamReusable))
    }

    private mutating func gripBodyTooLarge(_ exchange: ForwardedExchange) -> Action {
        fail(ProxyError(.upstream, status: 502, "the GRIP response's initial body is larger than \(Self.maxGripBodyBytes) bytes"),
             request: exchange.request)
    }
}
