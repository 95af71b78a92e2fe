import HTTP1

extension ForwardingStateMachine {
    /// Where a client connection is; the comment above each case lists the events it accepts.
    public enum State {
        /// Waiting for a request head.
        /// head incomplete → header timer; head → an exchange, a local answer, a hand-off or an
        /// error (`.closing`); idle timer → close; header timer → 408; drain → close (between
        /// requests) or header timer (a first request); client end → close.
        case awaitingHead(HeadWait)
        /// Forwarding a request and relaying its response; the exchange holds its two phases.
        /// request bytes → `RequestPhase`; upstream head and bytes → `ResponsePhase`; upstream end →
        /// retry, 502, or the end of a close-delimited body; upstream timer → 504; client end →
        /// abort. Leads to `.awaitingHead` (keep-alive), `.tunnel` (101) or `.closing`.
        case exchanging(ForwardedExchange)
        /// After `101 Switching Protocols`: bytes copied both ways until either side ends.
        case tunnel
        /// The last bytes are being flushed (or the client was handed to an event stream); nothing
        /// more is forwarded.
        case closing
    }

    public struct HeadWait: Sendable, Equatable {
        /// Part of a head came: the header timer runs instead of the idle timer.
        public var started = false
        /// An exchange finished on this connection: waiting now is keep-alive idling.
        public var afterExchange = false
    }

    /// How far the request has gone upstream.
    public enum RequestPhase {
        /// Its body is being moved upstream (a body already complete is sent at the next event),
        /// re-framed with the encoding.
        case sending(BodyReader, BodyEncoding)
        /// The whole request reached the upstream's output: the response timeout runs from here.
        case sent
    }

    /// How far the response has come back.
    public enum ResponsePhase {
        /// No final head yet. `mayRetry`: a pooled connection that the upstream had closed may be
        /// retried once, for an idempotent request without body, before any response byte came.
        /// `keepAlive`: the client wants its connection kept, and the server did not drain then.
        case awaitingHead(mayRetry: Bool, keepAlive: Bool)
        /// The head was relayed; the body streams with this reader, re-framed with the encoding.
        case body(BodyReader, BodyEncoding, Relay)
        /// A GRIP hold (`events.grip`): the initial body is read whole before the client
        /// connection becomes a held stream. Indirect: rare, and large beside the others, and
        /// every state is as large as its largest case.
        indirect case gripBody(HTTPResponseHead, GripInstruction, BoundedBody, upstreamReusable: Bool)
    }

    /// What a relayed response leaves for the end of the exchange.
    public struct Relay: Sendable, Equatable {
        /// The client connection stays open after this exchange.
        public var keepAlive: Bool
        /// The upstream connection may go back to the pool after this exchange.
        public var upstreamReusable: Bool
        /// The client's body is delimited by the connection's close (an HTTP/1.0 client).
        public var endsWithClose = false
    }
}

extension ForwardingStateMachine {
    /// The state without its data, for the shell's dispatch: reading it copies nothing (the state
    /// itself is a few hundred bytes).
    public enum Phase: Sendable, Equatable {
        case awaitingHead, exchanging, tunnel, closing
    }

    @inlinable
    public var phase: Phase {
        switch state {
        case .awaitingHead: .awaitingHead
        case .exchanging: .exchanging
        case .tunnel: .tunnel
        case .closing: .closing
        }
    }
}

extension ForwardingStateMachine.RequestPhase {
    /// The whole request body was read from the client (sent, or about to be).
    var isComplete: Bool {
        switch self {
        case .sent: true
        case .sending(let body, _): body.isFinished
        }
    }
}
