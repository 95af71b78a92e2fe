// One SSE subscriber: a connection that sends a GET, expects `200` and then reads events until the
// run ends; the run may make it reconnect, as a browser does, with `Last-Event-ID`, and its counts
// go on across its connections. Per-subscriber state is kept small (about 250 bytes here, plus the
// connection's two evbuffers and events) because one process holds thousands: nothing of the
// stream is buffered but its last event id, only counted.

import HTTP1
import LibeventIO

/// One subscriber connection and what it has received.
final class Subscriber: ConnectionDelegate {
    // Events: head (read), body (read), end, close by the run.
    enum State {
        /// Connecting, request sent, waiting for the response head (`resuming`: a reconnect).
        /// head 200 → .streaming; other head, error or end → .failed (.dropped when resuming).
        case subscribing(startedAt: UInt64, resuming: Bool)
        /// Reading events. end, a finished body or a bad frame → .dropped; run's close → .closed;
        /// run's reconnect → .subscribing(resuming: true).
        case streaming
        /// Never got its `200`.
        case failed
        /// Its stream ended before the run did.
        case dropped
        /// Closed by the run at its end.
        case closed
    }

    /// Response heads are small; a subscriber does not need the proxy's 64 KiB.
    static let headLimits = HTTPLimits(maxStartLineBytes: 1024, maxHeadBytes: 16 * 1024)
    /// Most input bytes viewed (and so linearized by libevent) at once: a burst of events is parsed
    /// in slices of this size rather than pulled up whole.
    static let sliceBytes = 64 * 1024

    let index: Int
    private unowned let run: SubscribeRun
    private var connection: Connection?
    private(set) var state = State.closed
    private var body = BodyReader(response: .none, limits: HTTPLimits())
    private var parser = SSEStreamParser()
    /// Events dispatched on this stream (with or without a stamp).
    private(set) var received: UInt64 = 0
    private(set) var sequence = SequenceTracker()
    /// Counted once by the run as complete (got `expect-events`) or ended, whichever came first.
    private(set) var isDone = false

    init(index: Int, run: SubscribeRun) {
        self.index = index
        self.run = run
    }

    /// Connects and sends the request; the response arrives in `connectionDidRead`.
    func start(to address: SocketAddress, from source: SocketAddress?, timeout: BenchDuration,
               request: [UInt8]) throws(LibeventError) {
        try connect(to: address, from: source, timeout: timeout, request: request, resuming: false)
    }

    /// The id a reconnect resumes after (empty before the first event with an id).
    var lastEventID: LastEventID { parser.lastEventID }

    /// Closes the stream and opens another that resumes after `lastEventID` (sent in `request`).
    /// A failure to reconnect drops the subscriber.
    func reconnect(to address: SocketAddress, from source: SocketAddress?, timeout: BenchDuration, request: [UInt8]) {
        guard case .streaming = state else { return }
        connection?.close()
        connection = nil
        parser = SSEStreamParser(resumingAfter: parser.lastEventID)
        do {
            try connect(to: address, from: source, timeout: timeout, request: request, resuming: true)
        } catch {
            drop("reconnect: \(error)")
        }
    }

    private func connect(to address: SocketAddress, from source: SocketAddress?, timeout: BenchDuration,
                         request: [UInt8], resuming: Bool) throws(LibeventError) {
        let connection = try Connection.connect(loop: run.loop, to: address, from: source, timeout: timeout.duration)
        connection.attach(self)
        self.connection = connection
        state = .subscribing(startedAt: BenchClock.monotonicNanoseconds(), resuming: resuming)
        connection.write(request) // queued until the connect completes
    }

    /// Closes the connection at the end of the run.
    func close() {
        if case .streaming = state { state = .closed }
        connection?.close()
        connection = nil
    }

    /// Marks the subscriber as counted by the run; true the first time.
    func markDone() -> Bool {
        defer { isDone = true }
        return !isDone
    }

    // MARK: - ConnectionDelegate

    func connectionDidRead(_ connection: Connection) {
        switch state {
        case .subscribing(let startedAt, let resuming):
            readHead(connection, startedAt: startedAt, resuming: resuming)
        case .streaming:
            readBody(connection)
        case .failed, .dropped, .closed:
            connection.consumeInput(connection.inputCount)
        }
    }

    func connectionDidFlush(_ connection: Connection) {}

    func connection(_ connection: Connection, didEndWith reason: ConnectionEnd) {
        switch state {
        case .subscribing(_, let resuming):
            fail(reason.description, resuming: resuming)
        case .streaming:
            readBody(connection) // whatever arrived with the end
            guard case .streaming = state else { return }
            drop(body.endsAtClose && reason == .closedByPeer ? "stream closed by server" : reason.description)
        case .failed, .dropped, .closed:
            connection.close()
        }
    }

    // MARK: - Reading

    private func readHead(_ connection: Connection, startedAt: UInt64, resuming: Bool) {
        let head: HTTPResponseHead
        do {
            guard let complete = try connection.takeResponseHead(limits: Self.headLimits) else { return }
            head = complete
            guard head.status == 200 else { return fail("status \(head.status)", resuming: resuming) }
            body = BodyReader(response: try head.bodyFraming(requestMethod: "GET"), limits: HTTPLimits())
        } catch {
            return fail("bad response: \(error.reason)", resuming: resuming)
        }
        guard !body.isFinished else { return fail("200 without a body", resuming: resuming) }
        // An idle stream is normal from here on (the run's duration limit bounds it).
        connection.setTimeouts(read: nil, write: nil)
        state = .streaming
        if resuming {
            run.subscriberResumed(self, startedAt: startedAt)
        } else {
            run.subscriberEstablished(self, startedAt: startedAt)
        }
        if connection.inputCount > 0 { readBody(connection) }
    }

    /// Decodes and parses all the input. The stream state is copied to locals for the pass, so the
    /// per-byte work touches no class properties.
    private func readBody(_ connection: Connection) {
        let now = BenchClock.wallNanoseconds()
        let run = self.run
        var body = self.body
        var parser = self.parser
        var received = self.received
        var sequence = self.sequence
        var failure: HTTPParseError?
        do throws(HTTPParseError) {
            _ = try body.read(from: connection, maxRun: Self.sliceBytes) { input, count in
                input.withInput(upTo: count) { data in
                    parser.consume(data) { stamp in
                        received &+= 1
                        if let number = stamp.sequence { sequence.observe(number) }
                        run.eventReceived(stamp, at: now)
                    }
                }
                input.consumeInput(count)
            }
        } catch {
            failure = error
        }
        self.body = body
        self.parser = parser
        self.received = received
        self.sequence = sequence

        if !isDone, run.isComplete(received: received, sequence: sequence) {
            run.subscriberCompleted(self)
        }
        if let failure {
            drop("bad stream framing: \(failure.reason)")
        } else if body.isFinished {
            drop("stream ended by server")
        }
    }

    // MARK: - Ending

    private func fail(_ reason: String, resuming: Bool) {
        guard !resuming else { return drop("reconnect: \(reason)") }
        state = .failed
        connection?.close()
        connection = nil
        run.subscriberFailed(self, reason: reason)
    }

    private func drop(_ reason: String) {
        state = .dropped
        connection?.close()
        connection = nil
        run.subscriberDropped(self, reason: reason)
    }
}
