import Fanout
import HTTP1
import LibeventIO
import Proxy
import Publishing

/// A connection on the publish listener: reads requests (bodies bounded by
/// `publish.max_body_bytes`), answers each through `PublishAPI`, keeps the connection alive.
/// Each answer is a line of the publish loop's access log.
final class PublishConnection: ConnectionDelegate {
    /// Waiting for a head (`.awaitingHead`), collecting the body of `head`, or waiting for the
    /// answer to `head` (Redis mode: the store answers when Redis has); pipelined requests wait
    /// in the input meanwhile, so answers go out in order.
    private enum State {
        case awaitingHead
        case readingBody(HTTPRequestHead, BodyReader, [UInt8])
        case awaitingAnswer
        /// The answer to a request without keep-alive is out: nothing more is read.
        case finished
    }

    private let connection: Connection
    /// Read at each request: a reload changes what the next one meets.
    private let service: PublishService
    private var api: PublishAPI { service.api }
    private var limits: HTTPLimits { service.limits }
    private var maxBodyBytes: Int { service.maxBodyBytes }
    private var idleTimeout: Duration { service.idleTimeout }
    private var state = State.awaitingHead
    /// Inside `connectionDidRead`: an answer given at once lets its loop go on to the next request.
    private var reading = false
    /// The read timeout is off while an answer comes later than at once (Redis mode).
    private var idleTimeoutSuspended = false
    private var accessLog: PublishAccessLog { service.accessLog }
    /// The request being read or answered and when its head came, for the access log (nil when
    /// the log is off, or between requests).
    private var logged: (head: HTTPRequestHead, startedAt: ContinuousClock.Instant)?

    init(connection: Connection, service: PublishService) {
        self.connection = connection
        self.service = service
        connection.attach(self)
        connection.setTimeouts(read: idleTimeout, write: idleTimeout)
    }

    func connectionDidRead(_ connection: Connection) {
        reading = true
        defer { reading = false }
        do throws(HTTPParseError) {
            while !connection.isClosed {
                switch state {
                case .awaitingHead:
                    guard let head = try connection.readRequestHead(limits: limits) else { return }
                    if accessLog.isOn { logged = (head, .now) }
                    let framing = try head.bodyFraming()
                    if case .contentLength(let length) = framing, length > UInt64(maxBodyBytes) {
                        throw HTTPParseError(.bodyTooLarge, "body exceeds publish.max_body_bytes (\(maxBodyBytes))")
                    }
                    state = .readingBody(head, BodyReader(request: framing, maxDataBytes: UInt64(maxBodyBytes), limits: limits), [])
                case .readingBody(let head, var reader, var body):
                    guard try readBody(&reader, into: &body) else {
                        state = .readingBody(head, reader, body)
                        return
                    }
                    state = .awaitingAnswer
                    api.respond(to: head, body: body) { [self] response in answered(response, head: head) }
                    if case .awaitingAnswer = state {
                        // The publisher is silent while its answer is awaited (the store answers
                        // within redis.command_timeout): that is not idleness.
                        connection.setTimeouts(read: nil, write: idleTimeout)
                        idleTimeoutSuspended = true
                    }
                case .awaitingAnswer, .finished:
                    return
                }
            }
        } catch {
            let answer = ProxyError(error)
            record(status: answer.status, bodyBytes: 0, published: nil)
            connection.write(answer.response())
            // The publisher may still be sending (an oversize body): it must get the answer, not a reset.
            connection.closeWhenFlushed(lingering: .afterAnswer)
        }
    }

    /// Writes the answer to `head` and goes on with the requests read meanwhile.
    private func answered(_ response: PublishAPI.Response, head: HTTPRequestHead) {
        guard !connection.isClosed else { return }
        if idleTimeoutSuspended {
            idleTimeoutSuspended = false
            connection.setTimeouts(read: idleTimeout, write: idleTimeout)
        }
        respond(response, head: head)
        guard head.wantsKeepAlive else {
            state = .finished
            connection.closeWhenFlushed()
            return
        }
        state = .awaitingHead
        if !reading && connection.inputCount > 0 { connectionDidRead(connection) }
    }

    /// Copies body data out of the input (publish bodies are small and bounded); true when complete.
    private func readBody(_ reader: inout BodyReader, into body: inout [UInt8]) throws(HTTPParseError) -> Bool {
        try reader.read(from: connection) { input, count in
            input.withInput(upTo: count) { body.append(contentsOf: $0) }
            input.consumeInput(count)
        }
    }

    private func respond(_ response: PublishAPI.Response, head: HTTPRequestHead) {
        var responseHead = HeadBuilder(capacity: 160)
        responseHead.statusLine(version: .http11, status: response.status, reason: ArraySlice(ProxyError.reasonPhrase(response.status).utf8))
        responseHead.field("Content-Type", response.contentType)
        responseHead.field("Content-Length", String(response.body.count))
        responseHead.field("Cache-Control", "no-store")
        for (name, value) in response.extraFields { responseHead.field(name, Array(value.utf8)) }
        responseHead.end()
        connection.write(responseHead.bytes)
        if head.method != "HEAD" { connection.write(response.body) }
        record(status: response.status, bodyBytes: head.method == "HEAD" ? 0 : response.body.count, published: response.published)
        // The publisher hears 202 before this loop turns to delivering (a pass over every
        // subscriber), so its next publish is on its way meanwhile and joins the next pass.
        connection.flushNow()
    }

    /// The access-log line of the request being answered, if a head was read and the log is on.
    private func record(status: Int, bodyBytes: Int, published: [PublishResult]?) {
        guard let (head, startedAt) = logged else { return }
        logged = nil
        accessLog.record(AccessLog.Entry(client: connection.peerHost, request: head, status: status, bytesSent: UInt64(bodyBytes),
                                         duration: ContinuousClock.now - startedAt, published: published))
    }

    func connectionDidFlush(_ connection: Connection) {}

    func connection(_ connection: Connection, didEndWith reason: ConnectionEnd) {
        connection.close()
    }
}
