// The phases of the requests forwarded on one client connection, without the sockets: the IO
// shell (`ProxyConnection`) reports what happened, one method per event, and performs the action
// returned. Timestamps come from the shell (`now`), read only when kept.
//
//   awaitingHead ──head──▶ exchanging ──response complete──▶ awaitingHead (keep-alive) or closing
//        │  ├─local answer, hand-off, error──▶ closing   ├─101──▶ tunnel ──either side ends──▶ closing
//        │  └─timer: close, or 408                       └─timer, bad answer: 504/502; cut: abort
//
// Invariants: requests on one connection are answered in order, one at a time (pipelined requests
// wait in the shell's input buffer); `state` and the exchange's phases are assigned here only.

import HTTP1

public struct ForwardingStateMachine {
    public internal(set) var state: State = .awaitingHead(HeadWait())
    /// The server drains: no exchange keeps its client connection.
    public private(set) var draining = false

    public init() {}

    // MARK: Waiting for a request head

    /// Bytes came but not a whole head: only a head that arrives in pieces needs the header timer.
    public mutating func requestHeadIncomplete() -> Action {
        guard case .awaitingHead(var wait) = state, !wait.started else { return .none }
        wait.started = true
        state = .awaitingHead(wait)
        return .armHeaderTimer
    }

    /// The idle timer (no request) or the header timer (an incomplete head) fired.
    public mutating func headTimerFired(headerTimeout: Duration) -> Action {
        guard case .awaitingHead(let wait) = state else { return .none }
        guard wait.started else { return .close }
        return fail(ProxyError(.downstream, status: 408, "request head not received within \(headerTimeout)"), request: nil)
    }

    /// The server drains: a connection between two requests closes now (its client retries on a
    /// new one); a new connection whose first request has not been read yet (it may sit in the
    /// socket) gets the header timeout to bring it, and its answer closes the connection.
    public mutating func drainBegan(inputEmpty: Bool) -> Action {
        draining = true
        guard case .awaitingHead(let wait) = state, inputEmpty, !wait.started else { return .none }
        return wait.afterExchange ? .close : .armHeaderTimer
    }

    /// The request is answered with an error (a bad head, a refused route, an upstream that cannot
    /// be reached); `upstreamError` says how the upstream failed where the status does not.
    public mutating func requestFailed(_ error: ProxyError, request: HTTPRequestHead?, extraFields: [HTTPField] = [],
                                       upstreamError: UpstreamError? = nil) -> Action {
        fail(error, request: request, extraFields: extraFields, upstreamError: upstreamError)
    }

    /// Herald answered the request itself (client.js, a preflight, readiness).
    public mutating func answeredLocally(keepAlive: Bool, requestMayHaveBody: Bool) -> Action {
        guard keepAlive else {
            state = .closing
            // A body, which nothing reads, may still be arriving.
            return .closeWhenFlushed(lingering: requestMayHaveBody)
        }
        return awaitHead(afterExchange: nil)
    }

    /// The client connection left forwarding: it is an event stream now.
    public mutating func handedOff() {
        state = .closing
    }

    /// The request goes upstream (its head is being written); `pooled`: on a kept-alive connection.
    /// The shell reports `requestBodyReceived` next, which sends a request without body at once.
    public mutating func forwarding(_ exchange: ForwardedExchange, framing: RequestBodyFraming, maxBodyBytes: UInt64, pooled: Bool,
                                    limits: HTTPLimits) {
        let body = BodyReader(request: framing, maxDataBytes: maxBodyBytes, limits: limits)
        let mayRetry = pooled && framing == .none && Self.isIdempotent(exchange.request.method)
        let keepAlive = exchange.request.wantsKeepAlive && !draining
        exchange.requestPhase = .sending(body, framing == .chunked ? .chunked : .identity)
        exchange.responsePhase = .awaitingHead(mayRetry: mayRetry, keepAlive: keepAlive)
        state = .exchanging(exchange)
    }

    static func isIdempotent(_ method: String) -> Bool {
        switch method {
        case "GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE": true
        default: false
        }
    }

    // MARK: The request body

    /// Request body bytes may be moved upstream: `pump` moves what it can with the reader given
    /// (re-framing with the encoding) and says whether the body is complete.
    public mutating func requestBodyReceived(
        now: @autoclosure () -> ContinuousClock.Instant,
        pump: (inout BodyReader, BodyEncoding) throws(HTTPParseError) -> Bool
    ) -> Action {
        guard case .exchanging(let exchange) = state, case .sending(var body, let encoding) = exchange.requestPhase else { return .none }
        // Most requests have no body: nothing to pump.
        if !body.isFinished {
            do throws(HTTPParseError) {
                let finished = try pump(&body, encoding)
                guard finished else {
                    exchange.requestPhase = .sending(body, encoding)
                    return .limitUpstreamBacklog
                }
            } catch {
                // Part of the request may have reached the upstream: that connection cannot be reused.
                if case .awaitingHead = exchange.responsePhase { return fail(ProxyError(error), request: exchange.request) }
                return abort(exchange, reason: error.reason, upstreamError: nil)
            }
        }
        exchange.requestPhase = .sent
        guard case .awaitingHead = exchange.responsePhase else { return .none }
        exchange.requestSentAt = now()
        return .armUpstreamTimer
    }

    // MARK: Ends and timers

    /// `upstream.timeout` passed: no response head (or no complete GRIP body) came.
    public mutating func upstreamTimerFired() -> Action {
        guard case .exchanging(let exchange) = state else { return .none }
        if case .body = exchange.responsePhase { return .none }
        return fail(.upstreamTimedOut, request: exchange.request)
    }

    /// How the upstream connection ended, as far as the machine cares.
    public enum UpstreamEnd: Sendable, Equatable {
        /// It never opened: refused, unreachable, or not within `upstream.connect_timeout`.
        case connectFailed
        /// A read or write timeout passed.
        case timedOut
        /// Closed or reset by the app.
        case closed
    }

    /// The upstream connection ended, after the shell reported every byte it had sent.
    /// `receivedNothing`: not one byte came on it; `detail` says how, for the log.
    public mutating func upstreamEnded(_ end: UpstreamEnd, receivedNothing: Bool, detail: @autoclosure () -> String,
                                       target: @autoclosure () -> String) -> Action {
        guard case .exchanging(let exchange) = state else {
            guard case .tunnel = state else { return .none }
            state = .closing
            return .endTunnel(ended: .upstream)
        }
        switch exchange.responsePhase {
        case .awaitingHead(let mayRetry, let keepAlive):
            if mayRetry && receivedNothing && end != .timedOut {
                exchange.requestPhase = .sending(BodyReader(request: .none, maxDataBytes: nil, limits: HTTPLimits()), .identity)
                exchange.responsePhase = .awaitingHead(mayRetry: false, keepAlive: keepAlive)
                return .retry(exchange)
            }
            if end == .closed {
                return fail(.upstreamRefused("connection \(detail()) before a response"), request: exchange.request, upstreamError: .reset)
            }
            return fail(.upstreamRefused("cannot connect to \(target()): \(detail())"), request: exchange.request, upstreamError: .connect)
        case .body(let body, let encoding, let relay):
            guard body.endsAtClose else { return abort(exchange, reason: "upstream \(detail()) mid-body", upstreamError: .reset) }
            return finish(exchange, Relay(keepAlive: relay.keepAlive, upstreamReusable: false), endsBody: encoding)
        case .gripBody(let head, let instruction, let body, _):
            guard body.endsAtClose else {
                return fail(.upstreamRefused("connection closed before the GRIP response's body was complete"),
                            request: exchange.request, upstreamError: .reset)
            }
            return holdGripStream(exchange, head, instruction, body, upstreamReusable: false)
        }
    }

    /// The client ended its side.
    public mutating func downstreamEnded() -> Action {
        switch state {
        case .awaitingHead, .closing:
            return .close
        case .exchanging(let exchange):
            state = .closing
            exchange.status = exchange.status == 0 ? 499 : exchange.status
            return .abandon(exchange)
        case .tunnel:
            state = .closing
            return .endTunnel(ended: .downstream)
        }
    }

    // MARK: Shared transitions

    mutating func awaitHead(afterExchange: Bool?) -> Action {
        var wait = HeadWait()
        if case .awaitingHead(let current) = state { wait.afterExchange = current.afterExchange }
        if let afterExchange { wait.afterExchange = afterExchange }
        state = .awaitingHead(wait)
        return .awaitHead
    }

    /// Answers with `error` and closes; the one way a request ends in an error response.
    mutating func fail(_ error: ProxyError, request: HTTPRequestHead?, extraFields: [HTTPField] = [],
                       upstreamError: UpstreamError? = nil) -> Action {
        var exchange: ForwardedExchange?
        if case .exchanging(let current) = state { exchange = current }
        var kind: UpstreamError?
        if error.source == .upstream { kind = upstreamError ?? (error.status == 504 ? .timeout : .badResponse) }
        state = .closing
        return .fail(Failure(error: error, request: request, exchange: exchange, extraFields: extraFields, upstreamError: kind,
                             forwarded: exchange != nil || error.source == .upstream))
    }

    /// Ends an exchange whose response may have begun: nothing can be said any more.
    mutating func abort(_ exchange: ForwardedExchange, reason: String, upstreamError: UpstreamError?) -> Action {
        state = .closing
        exchange.status = exchange.status == 0 ? 499 : exchange.status
        var resetsClient = false
        if case .body(_, _, let relay) = exchange.responsePhase { resetsClient = relay.endsWithClose }
        return .abort(exchange, reason: reason, upstreamError: upstreamError, resetsClient: resetsClient)
    }

    mutating func finish(_ exchange: ForwardedExchange, _ relay: Relay, endsBody: BodyEncoding?) -> Action {
        let requestComplete = exchange.requestPhase.isComplete
        let keepAlive = relay.keepAlive && requestComplete && !draining
        let finish = Finish(upstreamReusable: requestComplete && relay.upstreamReusable, endsBody: endsBody,
                            keepAlive: keepAlive, requestComplete: requestComplete)
        if keepAlive {
            _ = awaitHead(afterExchange: true)
        } else {
            state = .closing
        }
        return .finish(exchange, finish)
    }
}
