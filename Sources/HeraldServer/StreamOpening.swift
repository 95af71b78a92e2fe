import EventStream
import HeraldConfig
import HTTP1
import LibeventIO

/// The bytes every event stream opens with, built once per loop from the settings: the head's
/// fixed part, and what follows the head (the padding and `retry:`). Opening a stream copies them
/// into its output and builds only its comment line; a subscribe storm opens thousands in a
/// second. None of
/// the lines after the head is blank: they end no block, so they dispatch nothing in any client
/// (they belong to the first event's block, which they do not change).
struct StreamOpening {
    /// `HTTP/1.1 200 OK` and the fields of every stream's head, up to (not with) the blank line;
    /// for an HTTP/1.1 client with `Transfer-Encoding: chunked` among them.
    private let head: [UInt8]
    private let chunkedHead: [UInt8]
    /// The padding and `retry:`.
    private let opening: [UInt8]

    init(events: EventsSettings) {
        var head = HTTPResponseHead(status: 200, reason: "OK")
        head.fields.append("Content-Type", "text/event-stream")
        head.fields.append("Cache-Control", "no-cache")
        head.fields.append("Connection", "keep-alive")
        head.fields.append("X-Accel-Buffering", "no")
        var bytes = head.serialized()
        bytes.removeLast(2)
        self.head = bytes
        head.fields.append("Transfer-Encoding", "chunked")
        bytes = head.serialized()
        bytes.removeLast(2)
        chunkedHead = bytes
        opening = EventEncoder.padding(count: events.paddingBytes) + EventEncoder.retry(milliseconds: events.retryMilliseconds)
    }

    /// Writes the head, with `extraFields` (CORS) among its fields, then (unless `headOnly`, for
    /// HEAD) the padding, `retry:` and a comment naming the channels, as one chunk when `chunked`.
    func write(to connection: Connection, extraFields: [HTTPField], headOnly: Bool, channels: [String], chunked: Bool) {
        connection.write(chunked ? chunkedHead : head)
        if !extraFields.isEmpty {
            var lines = HeadBuilder(capacity: 256)
            for field in extraFields { lines.field(field.nameBytes, field.bytes) }
            connection.write(lines.bytes)
        }
        connection.write(Self.lineEnd)
        if headOnly { return }
        // One comment line: channel names hold no line break.
        var body = opening + Self.commentStart
        body += channels.count == 1 ? channels[0].utf8 : "\(channels.count) channels".utf8
        body += Self.commentEnd
        connection.write(chunked ? ChunkedEncoder.framed(body) : body)
    }

    private static let lineEnd: [UInt8] = Array("\r\n".utf8)
    private static let commentStart: [UInt8] = Array(":herald: ".utf8)
    private static let commentEnd: [UInt8] = Array("\n".utf8)
}
