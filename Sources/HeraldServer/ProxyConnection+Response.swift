// The response side of a forwarded exchange: its head, its body, a GRIP hold, a tunnel, and how
// an exchange ends (logged, upstream given back or closed, the client kept or closed).

import HTTP1
import LibeventIO
import Proxy
import Telemetry

extension ProxyConnection {
    // MARK: Phase: read the response head

    func readResponseHead() {
        while let upstream, machine.upstreamInput == .responseHead {
            var head: HTTPResponseHead
            do {
                guard let complete = try upstream.readResponseHead(limits: worker.limits, reusing: &worker.headBuffers) else { return }
                head = complete
            } catch {
                perform(machine.responseHeadInvalid(error))
                return
            }
            if head.status >= 200, case .exchanging(let exchange) = machine.state {
                upstreamTimer?.disarm()
                if let sentAt = exchange.requestSentAt { worker.metrics.upstreamResponded(after: .now - sentAt) }
            }
            let settings = worker.settings
            let action = machine.responseHeadReceived(
                &head, gripMaxChannels: settings.events.grip ? settings.limits.maxChannelsPerConnection : nil, limits: worker.limits,
                now: .now
            ) { body throws(HTTPParseError) in
                try upstream.withInput(upTo: Self.maxFramingCheckBytes) { bytes throws(HTTPParseError) in try body.checkFraming(of: bytes) }
            }
            switch action {
            case .none:
                continue
            case .relayInterimHead:
                head.version = .http11
                head.fields.removeHopByHop()
                downstream.write(head.serialized())
                continue
            case .relayHead(let exchange, let framing, let keepAlive):
                relayResponseHead(exchange, consume head, framing: framing, keepAlive: keepAlive)
            case .openTunnel(let exchange):
                openTunnel(exchange, head)
            default:
                perform(action)
            }
            return
        }
    }

    /// `head` is consumed: it moves into the rewrite instead of being copied there.
    private func relayResponseHead(_ exchange: ForwardedExchange, _ head: consuming HTTPResponseHead, framing: DownstreamFraming,
                                   keepAlive: Bool) {
        worker.metrics.proxied(status: exchange.status)
        let rewritten = worker.rewriter.downstreamResponseHead(
            head, framing: framing, keepAlive: keepAlive, clientVersion: exchange.request.version)
        downstream.write(upTo: rewritten.capacity) { rewritten.write(into: $0) }
        var written = consume rewritten
        written.recycle(into: &worker.headBuffers)
        streamResponseBody()
    }

    private func openTunnel(_ exchange: ForwardedExchange, _ head: HTTPResponseHead) {
        upstreamTimer?.disarm()
        let rewritten = worker.rewriter.downstreamResponseHead(
            head, framing: .switchingProtocols, keepAlive: true, clientVersion: exchange.request.version)
        downstream.write(upTo: rewritten.capacity) { rewritten.write(into: $0) }
        recordAccess(exchange)
        headTimer.disarm()
        guard let upstream else { return }
        tunnel(from: downstream, to: upstream)
        tunnel(from: upstream, to: downstream)
    }

    func endTunnel(ended side: ForwardingStateMachine.Side) {
        guard let upstream else { return downstream.close() }
        switch side {
        case .downstream:
            tunnel(from: downstream, to: upstream)
            upstream.closeWhenFlushed()
            downstream.close()
        case .upstream:
            tunnel(from: upstream, to: downstream)
            upstream.close()
            self.upstream = nil
            downstream.closeWhenFlushed()
        }
    }

    // MARK: Phase: stream the response body

    func streamResponseBody() {
        guard let upstream else { return }
        switch machine.upstreamInput {
        case .body: break
        case .gripBody: return readGripBody()
        case .responseHead, .none: return
        }
        let downstream = downstream
        perform(machine.responseBodyReceived { body, encoding throws(HTTPParseError) in
            try pump(from: upstream, to: downstream, body: &body, encoding: encoding)
        })
    }

    // MARK: Phase: hold the client as a GRIP stream (instead of streaming the body)

    func readGripBody() {
        let window = ForwardingStateMachine.gripBodyWindow(limits: worker.limits)
        while let upstream, upstream.inputCount > 0, machine.upstreamInput == .gripBody {
            let (consumed, action) = upstream.withInput(upTo: window) { machine.gripBodyReceived($0) }
            upstream.consumeInput(consumed)
            perform(action)
            if consumed == 0 { return }
        }
    }

    func holdGripStream(_ exchange: ForwardedExchange, _ hold: ForwardingStateMachine.GripHold) {
        upstreamTimer?.disarm()
        worker.metrics.proxied(status: exchange.status)
        // The exchange's access-log line is written when the held stream ends.
        let access = accessEntry(exchange).map { EventStreamConnection.PendingAccess(entry: $0, startedAt: exchange.startedAt!) }
        releaseUpstream(reusable: hold.upstreamReusable)
        headTimer.disarm()
        readingPausedUpstream = false
        readingPausedDownstream = false
        // A held stream reads its client again, to hear it leave.
        downstream.setReading(true)
        worker.holdGripStream(from: self, downstream: downstream, request: exchange.request, response: hold.head, body: hold.body,
                              instruction: hold.instruction, access: access)
    }

    // MARK: Phase: finish (log, keep-alive or close)

    func finishExchange(_ exchange: ForwardedExchange, _ finish: ForwardingStateMachine.Finish) {
        if let end = finish.endsBody?.end { downstream.write(end) }
        recordAccess(exchange)
        // The exchange ends here: once it is gone, the request's arrays are the pool's alone (a
        // pipelined request read at once, while the exchange is still held, gets new ones).
        worker.headBuffers.recycle(exchange.upstreamHead.request.fields)
        releaseUpstream(reusable: finish.upstreamReusable)
        readingPausedUpstream = false
        if readingPausedDownstream {
            readingPausedDownstream = false
            downstream.setReading(true)
        }
        if finish.keepAlive {
            perform(.awaitHead)
        } else {
            // A client still sending the body (the app answered early) must not lose the answer to a reset.
            downstream.closeWhenFlushed(lingering: finish.requestComplete ? nil : .afterAnswer)
        }
    }

    /// The exchange is done with its upstream connection: back to the pool it came from, or closed.
    private func releaseUpstream(reusable: Bool) {
        guard let upstream else { return }
        self.upstream = nil
        if reusable, let upstreamPool { upstreamPool.put(upstream) } else { upstream.close() }
        upstreamPool = nil
    }

    func recordAccess(_ exchange: ForwardedExchange) {
        if let entry = accessEntry(exchange) { worker.recordAccess(entry) }
    }

    /// The exchange's access-log line as it stands; nil when no log wants it.
    private func accessEntry(_ exchange: ForwardedExchange) -> AccessLog.Entry? {
        // Most of an entry is copies (the client's address, the request head): none when no log wants it.
        guard let startedAt = exchange.startedAt else { return nil }
        return AccessLog.Entry(
            client: worker.clientAddress(of: exchange.request, on: downstream), request: exchange.request, status: exchange.status,
            bytesSent: exchange.bytesSent, duration: ContinuousClock.now - startedAt, requestID: exchange.requestID,
            upstreamTime: exchange.headAt.map { $0 - startedAt })
    }

    // MARK: Errors

    /// Answers with the failure's error and closes; the one way a request ends in an error response.
    func fail(_ failure: ForwardingStateMachine.Failure) {
        let error = failure.error
        if error.source == .upstream {
            worker.metrics.upstreamErrors(HeraldMetrics.UpstreamErrorKind(failure.upstreamError ?? .badResponse)).increment()
        }
        if failure.forwarded { worker.metrics.proxied(status: error.status) }
        upstreamTimer?.disarm()
        headTimer.disarm()
        if failure.closesUpstream {
            upstream?.close()
            upstream = nil
        }
        let exchange = failure.exchange
        worker.answer(error, on: downstream, request: failure.request, extraFields: failure.extraFields.map { ($0.name, $0.valueString) },
                      refusal: error.source == .downstream ? RefusalReason(refusedStatus: error.status) : nil, logger: logger) { entry in
            // A proxied line counts body bytes relayed: none came from the app.
            let now = ContinuousClock.now
            let startedAt = exchange?.startedAt ?? now
            entry.bytesSent = 0
            entry.duration = now - startedAt
            entry.requestID = exchange?.requestID
            entry.upstreamTime = exchange?.headAt.map { $0 - startedAt }
        }
    }

    /// Ends an exchange whose response has begun: nothing can be said any more, so both sides
    /// close and the client sees a truncated response (a reset where a close would end its body).
    func abort(_ exchange: ForwardedExchange, reason: String, upstreamError: ForwardingStateMachine.UpstreamError?, resetsClient: Bool) {
        if let upstreamError { worker.metrics.upstreamErrors(HeraldMetrics.UpstreamErrorKind(upstreamError)).increment() }
        logger.warning("exchange aborted", metadata: ["reason": "\(reason)", "status": "\(exchange.status)"])
        recordAccess(exchange)
        upstream?.close()
        upstream = nil
        if resetsClient { downstream.reset() } else { downstream.close() }
    }
}

extension HeraldMetrics.UpstreamErrorKind {
    init(_ error: ForwardingStateMachine.UpstreamError) {
        switch error {
        case .connect: self = .connect
        case .timeout: self = .timeout
        case .reset: self = .reset
        case .badResponse: self = .badResponse
        }
    }
}
