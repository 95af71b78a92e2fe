// The phases of one auth request on one upstream connection, without the connection: the IO
// class feeds it the bytes that arrive and the connection's end, and performs what it returns.
//
//   awaitingHead ──head──▶ readingBody ──body complete──▶ finished (answered)
//        │  └─1xx: skipped        │
//        ├─ended: retry once, or 502   ├─ended: answered (body delimited by the close), or 502
//        └─timer: 504              └─timer: 504

import HTTP1

public struct AuthorizationStateMachine: Sendable {
    /// Where the exchange is; the comment above each case lists the events it accepts.
    public enum State: Sendable {
        /// The request is written (or queued while the connection opens); the head is awaited.
        /// bytes → `.readingBody` or `.finished`, a 1xx is skipped; ended → `.awaitingHead` again on a
        /// new connection (once, when a pooled connection had sent nothing) or 502; timer → 504.
        case awaitingHead(retryable: Bool)
        /// The head came; the body is read, kept up to `RelayedResponse.maxBodyBytes` (nil beyond).
        /// bytes → `.finished` once complete; ended → `.finished` for a body delimited by the close,
        /// else 502; timer → 504.
        case readingBody(HTTPResponseHead, BoundedBody)
        /// The outcome was reported; nothing is accepted any more.
        case finished
    }

    public enum Action: Sendable, Equatable {
        case none
        /// Close this connection and send the request again on a new one.
        case retry
        /// Report `outcome`; the connection may go back to the pool when `reusable`.
        case finish(Outcome, reusable: Bool)
    }

    public enum Outcome: Sendable, Equatable {
        /// The app answered: its head, and its body (nil when over `RelayedResponse.maxBodyBytes`).
        case answered(HTTPResponseHead, body: [UInt8]?)
        /// No answer: 502 (refused, dropped, invalid) or 504 (too slow).
        case failed(ProxyError)
    }

    public private(set) var state: State
    private let limits: HTTPLimits

    /// `pooled`: the request goes on a kept-alive connection, which the app may have closed just
    /// before; such a connection that ends having sent nothing is retried once on a new one.
    public init(pooled: Bool, limits: HTTPLimits) {
        state = .awaitingHead(retryable: pooled)
        self.limits = limits
    }

    /// How many input bytes `received` should see at once: a whole head and its size check, or a
    /// body up to its bound plus the framing around it.
    public var wantedBytes: Int {
        switch state {
        case .awaitingHead, .finished: limits.maxHeadBytes + 1
        case .readingBody: RelayedResponse.maxBodyBytes + limits.maxHeadBytes + 2
        }
    }

    /// Bytes arrived at the front of the input; returns how many to drop and what to do.
    public mutating func received(_ bytes: UnsafeRawBufferPointer) -> (consumed: Int, action: Action) {
        var consumed = 0
        while true {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[consumed...])
            switch state {
            case .finished:
                return (consumed, .none)
            case .awaitingHead:
                do throws(HTTPParseError) {
                    guard case .complete(let length) = try HTTPHeadParser.scanResponseHead(rest, limits: limits) else {
                        return (consumed, .none)
                    }
                    let head = try HTTPHeadParser.parseResponseHead(UnsafeRawBufferPointer(rebasing: rest[..<length]), limits: limits)
                    consumed += length
                    if head.status == 101 {
                        return (consumed, fail(ProxyError(.upstream, status: 502, "the app switched protocols on an auth request")))
                    }
                    if head.status < 200 { continue }
                    let framing = try head.bodyFraming(requestMethod: "GET")
                    state = .readingBody(head, BoundedBody(BodyReader(response: framing, limits: limits), maxBytes: RelayedResponse.maxBodyBytes))
                } catch {
                    return (consumed, fail(ProxyError(.upstream, status: 502, "invalid response from upstream: \(error.reason)")))
                }
            case .readingBody(let head, var body):
                do throws(HTTPParseError) {
                    let (count, finished) = try body.received(rest)
                    consumed += count
                    guard finished else {
                        state = .readingBody(head, body)
                        return (consumed, .none)
                    }
                } catch {
                    return (consumed, fail(ProxyError(.upstream, status: 502, "invalid response body from upstream: \(error.reason)")))
                }
                state = .finished
                return (consumed, .finish(.answered(head, body: body.bytes), reusable: head.wantsKeepAlive && !body.endsAtClose))
            }
        }
    }

    /// The connection ended (`detail` says how, for the 502); `receivedNothing`: not one byte came.
    public mutating func ended(_ detail: String, receivedNothing: Bool) -> Action {
        switch state {
        case .awaitingHead(let retryable):
            if retryable && receivedNothing {
                state = .awaitingHead(retryable: false)
                return .retry
            }
            return fail(.upstreamRefused(detail))
        case .readingBody(let head, let body):
            guard body.endsAtClose else { return fail(.upstreamRefused("\(detail) mid-body")) }
            state = .finished
            return .finish(.answered(head, body: body.bytes), reusable: false)
        case .finished:
            return .none
        }
    }

    /// `upstream.timeout` passed without a complete answer.
    public mutating func timedOut() -> Action {
        if case .finished = state { return .none }
        return fail(.upstreamTimedOut)
    }

    private mutating func fail(_ error: ProxyError) -> Action {
        state = .finished
        return .finish(.failed(error), reusable: false)
    }
}
