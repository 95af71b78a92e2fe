// One client (downstream) connection on the public listener, and the exchanges it carries: the
// IO shell of `ForwardingStateMachine`, which decides every phase (README.md draws them). This
// class reads heads, routes, moves bytes and arms timers; it reports each event to the machine
// and performs the action returned.
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
    /// At most this much of the body read with a response head is checked before the head is
    /// sent: a read's worth (a connection reads at most 64 KiB at once), what usually came with the
    /// head in one piece, so looking at it seldom copies; the rest is checked as it is pumped.
    static let maxFramingCheckBytes = 64 * 1024

    let downstream: Connection
    /// Strong, and a constant: reading it then needs no retain, and it is read many times per
    /// request (an unowned(unsafe) one is retained around each call made through it). The
    /// worker's list of connections holds this one until it closes; the worker closes them all
    /// before it goes, so the cycle always ends.
    let worker: LoopWorker
    let id: UInt64
    /// The worker's logger with this connection's id, made when something is logged (most
    /// connections log nothing, and the metadata costs a dictionary per connection).
    var logger: Logger {
        var logger = worker.logger
        logger[metadataKey: "connection.id"] = "\(id)"
        return logger
    }
    /// Where the connection is, and what each exchange knows; assigned by the machine only.
    /// Touched on the loop's thread only, and never while a call into the machine is under way
    /// (its closures move bytes, never reach it), so exclusivity is not checked at run time.
    @exclusivity(unchecked) var machine = ForwardingStateMachine()
    /// The current exchange's (or tunnel's) upstream connection.
    var upstream: Connection?
    /// Where `upstream` came from, and goes back to (a reload may have replaced the worker's).
    var upstreamPool: UpstreamPool?
    /// Idle timer between requests, then header timer once a head has started.
    let headTimer: DeadlineTimer
    /// Fires when the upstream has not answered within `upstream.timeout`.
    var upstreamTimer: DeadlineTimer?
    /// `readRequestHead` is on the stack: a head awaited meanwhile (a request answered at once,
    /// with the next one pipelined behind it) is read by its loop, not by a nested call, so a run
    /// of pipelined requests never grows the stack.
    private var readingHeads = false
    private var headAwaited = false
    var readingPausedDownstream = false
    var readingPausedUpstream = false

    init(downstream: Connection, worker: LoopWorker, id: UInt64) {
        self.downstream = downstream
        self.worker = worker
        self.id = id
        headTimer = DeadlineTimer(loop: worker.loop)
        headTimer.handler = { [unowned self] in
            self.perform(self.machine.headTimerFired(headerTimeout: self.worker.settings.server.headerTimeout))
        }
        downstream.attach(self)
        downstream.setOutputLowWatermark(Watermarks.low)
        downstream.setInputHighWatermark(worker.limits.maxHeadBytes + 16 * 1024)
        awaitHead()
    }

    private var isAwaitingHead: Bool {
        if machine.phase == .awaitingHead { return !downstream.isClosed }
        return false
    }

    /// The server drains (the machine decides what that means for this connection now).
    func beginDraining() {
        perform(machine.drainBegan(inputEmpty: downstream.inputCount == 0))
    }

    func close() {
        upstream?.close()
        downstream.close()
    }

    // MARK: Performing the machine's actions

    func perform(_ action: ForwardingStateMachine.Action) {
        switch action {
        case .none:
            break
        case .awaitHead:
            awaitHead()
        case .armHeaderTimer:
            headTimer.arm(after: worker.settings.server.headerTimeout)
        case .armUpstreamTimer:
            armUpstreamTimer()
        case .close:
            close()
        case .closeWhenFlushed(let lingering):
            downstream.closeWhenFlushed(lingering: lingering ? .afterAnswer : nil)
        case .limitUpstreamBacklog:
            if let upstream, upstream.outputCount > Watermarks.high {
                downstream.setReading(false)
                readingPausedDownstream = true
            }
        case .limitDownstreamBacklog:
            if let upstream, downstream.outputCount > Watermarks.high {
                upstream.setReading(false)
                readingPausedUpstream = true
            }
        case .retry(let exchange):
            retry(exchange)
        case .relayInterimHead, .relayHead, .openTunnel:
            // Performed by readResponseHead, which holds the head.
            break
        case .beginGripHold:
            armUpstreamTimer()
            readGripBody()
        case .endTunnel(let side):
            endTunnel(ended: side)
        case .finish(let exchange, let finish):
            finishExchange(exchange, finish)
        case .holdGripStream(let exchange, let hold):
            holdGripStream(exchange, hold)
        case .fail(let failure):
            fail(failure)
        case .abort(let exchange, let reason, let kind, let resetsClient):
            abort(exchange, reason: reason, upstreamError: kind, resetsClient: resetsClient)
        case .abandon(let exchange):
            recordAccess(exchange)
            upstream?.close()
            upstream = nil
            downstream.close()
        }
    }

    // MARK: Phase: read the request head

    private func awaitHead() {
        headTimer.arm(after: worker.settings.server.idleTimeout)
        if downstream.inputCount > 0 { readRequestHead() }
    }

    func readRequestHead() {
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
                    perform(machine.requestHeadIncomplete())
                    return
                }
                headTimer.disarm()
                route(head)
            } catch {
                perform(machine.requestFailed(ProxyError(error), request: nil))
            }
        } while headAwaited && isAwaitingHead
    }

    // MARK: Phase: route and rewrite

    /// `request` is consumed: a forwarded head moves into its rewrite, which the exchange keeps.
    private func route(_ request: consuming HTTPRequestHead) {
        switch worker.router.route(request) {
        case .refuse(let error):
            perform(machine.requestFailed(error, request: request))
        case .events:
            switch worker.eventsGate.decide(request) {
            case .stream(let fields):
                machine.handedOff()
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
                perform(machine.requestFailed(error, request: request, extraFields: fields))
            }
        case .health:
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
                perform(machine.requestFailed(ProxyError(error), request: request))
            }
        }
    }

    /// Answered by Herald (client.js, OPTIONS, readiness).
    private func answerLocally(_ request: HTTPRequestHead, status: Int, bytes: [UInt8], keepAlive: Bool) {
        worker.recordAccess(AccessLog.Entry(client: worker.clientAddress(of: request, on: downstream), request: request, status: status,
                                            bytesSent: UInt64(bytes.count), duration: .zero))
        downstream.write(bytes)
        perform(machine.answeredLocally(keepAlive: keepAlive, requestMayHaveBody: request.mayHaveBody))
    }

    // MARK: Phase: connect upstream and send the head

    /// `upstreamHead` (which holds the request) is consumed: it moves into the exchange.
    private func connectUpstream(_ upstreamHead: consuming UpstreamRequestHead, framing: RequestBodyFraming, isUpgrade: Bool,
                                 requestID: String?) {
        let pool = worker.pool
        let pooled = pool.takeIdle()
        let connection: Connection
        do {
            if let pooled { connection = pooled } else { connection = try pool.connect() }
        } catch {
            perform(machine.requestFailed(.upstreamRefused(error.description), request: upstreamHead.request, upstreamError: .connect))
            return
        }
        let exchange = ForwardedExchange(upstreamHead: upstreamHead, isUpgrade: isUpgrade, startedAt: worker.logsAccess ? .now : nil,
                                         requestID: requestID)
        machine.forwarding(exchange, framing: framing, maxBodyBytes: worker.settings.server.maxBodyBytes, pooled: pooled != nil,
                           limits: worker.limits)
        start(exchange, on: connection, from: pool)
        streamRequestBody()
    }

    private func start(_ exchange: ForwardedExchange, on connection: Connection, from pool: UpstreamPool) {
        upstream = connection
        upstreamPool = pool
        connection.attach(self)
        connection.setOutputLowWatermark(Watermarks.low)
        let head = exchange.upstreamHead
        connection.write(upTo: head.capacity) { head.write(into: $0) }
    }

    /// The pooled connection had been closed by the app: the request goes again on a new one.
    private func retry(_ exchange: ForwardedExchange) {
        upstream?.close()
        upstream = nil
        let pool = worker.pool
        do {
            start(exchange, on: try pool.connect(), from: pool)
            streamRequestBody()
        } catch {
            perform(machine.requestFailed(.upstreamRefused(error.description), request: exchange.request, upstreamError: .connect))
        }
    }

    private func armUpstreamTimer() {
        if let upstreamTimer {
            upstreamTimer.arm(after: worker.settings.upstream.timeout)
            return
        }
        let timer = DeadlineTimer(loop: worker.loop) { [unowned self] in self.perform(self.machine.upstreamTimerFired()) }
        upstreamTimer = timer
        timer.arm(after: worker.settings.upstream.timeout)
    }

    // MARK: Phase: stream the request body

    func streamRequestBody() {
        guard let upstream else { return }
        let downstream = downstream
        perform(machine.requestBodyReceived(now: .now) { body, encoding throws(HTTPParseError) in
            try pump(from: downstream, to: upstream, body: &body, encoding: encoding).finished
        })
    }
}
