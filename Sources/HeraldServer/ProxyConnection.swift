// One client (downstream) connection on the public listener, and the exchanges it carries.
//
// The phases of a forwarded request, in order (README.md draws them):
//   accept → readRequestHead → route → rewriteHead → connectUpstream → streamRequestBody /
//   readResponseHead → streamResponseBody → finishExchange (access log, keep-alive or close)
//
// Invariants: requests on one connection are answered in order, one at a time (pipelined requests
// wait in the input buffer, bounded by its high watermark); no side ever buffers more than
// `Watermarks.high` unsent bytes, because reading the other side pauses above it.

import HTTP1
import Logging
import LibeventIO
import Proxy
import Telemetry

/// Back-pressure bounds for one proxied connection.
enum Watermarks {
    /// Above this many unsent bytes on one side, reading from the other side pauses: 256 KiB keeps
    /// a fast link busy while bounding memory per connection whatever the body size.
    static let high = 256 * 1024
    /// Reading resumes when the unsent bytes fall to this: 64 KiB, so resuming is not per packet.
    static let low = 64 * 1024
}

final class ProxyConnection: ConnectionDelegate {
    /// A forwarded request and its response, from head sent to response finished.
    final class Exchange {
        /// When the request was forwarded, for the access log's duration (nil when none is kept:
        /// no clock read per request for nothing).
        let startedAt: ContinuousClock.Instant?
        /// The head sent upstream, kept to retry once on a fresh connection; it holds the request.
        let upstreamHead: UpstreamRequestHead
        /// The client's request (kept once, in its rewrite).
        var request: HTTPRequestHead { upstreamHead.request }
        var upstream: Connection
        /// Where `upstream` came from, and goes back to (a reload may have replaced the worker's).
        var pool: UpstreamPool
        var requestBody: BodyReader
        let requestEncoding: BodyEncoding
        var response: ResponsePhase = .awaitingHead
        /// The client connection stays open after this exchange.
        var keepAlive: Bool
        /// The upstream connection may go back to the pool after this exchange.
        var upstreamReusable = true
        /// A pooled connection that the upstream had closed may be retried once, for an
        /// idempotent request without body, before any response byte arrived.
        var mayRetry: Bool
        /// The whole request reached the upstream's output; the response timeout runs from here.
        var requestSent = false
        /// When the request was sent, for `herald_upstream_response_seconds`.
        var requestSentAt: ContinuousClock.Instant?
        let isUpgrade: Bool
        var status = 0
        var bytesSent: UInt64 = 0
        /// The X-Request-Id sent upstream, for the access log (nil when the log keeps none).
        let requestID: String?
        /// When the upstream's final response head came (timed exchanges only).
        var headAt: ContinuousClock.Instant?

        init(upstreamHead: UpstreamRequestHead, upstream: Connection, pool: UpstreamPool, requestBody: BodyReader,
             requestEncoding: BodyEncoding, keepAlive: Bool, mayRetry: Bool, isUpgrade: Bool, timed: Bool, requestID: String?) {
            startedAt = timed ? .now : nil
            self.requestID = requestID
            self.upstreamHead = upstreamHead
            self.upstream = upstream
            self.pool = pool
            self.requestBody = requestBody
            self.requestEncoding = requestEncoding
            self.keepAlive = keepAlive
            self.mayRetry = mayRetry
            self.isUpgrade = isUpgrade
        }
    }

    enum ResponsePhase {
        case awaitingHead
        case body(BodyReader, BodyEncoding)
        /// A GRIP hold (`events.grip`): the initial body is read whole before the client
        /// connection becomes a held stream.
        case gripBody(HTTPResponseHead, GripInstruction, BoundedBody)
        case done
    }

    /// Largest initial body of a GRIP response, held whole so that nothing published can land
    /// inside it: a page's first bytes, not a download. Larger is a 502.
    static let maxGripBodyBytes = 64 * 1024

    /// At most this much of the body read with a response head is checked before the head is
    /// sent: a read's worth (a connection reads at most 64 KiB at once), what usually came with the
    /// head in one piece, so looking at it seldom copies; the rest is checked as it is pumped.
    static let maxFramingCheckBytes = 64 * 1024

    /// The connection's phase; the comment above each case lists the events it accepts.
    enum State {
        /// Waiting for a request head.
        /// downstream read → forward (`.exchanging`) or an error (`.closing`); idle timer → close;
        /// header timer → 408 (`.closing`); downstream end → close.
        case awaitingHead
        /// Forwarding a request and relaying its response.
        /// downstream read → request body; upstream read → response head and body; upstream end →
        /// retry, 502, or the end of a close-delimited body; upstream timer → 504; downstream end →
        /// abort. Leads to `.awaitingHead` (keep-alive), `.tunnel` (101) or `.closing`.
        case exchanging(Exchange)
        /// After `101 Switching Protocols`: bytes copied both ways until either side ends.
        case tunnel(Connection)
        /// The last bytes are being flushed; the connection closes once they are written.
        case closing
    }

    private let downstream: Connection
    /// Strong, and a constant: reading it then needs no retain, and it is read many times per
    /// request (an unowned(unsafe) one is retained around each call made through it). The
    /// worker's list of connections holds this one until it closes; the worker closes them all
    /// before it goes, so the cycle always ends.
    private let worker: LoopWorker
    let id: UInt64
    /// The worker's logger with this connection's id, made when something is logged (most
    /// connections log nothing, and the metadata costs a dictionary per connection).
    private var logger: Logger {
        var logger = worker.logger
        logger[metadataKey: "connection.id"] = "\(id)"
        return logger
    }
    private var state: State = .awaitingHead
    /// Idle timer between requests, then header timer once a head has started.
    private let headTimer: DeadlineTimer
    private var headStarted = false
    /// `readRequestHead` is on the stack: a head awaited meanwhile (a request answered at once,
    /// with the next one pipelined behind it) is read by its loop, not by a nested call, so a run
    /// of pipelined requests never grows the stack.
    private var readingHeads = false
    private var headAwaited = false
    /// Fires when the upstream has not sent a response head within `upstream.timeout`.
    private var upstreamTimer: DeadlineTimer?
    private var readingPausedDownstream = false
    private var readingPausedUpstream = false
    /// An exchange finished on this connection: waiting for a head now is keep-alive idling.
    private var hasExchanged = false

    init(downstream: Connection, worker: LoopWorker, id: UInt64) {
        self.downstream = downstream
        self.worker = worker
        self.id = id
        headTimer = DeadlineTimer(loop: worker.loop)
        headTimer.handler = { [unowned self] in self.headTimerFired() }
        downstream.attach(self)
        downstream.setOutputLowWatermark(Watermarks.low)
        downstream.setInputHighWatermark(worker.limits.maxHeadBytes + 16 * 1024)
        awaitHead()
    }

    private var isAwaitingHead: Bool {
        if case .awaitingHead = state { return !downstream.isClosed }
        return false
    }

    /// The server drains: a connection between two requests closes now (its client retries on a
    /// new one); a new connection whose first request has not been read yet (it may sit in the
    /// socket) gets `server.header_timeout` to bring it, and its answer closes the connection.
    func beginDraining() {
        guard case .awaitingHead = state, downstream.inputCount == 0, !headStarted else { return }
        if hasExchanged {
            close()
        } else {
            headTimer.arm(after: worker.settings.server.headerTimeout)
        }
    }

    func close() {
        if case .exchanging(let exchange) = state { exchange.upstream.close() }
        if case .tunnel(let upstream) = state { upstream.close() }
        downstream.close()
    }

    // MARK: Phase: read the request head

    private func awaitHead() {
        state = .awaitingHead
        headStarted = false
        headTimer.arm(after: worker.settings.server.idleTimeout)
        if downstream.inputCount > 0 { readRequestHead() }
    }

    /// Fires after `idle_timeout` with no request, or `header_timeout` into an incomplete head.
    private func headTimerFired() {
        guard case .awaitingHead = state else { return }
        if headStarted {
            fail(ProxyError(.downstream, status: 408, "request head not received within \(worker.settings.server.headerTimeout)"), request: nil)
        } else {
            downstream.close()
        }
    }

    private func readRequestHead() {
        guard !readingHeads else {
            headAwaited = true
            return
        }
        readingHeads = true
        defer { readingHeads = false }
        repeat {
            headAwaited = false
            do {
                guard let head = try downstream.readRequestHead(limits: worker.limits, reusing: &worker.headBuffers) else {
                    // Only a head that arrives in pieces needs the header timer: most come whole.
                    if !headStarted {
                        headStarted = true
                        headTimer.arm(after: worker.settings.server.headerTimeout)
                    }
                    return
                }
                headTimer.disarm()
                route(head)
            } catch {
                fail(ProxyError(error), request: nil)
            }
        } while headAwaited && isAwaitingHead
    }

    // MARK: Phase: route and rewrite

    /// `request` is consumed: a forwarded head moves into its rewrite, which the exchange keeps.
    private func route(_ request: consuming HTTPRequestHead) {
        switch worker.router.route(request) {
        case .refuse(let error):
            fail(error, request: request)
        case .events:
            headTimer.disarm()
            switch worker.eventsGate.decide(request) {
            case .stream(let fields):
                state = .closing
                worker.openEventStream(from: self, downstream: downstream, request: request, extraFields: fields)
            case .clientScript:
                let keepAlive = worker.keepsAlive(afterAnswering: request)
                let (status, bytes) = worker.clientScript.response(to: request, keepAlive: keepAlive)
                answerLocally(request, status: status, bytes: bytes, keepAlive: keepAlive)
            case .options(let fields):
                let keepAlive = worker.keepsAlive(afterAnswering: request)
                var head = HTTPResponseHead(status: 204, reason: "No Content")
                head.fields = HTTPFields(fields)
                if !keepAlive { head.fields.append("Connection", "close") }
                answerLocally(request, status: 204, bytes: head.serialized(), keepAlive: keepAlive)
            case .refuse(let error, let fields):
                fail(error, request: request, extraFields: fields)
            }
        case .health:
            headTimer.disarm()
            let keepAlive = worker.keepsAlive(afterAnswering: request)
            let (status, bytes) = worker.health.response(draining: worker.isDraining, keepAlive: keepAlive,
                                                         headOnly: request.method == "HEAD")
            answerLocally(request, status: status, bytes: bytes, keepAlive: keepAlive)
        case .forward:
            do throws(HTTPParseError) {
                let framing = try request.bodyFraming()
                if case .contentLength(let length) = framing, length > worker.settings.server.maxBodyBytes {
                    throw HTTPParseError(.bodyTooLarge, "request body of \(length) bytes exceeds \(worker.settings.server.maxBodyBytes)")
                }
                let isUpgrade = request.isUpgradeRequest
                // Only a made id is written by Herald: a usable one of the client's goes up as it came.
                let requestID = worker.requestID(for: request)
                let upstreamHead = worker.rewriter.upstreamRequestHead(
                    request, clientAddress: downstream.peerHost, framing: framing, tunnel: isUpgrade,
                    fromTrustedProxy: worker.isTrustedProxy(downstream), requestID: requestID?.made == true ? requestID?.id : nil)
                connectUpstream(upstreamHead, framing: framing, isUpgrade: isUpgrade, requestID: requestID?.id)
            } catch {
                fail(ProxyError(error), request: request)
            }
        }
    }

    // MARK: Phase: connect upstream and send the head

    /// `upstreamHead` (which holds the request) is consumed: it moves into the exchange.
    private func connectUpstream(_ upstreamHead: consuming UpstreamRequestHead, framing: RequestBodyFraming, isUpgrade: Bool,
                                 requestID: String?) {
        let pool = worker.pool
        let pooled = pool.takeIdle()
        let upstream: Connection
        do {
            if let pooled { upstream = pooled } else { upstream = try pool.connect() }
        } catch {
            fail(.upstreamRefused(error.description), request: upstreamHead.request, upstreamError: .connect)
            return
        }
        let body = BodyReader(request: framing, maxDataBytes: worker.settings.server.maxBodyBytes, limits: worker.limits)
        let keepAlive = upstreamHead.request.wantsKeepAlive && !worker.isDraining
        let mayRetry = pooled != nil && framing == .none && Self.isIdempotent(upstreamHead.request.method)
        let exchange = Exchange(
            upstreamHead: upstreamHead, upstream: upstream, pool: pool, requestBody: body,
            requestEncoding: framing == .chunked ? .chunked : .identity,
            keepAlive: keepAlive, mayRetry: mayRetry, isUpgrade: isUpgrade, timed: worker.logsAccess, requestID: requestID)
        state = .exchanging(exchange)
        start(exchange, on: upstream)
        streamRequestBody(exchange)
    }

    private func start(_ exchange: Exchange, on upstream: Connection) {
        exchange.upstream = upstream
        upstream.attach(self)
        upstream.setOutputLowWatermark(Watermarks.low)
        let head = exchange.upstreamHead
        upstream.write(upTo: head.capacity) { head.write(into: $0) }
    }

    private func armUpstreamTimer() {
        if let upstreamTimer {
            upstreamTimer.arm(after: worker.settings.upstream.timeout)
            return
        }
        let timer = DeadlineTimer(loop: worker.loop) { [unowned self] in self.upstreamTimerFired() }
        upstreamTimer = timer
        timer.arm(after: worker.settings.upstream.timeout)
    }

    static func isIdempotent(_ method: String) -> Bool {
        switch method {
        case "GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE": true
        default: false
        }
    }

    /// Fires when no response head arrived within `upstream.timeout`.
    private func upstreamTimerFired() {
        guard case .exchanging(let exchange) = state else { return }
        switch exchange.response {
        case .awaitingHead, .gripBody: break
        case .body, .done: return
        }
        exchange.upstream.close()
        fail(.upstreamTimedOut, request: exchange.request)
    }

    // MARK: Phase: stream the request body

    private func streamRequestBody(_ exchange: Exchange) {
        if exchange.requestSent { return }
        // Most requests have no body: nothing to pump.
        if exchange.requestBody.isFinished {
            markRequestSent(exchange)
            return
        }
        // The body reader is pumped as a local copy: passing the property inout is an access
        // checked at run time.
        var body = exchange.requestBody
        defer { exchange.requestBody = body }
        do {
            let moved = try pump(from: downstream, to: exchange.upstream, body: &body, encoding: exchange.requestEncoding)
            if moved.finished {
                markRequestSent(exchange)
                return
            }
        } catch {
            // Part of the request may have reached the upstream: that connection cannot be reused.
            exchange.upstream.close()
            if case .awaitingHead = exchange.response {
                fail(ProxyError(error), request: exchange.request)
            } else {
                abort(exchange, reason: error.reason)
            }
            return
        }
        if exchange.upstream.outputCount > Watermarks.high {
            downstream.setReading(false)
            readingPausedDownstream = true
        }
    }

    /// The whole request reached the upstream's output: the response timeout runs from here.
    private func markRequestSent(_ exchange: Exchange) {
        exchange.requestSent = true
        if case .awaitingHead = exchange.response {
            exchange.requestSentAt = .now
            armUpstreamTimer()
        }
    }

    // MARK: Phase: read the response head

    private func readResponseHead(_ exchange: Exchange) {
        while true {
            let head: HTTPResponseHead
            do {
                guard let complete = try exchange.upstream.readResponseHead(limits: worker.limits, reusing: &worker.headBuffers) else { return }
                head = complete
            } catch {
                exchange.upstream.close()
                fail(ProxyError(.upstream, status: 502, "invalid response from upstream: \(error.reason)"), request: exchange.request)
                return
            }
            exchange.mayRetry = false
            if exchange.startedAt != nil && (head.status == 101 || head.status >= 200) { exchange.headAt = .now }
            if head.status == 101 {
                switchProtocols(exchange, head)
                return
            }
            if head.status < 200 {
                // Interim (100 Continue, 103 Early Hints): relayed to HTTP/1.1 clients, then the final one.
                if exchange.request.version == .http11 {
                    var interim = head
                    interim.version = .http11
                    interim.fields.removeHopByHop()
                    downstream.write(interim.serialized())
                }
                continue
            }
            relayResponseHead(exchange, head)
            return
        }
    }

    /// `head` is consumed: it moves into the rewrite instead of being copied there.
    private func relayResponseHead(_ exchange: Exchange, _ head: consuming HTTPResponseHead) {
        upstreamTimer?.disarm()
        if let sentAt = exchange.requestSentAt { worker.metrics.upstreamResponded(after: .now - sentAt) }
        if worker.settings.events.grip {
            if exchange.request.method != "HEAD" {
                do throws(ProxyError) {
                    if let instruction = try GripInstruction.parse(head.fields, maxChannels: worker.settings.limits.maxChannelsPerConnection) {
                        beginGripHold(exchange, head, instruction)
                        return
                    }
                } catch {
                    exchange.upstream.close()
                    fail(error, request: exchange.request)
                    return
                }
            }
            // Instructions are for Herald alone: with GRIP on, no Grip-* field reaches a client.
            GripInstruction.removeGripFields(&head.fields)
        }
        guard let framing = responseFraming(exchange, head) else { return }
        let body = BodyReader(response: framing, limits: worker.limits)
        guard framingHoldsBeforeHead(exchange, body) else { return }
        let downstreamFraming = DownstreamFraming(upstream: framing, clientVersion: exchange.request.version)
        if downstreamFraming == .untilClose { exchange.keepAlive = false }
        exchange.upstreamReusable = head.wantsKeepAlive && framing != .untilClose
        exchange.status = head.status
        worker.metrics.proxied(status: head.status)
        let rewritten = worker.rewriter.downstreamResponseHead(
            head, framing: downstreamFraming, keepAlive: exchange.keepAlive, clientVersion: exchange.request.version)
        downstream.write(upTo: rewritten.capacity) { rewritten.write(into: $0) }
        var written = consume rewritten
        written.recycle(into: &worker.headBuffers)
        let encoding: BodyEncoding = downstreamFraming == .chunked ? .chunked : .identity
        exchange.response = .body(body, encoding)
        streamResponseBody(exchange)
    }

    /// Checks the chunked framing that came with the head while nothing of the response has been
    /// sent: bad framing there is a 502 (and the upstream closed), not a head followed by a cut;
    /// false then. Framing that arrives later is checked as it is pumped (an abort). A body
    /// without framing is not looked at.
    private func framingHoldsBeforeHead(_ exchange: Exchange, _ body: BodyReader) -> Bool {
        guard body.readsFraming else { return true }
        let upstream = exchange.upstream
        do throws(HTTPParseError) {
            try upstream.withInput(upTo: Self.maxFramingCheckBytes) { bytes throws(HTTPParseError) in
                try body.checkFraming(of: bytes)
            }
            return true
        } catch {
            upstream.close()
            fail(ProxyError(.upstream, status: 502, "invalid response body from upstream: \(error.reason)"), request: exchange.request)
            return false
        }
    }

    private func switchProtocols(_ exchange: Exchange, _ head: HTTPResponseHead) {
        upstreamTimer?.disarm()
        guard exchange.isUpgrade, exchange.requestBody.isFinished else {
            exchange.upstream.close()
            fail(ProxyError(.upstream, status: 502, "upstream switched protocols without an upgrade request"), request: exchange.request)
            return
        }
        exchange.status = 101
        let rewritten = worker.rewriter.downstreamResponseHead(
            head, framing: .switchingProtocols, keepAlive: true, clientVersion: exchange.request.version)
        downstream.write(upTo: rewritten.capacity) { rewritten.write(into: $0) }
        recordAccess(exchange)
        let upstream = exchange.upstream
        state = .tunnel(upstream)
        headTimer.disarm()
        tunnel(from: downstream, to: upstream)
        tunnel(from: upstream, to: downstream)
    }

    // MARK: Phase: stream the response body

    private func streamResponseBody(_ exchange: Exchange) {
        if case .gripBody = exchange.response {
            readGripBody(exchange)
            return
        }
        guard case .body(var body, let encoding) = exchange.response else { return }
        let moved: (finished: Bool, dataBytes: Int)
        do {
            moved = try pump(from: exchange.upstream, to: downstream, body: &body, encoding: encoding)
        } catch {
            worker.metrics.upstreamErrors(.badResponse).increment()
            abort(exchange, reason: "invalid response body from upstream: \(error.reason)")
            return
        }
        exchange.bytesSent += UInt64(moved.dataBytes)
        if moved.finished {
            exchange.response = .done
            finishExchange(exchange)
            return
        }
        exchange.response = .body(body, encoding)
        if downstream.outputCount > Watermarks.high {
            exchange.upstream.setReading(false)
            readingPausedUpstream = true
        }
    }

    /// How the response body is delimited; nil after answering 502 for a response whose framing
    /// cannot be trusted.
    private func responseFraming(_ exchange: Exchange, _ head: HTTPResponseHead) -> ResponseBodyFraming? {
        do {
            return try head.bodyFraming(requestMethod: exchange.request.method)
        } catch {
            exchange.upstream.close()
            fail(ProxyError(.upstream, status: 502, "invalid response from upstream: \(error.reason)"), request: exchange.request)
            return nil
        }
    }

    // MARK: Phase: hold the client as a GRIP stream (instead of streaming the body)

    private func beginGripHold(_ exchange: Exchange, _ head: HTTPResponseHead, _ instruction: GripInstruction) {
        guard let framing = responseFraming(exchange, head) else { return }
        exchange.status = instruction.status?.code ?? head.status
        exchange.keepAlive = false
        exchange.upstreamReusable = head.wantsKeepAlive && framing != .untilClose
        let body = BoundedBody(BodyReader(response: framing, limits: worker.limits), maxBytes: Self.maxGripBodyBytes)
        exchange.response = .gripBody(head, instruction, body)
        // Nothing has reached the client yet: the initial body too must come within upstream.timeout.
        armUpstreamTimer()
        readGripBody(exchange)
    }

    private func readGripBody(_ exchange: Exchange, upstreamEnded: Bool = false) {
        guard case .gripBody(let head, let instruction, var body) = exchange.response else { return }
        let upstream = exchange.upstream
        var finished = false
        do throws(HTTPParseError) {
            while upstream.inputCount > 0 && !finished {
                let wanted = Self.maxGripBodyBytes + worker.limits.maxHeadBytes + 2
                let (consumed, done) = try upstream.withInput(upTo: wanted) { bytes throws(HTTPParseError) in try body.received(bytes) }
                upstream.drainInput(consumed)
                finished = done
                if consumed == 0 { break }
            }
        } catch {
            upstream.close()
            fail(ProxyError(.upstream, status: 502, "invalid response body from upstream: \(error.reason)"), request: exchange.request)
            return
        }
        if upstreamEnded && !finished {
            guard body.endsAtClose else {
                upstream.close()
                fail(.upstreamRefused("connection closed before the GRIP response's body was complete"), request: exchange.request,
                     upstreamError: .reset)
                return
            }
            exchange.upstreamReusable = false
            finished = true
        }
        guard let bytes = body.bytes else {
            upstream.close()
            fail(ProxyError(.upstream, status: 502, "the GRIP response's initial body is larger than \(Self.maxGripBodyBytes) bytes"),
                 request: exchange.request)
            return
        }
        guard finished else {
            exchange.response = .gripBody(head, instruction, body)
            return
        }
        guard exchange.requestBody.isFinished else {
            upstream.close()
            fail(ProxyError(.upstream, status: 502, "the app held the stream before the request body was sent"), request: exchange.request)
            return
        }
        upstreamTimer?.disarm()
        exchange.response = .done
        worker.metrics.proxied(status: exchange.status)
        // The exchange's access-log line is written when the held stream ends.
        let access = accessEntry(exchange).map { EventStreamConnection.PendingAccess(entry: $0, startedAt: exchange.startedAt!) }
        if exchange.upstreamReusable { exchange.pool.put(upstream) } else { upstream.close() }
        headTimer.disarm()
        state = .closing
        readingPausedUpstream = false
        readingPausedDownstream = false
        // A held stream reads its client again, to hear it leave.
        downstream.setReading(true)
        worker.holdGripStream(from: self, downstream: downstream, request: exchange.request, response: head, body: bytes,
                              instruction: instruction, access: access)
    }

    // MARK: Phase: finish (log, keep-alive or close)

    private func finishExchange(_ exchange: Exchange) {
        hasExchanged = true
        recordAccess(exchange)
        // The exchange ends here: once it is gone, the request's arrays are the pool's alone (a
        // pipelined request read at once, while the exchange is still held, gets new ones).
        worker.headBuffers.recycle(exchange.upstreamHead.request.fields)
        let requestComplete = exchange.requestBody.isFinished
        if requestComplete && exchange.upstreamReusable {
            exchange.pool.put(exchange.upstream)
        } else {
            exchange.upstream.close()
        }
        readingPausedUpstream = false
        if readingPausedDownstream {
            readingPausedDownstream = false
            downstream.setReading(true)
        }
        if exchange.keepAlive && requestComplete && !worker.isDraining {
            awaitHead()
        } else {
            state = .closing
            // A client still sending the body (the app answered early) must not lose the answer to a reset.
            downstream.closeWhenFlushed(lingering: requestComplete ? nil : .afterAnswer)
        }
    }

    // MARK: Answered by Herald (client.js, OPTIONS, readiness)

    private func answerLocally(_ request: HTTPRequestHead, status: Int, bytes: [UInt8], keepAlive: Bool) {
        worker.recordAccess(AccessLog.Entry(client: worker.clientAddress(of: request, on: downstream), request: request, status: status,
                                            bytesSent: UInt64(bytes.count), duration: .zero))
        downstream.write(bytes)
        if keepAlive {
            awaitHead()
        } else {
            state = .closing
            // A body, which nothing reads, may still be arriving.
            downstream.closeWhenFlushed(lingering: request.mayHaveBody ? .afterAnswer : nil)
        }
    }

    private func recordAccess(_ exchange: Exchange) {
        if let entry = accessEntry(exchange) { worker.recordAccess(entry) }
    }

    /// The exchange's access-log line as it stands; nil when no log wants it.
    private func accessEntry(_ exchange: Exchange) -> AccessLog.Entry? {
        // Most of an entry is copies (the client's address, the request head): none when no log wants it.
        guard let startedAt = exchange.startedAt else { return nil }
        return AccessLog.Entry(
            client: worker.clientAddress(of: exchange.request, on: downstream), request: exchange.request, status: exchange.status,
            bytesSent: exchange.bytesSent, duration: ContinuousClock.now - startedAt, requestID: exchange.requestID,
            upstreamTime: exchange.headAt.map { $0 - startedAt })
    }

    // MARK: Errors

    /// Answers with `error` and closes; the one way an exchange ends in an error response.
    /// `upstreamError`: how the upstream failed, where a 502 does not say (a 504 is a timeout,
    /// any other 502 a response Herald could not read).
    private func fail(_ error: ProxyError, request: HTTPRequestHead?, extraFields: [HTTPField] = [],
                      upstreamError: HeraldMetrics.UpstreamErrorKind? = nil) {
        switch error.source {
        case .downstream:
            logger.debug("request refused", metadata: ["status": "\(error.status)", "reason": "\(error.logReason)"])
            worker.metrics.refusals(RefusalReason(refusedStatus: error.status)).increment()
        case .upstream:
            logger.warning("upstream failed", metadata: ["status": "\(error.status)", "reason": "\(error.logReason)"])
            worker.metrics.upstreamErrors(upstreamError ?? (error.status == 504 ? .timeout : .badResponse)).increment()
        case .internal: logger.error("internal error", metadata: ["status": "\(error.status)", "reason": "\(error.logReason)"])
        }
        // A forwarded request's answer (an upstream failure is one even before the exchange began).
        var forwarded = error.source == .upstream
        if case .exchanging = state { forwarded = true }
        if forwarded { worker.metrics.proxied(status: error.status) }
        upstreamTimer?.disarm()
        headTimer.disarm()
        if let request, worker.logsAccess {
            var exchange: Exchange?
            if case .exchanging(let current) = state { exchange = current }
            let now = ContinuousClock.now
            let startedAt = exchange?.startedAt ?? now
            worker.recordAccess(AccessLog.Entry(
                client: worker.clientAddress(of: request, on: downstream), request: request, status: error.status,
                bytesSent: 0, duration: now - startedAt, requestID: exchange?.requestID,
                upstreamTime: exchange?.headAt.map { $0 - startedAt }))
        }
        state = .closing
        downstream.write(error.response(extraFields: extraFields.map { ($0.name, $0.valueString) }))
        // The client may still be sending (the rest of an oversize head, a body): it must get the answer, not a reset.
        downstream.closeWhenFlushed(lingering: .afterAnswer)
    }

    /// Ends an exchange whose response has begun: nothing can be said any more, so both sides
    /// close and the client sees a truncated response.
    private func abort(_ exchange: Exchange, reason: String) {
        logger.warning("exchange aborted", metadata: ["reason": "\(reason)", "status": "\(exchange.status)"])
        exchange.status = exchange.status == 0 ? 499 : exchange.status
        recordAccess(exchange)
        exchange.upstream.close()
        downstream.close()
    }

    // MARK: Moving bytes

    /// Moves a body's data from `source`'s input to `target`'s output, without copying it,
    /// re-framing it with `encoding`; returns whether the body is complete and the data moved.
    private func pump(from source: Connection, to target: Connection, body: inout BodyReader,
                      encoding: BodyEncoding) throws(HTTPParseError) -> (finished: Bool, dataBytes: Int) {
        /// Framing lines are short: look at this much first, at most a head's worth for trailers.
        let framingPeek = worker.limits.maxChunkLineBytes + 2
        var moved = 0
        while true {
            let available = source.inputCount
            // Only framing is read from the input: a body without any is not looked at.
            var step = body.readsFraming
                ? try source.withInput(upTo: framingPeek) { bytes throws(HTTPParseError) in try body.next(bytes) }
                : try body.next(UnsafeRawBufferPointer(start: nil, count: 0))
            if step == .needMore && available > framingPeek {
                step = try source.withInput(upTo: worker.limits.maxHeadBytes + 2) { bytes throws(HTTPParseError) in try body.next(bytes) }
            }
            switch step {
            case .needMore:
                return (false, moved)
            case .drop(let count):
                source.drainInput(count)
            case .data(let limit):
                let count = Int(min(UInt64(available), limit))
                guard count > 0 else { return (false, moved) }
                if let prefix = encoding.prefix(count: count) { target.write(prefix) }
                source.moveInput(to: target, count: count)
                if let suffix = encoding.suffix { target.write(suffix) }
                try body.consumed(count)
                moved += count
            case .finished(let drop):
                source.drainInput(drop)
                if let end = encoding.end { target.write(end) }
                return (true, moved)
            }
        }
    }

    /// Copies tunnel bytes from `source` to `target`, pausing `source` above the high watermark.
    private func tunnel(from source: Connection, to target: Connection) {
        source.moveInput(to: target, count: source.inputCount)
        if target.outputCount > Watermarks.high {
            source.setReading(false)
            if source === downstream { readingPausedDownstream = true } else { readingPausedUpstream = true }
        }
    }

    // MARK: ConnectionDelegate

    func connectionDidRead(_ connection: Connection) {
        switch state {
        case .awaitingHead:
            if connection === downstream { readRequestHead() }
        case .exchanging(let exchange):
            if connection === downstream {
                streamRequestBody(exchange)
            } else if connection === exchange.upstream {
                switch exchange.response {
                case .awaitingHead: readResponseHead(exchange)
                case .body, .gripBody: streamResponseBody(exchange)
                case .done: break
                }
            }
        case .tunnel(let upstream):
            if connection === downstream { tunnel(from: downstream, to: upstream) } else { tunnel(from: upstream, to: downstream) }
        case .closing:
            break
        }
    }

    func connectionDidDrain(_ connection: Connection) {
        if connection === downstream, readingPausedUpstream {
            readingPausedUpstream = false
            switch state {
            case .exchanging(let exchange):
                exchange.upstream.setReading(true)
                streamResponseBody(exchange)
            case .tunnel(let upstream):
                upstream.setReading(true)
                tunnel(from: upstream, to: downstream)
            default: break
            }
        } else if connection !== downstream, readingPausedDownstream {
            readingPausedDownstream = false
            downstream.setReading(true)
            switch state {
            case .exchanging(let exchange): streamRequestBody(exchange)
            case .tunnel(let upstream): tunnel(from: downstream, to: upstream)
            default: break
            }
        }
    }

    func connectionDidConnect(_ connection: Connection) {
        // The connect timeout no longer applies; upstream.timeout (a timer) guards the response head.
        connection.setTimeouts(read: nil, write: nil)
    }

    func connection(_ connection: Connection, didEndWith reason: ConnectionEnd) {
        if connection === downstream {
            downstreamEnded(reason)
        } else {
            upstreamEnded(connection, reason)
        }
    }

    func connectionDidClose(_ connection: Connection) {
        if connection === downstream {
            upstreamTimer?.disarm()
            headTimer.disarm()
            worker.connectionClosed(self)
        }
    }

    private func downstreamEnded(_ reason: ConnectionEnd) {
        switch state {
        case .awaitingHead, .closing:
            downstream.close()
        case .exchanging(let exchange):
            logger.debug("client went away", metadata: ["reason": "\(reason)"])
            exchange.status = exchange.status == 0 ? 499 : exchange.status
            recordAccess(exchange)
            exchange.upstream.close()
            downstream.close()
        case .tunnel(let upstream):
            tunnel(from: downstream, to: upstream)
            upstream.closeWhenFlushed()
            downstream.close()
        }
    }

    private func upstreamEnded(_ connection: Connection, _ reason: ConnectionEnd) {
        switch state {
        case .tunnel(let upstream) where upstream === connection:
            tunnel(from: upstream, to: downstream)
            upstream.close()
            state = .closing
            downstream.closeWhenFlushed()
        case .exchanging(let exchange) where exchange.upstream === connection:
            switch exchange.response {
            case .awaitingHead:
                let nothingReceived = connection.inputCount == 0
                connection.close()
                if exchange.mayRetry && nothingReceived && reason != .timeout {
                    exchange.mayRetry = false
                    do {
                        exchange.requestSent = false
                        exchange.pool = worker.pool
                        start(exchange, on: try exchange.pool.connect())
                        streamRequestBody(exchange)
                    } catch {
                        fail(.upstreamRefused(error.description), request: exchange.request, upstreamError: .connect)
                    }
                    return
                }
                let detail: String
                let kind: HeraldMetrics.UpstreamErrorKind
                switch reason {
                case .connectFailed, .timeout: (detail, kind) = ("cannot connect to \(worker.settings.upstream.url): \(reason)", .connect)
                default: (detail, kind) = ("connection \(reason) before a response", .reset)
                }
                fail(.upstreamRefused(detail), request: exchange.request, upstreamError: kind)
            case .body(let body, _):
                if body.endsAtClose {
                    streamResponseBody(exchange)
                    guard case .body(_, let encoding) = exchange.response else { return }
                    if let end = encoding.end { downstream.write(end) }
                    exchange.upstreamReusable = false
                    exchange.response = .done
                    finishExchange(exchange)
                } else {
                    worker.metrics.upstreamErrors(.reset).increment()
                    abort(exchange, reason: "upstream \(reason) mid-body")
                }
            case .gripBody:
                readGripBody(exchange, upstreamEnded: true)
            case .done:
                connection.close()
            }
        default:
            connection.close()
        }
    }
}
