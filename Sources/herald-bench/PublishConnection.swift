// One keep-alive publishing connection: one POST in flight at a time, its timestamp taken just
// before the request is queued. A connection the server closes is replaced by the run.

import HTTP1
import LibeventIO

/// A publisher connection and the request in flight on it.
final class PublishConnection: ConnectionDelegate {
    // Events: connected, send (from the run), head (read), body (read), end.
    enum State {
        /// connected → .idle; end → gone.
        case connecting
        /// Waiting for the run to send. send → .awaitingHead; end → gone.
        case idle
        /// head → .readingBody (or straight back to .idle when the body is empty); end → failed.
        case awaitingHead(sequence: UInt64, sentAt: UInt64)
        /// body finished → .idle (or closed when not keep-alive); end → done when the body runs to
        /// the close, else failed.
        case readingBody(sequence: UInt64, sentAt: UInt64, status: Int)
        case closed
    }

    static let headLimits = HTTPLimits(maxStartLineBytes: 1024, maxHeadBytes: 16 * 1024)
    /// Response bodies are read and dropped in slices of this size.
    static let sliceBytes = 64 * 1024

    private unowned let run: PublishRun
    private var connection: Connection?
    private(set) var state = State.closed
    private var body = BodyReader(response: .none, limits: HTTPLimits())
    private var keepAlive = true
    /// Reused for every request: no allocation per publish once grown.
    private var request: [UInt8] = []
    private var bodyBytes: [UInt8] = []

    init(run: PublishRun) {
        self.run = run
    }

    func connect(to address: SocketAddress, timeout: BenchDuration) throws(LibeventError) {
        let connection = try Connection.connect(loop: run.loop, to: address, timeout: timeout.duration)
        connection.attach(self)
        self.connection = connection
        state = .connecting
    }

    /// Sends event `sequence`, stamped with the wall clock now and the time it was `due`.
    func send(sequence: UInt64, due: UInt64, headPrefix: [UInt8], template: BodyTemplate) {
        guard let connection, case .idle = state else { return }
        let now = BenchClock.wallNanoseconds()
        bodyBytes.removeAll(keepingCapacity: true)
        template.render(into: &bodyBytes, timestamp: now, sequence: sequence, due: due)
        request.removeAll(keepingCapacity: true)
        request.append(contentsOf: headPrefix)
        request.appendDecimal(UInt64(bodyBytes.count))
        request.append("\r\n\r\n")
        request.append(contentsOf: bodyBytes)
        connection.write(request)
        state = .awaitingHead(sequence: sequence, sentAt: BenchClock.monotonicNanoseconds())
    }

    func close() {
        state = .closed
        connection?.close()
        connection = nil
    }

    // MARK: - ConnectionDelegate

    func connectionDidConnect(_ connection: Connection) {
        // Responses may take long (a publish that waits for delivery); the run's limit bounds them.
        connection.setTimeouts(read: nil, write: nil)
        state = .idle
        run.connectionBecameIdle(self)
    }

    func connectionDidRead(_ connection: Connection) {
        // Bounded: each pass either finishes a response part or returns.
        for _ in 0..<4 {
            switch state {
            case .awaitingHead(let sequence, let sentAt):
                guard readHead(connection, sequence: sequence, sentAt: sentAt) else { return }
            case .readingBody(let sequence, let sentAt, let status):
                readBody(connection, sequence: sequence, sentAt: sentAt, status: status)
                return
            case .connecting, .idle, .closed:
                connection.consumeInput(connection.inputCount)
                return
            }
        }
    }

    func connectionDidFlush(_ connection: Connection) {}

    func connection(_ connection: Connection, didEndWith reason: ConnectionEnd) {
        switch state {
        case .readingBody(let sequence, let sentAt, let status) where body.endsAtClose && reason == .closedByPeer:
            readBody(connection, sequence: sequence, sentAt: sentAt, status: status)
            keepAlive = false
            finishResponse(sequence: sequence, sentAt: sentAt, status: status)
        case .awaitingHead(let sequence, _), .readingBody(let sequence, _, _):
            lose("unanswered: \(reason)", failedSequence: sequence)
        case .connecting:
            lose("connect: \(reason)", failedSequence: nil)
        case .idle:
            lose("idle connection: \(reason)", failedSequence: nil)
        case .closed:
            connection.close()
        }
    }

    // MARK: - Reading

    /// Reads the head; true when the state moved on and the rest of the input should be looked at.
    private func readHead(_ connection: Connection, sequence: UInt64, sentAt: UInt64) -> Bool {
        do {
            guard let head = try connection.takeResponseHead(limits: Self.headLimits) else { return false }
            if (100..<200).contains(head.status) { return true } // interim: the final head follows
            body = BodyReader(response: try head.bodyFraming(requestMethod: "POST"), limits: HTTPLimits())
            keepAlive = head.wantsKeepAlive
            if body.isFinished {
                finishResponse(sequence: sequence, sentAt: sentAt, status: head.status)
                return false
            }
            state = .readingBody(sequence: sequence, sentAt: sentAt, status: head.status)
            return true
        } catch {
            lose("bad response: \(error.reason)", failedSequence: sequence)
            return false
        }
    }

    private func readBody(_ connection: Connection, sequence: UInt64, sentAt: UInt64, status: Int) {
        do throws(HTTPParseError) {
            _ = try body.read(from: connection, maxRun: Self.sliceBytes) { input, count in input.consumeInput(count) }
        } catch {
            return lose("bad response body: \(error.reason)", failedSequence: sequence)
        }
        if body.isFinished { finishResponse(sequence: sequence, sentAt: sentAt, status: status) }
    }

    private func finishResponse(sequence: UInt64, sentAt: UInt64, status: Int) {
        run.publishAnswered(sequence: sequence, status: status, latency: BenchClock.monotonicNanoseconds() &- sentAt)
        guard keepAlive, connection != nil else {
            return lose(nil, failedSequence: nil)
        }
        state = .idle
        run.connectionBecameIdle(self)
    }

    /// The connection is gone; the run replaces it. `failedSequence` is the event whose answer never came.
    private func lose(_ reason: String?, failedSequence: UInt64?) {
        state = .closed
        connection?.close()
        connection = nil
        run.connectionLost(self, reason: reason, failedSequence: failedSequence)
    }
}
