import Fanout
import Glibc
import HeraldConfig
import HTTP1
import Proxy
import Publishing

/// One line per finished exchange, in the configured format, written to standard output: proxied
/// requests, requests Herald answers itself, event streams when they end, their refusals, and
/// (on the publish listener's own log) every request there.
///
/// Lines are collected per loop and written in one `write(2)` when the buffer passes
/// `flushBytes` or its loop's flush timer fires, so a busy loop does not pay a system call per request.
///
/// In `common` and `combined` a stream's line is nginx's, followed by ` events=<n> end=<reason>`
/// (as extra fields of an nginx `log_format` follow); in `json` those are fields, with
/// `user_agent`, `upstream_ms`, `request_id` and, for a publish, `channel`, `id` and `subscribers`.
struct AccessLog {
    let format: AccessLogFormat
    private var buffer: [UInt8] = []
    /// Flush bound: 32 KiB keeps a line from waiting long at high rates and bounds memory per loop.
    static let flushBytes = 32 * 1024
    private var cachedSecond: Int = -1
    private var cachedTime = ""
    /// Ids for requests that bring no usable X-Request-Id; made only when the format logs them.
    private var requestIDs: RequestIDGenerator

    init(format: AccessLogFormat) {
        self.format = format
        var system = SystemRandomNumberGenerator()
        requestIDs = RequestIDGenerator(seededBy: &system)
    }

    /// JSON lines carry a request id, and a forwarded request takes it upstream.
    var makesRequestIDs: Bool { format == .json }

    /// The request's own X-Request-Id when `RequestID.isAcceptable`, else a new one (`made`).
    mutating func requestID(for request: HTTPRequestHead) -> (id: String, made: Bool) {
        if let given = request.fields.firstBytes("x-request-id"), RequestID.isAcceptable(given) {
            return (String(decoding: given, as: UTF8.self), false)
        }
        return (requestIDs.next(), true)
    }

    struct Entry {
        var client: String
        var request: HTTPRequestHead
        var status: Int
        /// Proxied: the body's bytes (nginx's `$body_bytes_sent`); a stream: every byte the socket took.
        var bytesSent: UInt64
        var duration: Duration
        /// The id sent upstream; nil: the request's own (if usable) or a new one is logged.
        var requestID: String? = nil
        /// From forwarding the request to the upstream's response head; nil when nothing was forwarded.
        var upstreamTime: Duration? = nil
        /// An event stream's end.
        var stream: StreamSummary? = nil
        /// A publish's events (the answer's results).
        var published: [PublishResult]? = nil
    }

    /// What an event stream did, logged when it ends.
    struct StreamSummary {
        var events: Int
        var end: StreamEnd
    }

    mutating func record(_ entry: Entry) {
        switch format {
        case .off: return
        case .common, .combined: appendCommon(entry, combined: format == .combined)
        case .json: appendJSON(entry)
        }
        if buffer.count >= Self.flushBytes { flush() }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(1, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    private mutating func appendCommon(_ entry: Entry, combined: Bool) {
        let request = "\(entry.request.method) \(entry.request.targetString) \(entry.request.version.text)"
        var line = "\(entry.client) - - [\(timestamp(common: true))] \"\(Self.escaped(request))\" \(entry.status) \(entry.bytesSent)"
        if combined {
            let referer = entry.request.fields.firstString("referer") ?? "-"
            let agent = entry.request.fields.firstString("user-agent") ?? "-"
            line += " \"\(Self.escaped(referer))\" \"\(Self.escaped(agent))\""
        }
        if let stream = entry.stream { line += " events=\(stream.events) end=\(stream.end.rawValue)" }
        buffer += Array(line.utf8)
        buffer.append(UInt8(ascii: "\n"))
    }

    private mutating func appendJSON(_ entry: Entry) {
        let requestID = entry.requestID ?? requestID(for: entry.request).id
        var line = "{\"time\":\"\(timestamp(common: false))\",\"client\":\(JSONString.quoted(entry.client)),"
            + "\"method\":\(JSONString.quoted(entry.request.method)),\"target\":\(JSONString.quoted(entry.request.targetString)),"
            + "\"version\":\"\(entry.request.version.text)\",\"status\":\(entry.status),\"bytes\":\(entry.bytesSent),"
            + "\"duration_ms\":\(Self.milliseconds(entry.duration)),\"upstream_ms\":\(entry.upstreamTime.map(Self.milliseconds) ?? "null"),"
            + "\"user_agent\":\(entry.request.fields.firstString("user-agent").map(JSONString.quoted) ?? "null"),\"request_id\":\(JSONString.quoted(requestID))"
        if let stream = entry.stream { line += ",\"events\":\(stream.events),\"end\":\"\(stream.end.rawValue)\"" }
        if let published = entry.published { line += Self.publishFields(published) }
        buffer += Array(line.utf8)
        buffer += Array("}\n".utf8)
    }

    /// One event: `channel`, `id`; several: `channels`, `ids`. `subscribers`: the local streams
    /// the new events reached (a duplicate reached none).
    private static func publishFields(_ results: [PublishResult]) -> String {
        let reached = results.reduce(0) { $0 + ($1.duplicate ? 0 : $1.subscribers) }
        if results.count == 1 {
            return ",\"channel\":\(JSONString.quoted(results[0].channel)),\"id\":\(JSONString.quoted(results[0].id)),\"subscribers\":\(reached)"
        }
        let channels = results.map { JSONString.quoted($0.channel) }.joined(separator: ",")
        let ids = results.map { JSONString.quoted($0.id) }.joined(separator: ",")
        return ",\"channels\":[\(channels)],\"ids\":[\(ids)],\"subscribers\":\(reached)"
    }

    private static func milliseconds(_ duration: Duration) -> String {
        let milliseconds = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return "\((milliseconds * 1000).rounded() / 1000)"
    }

    /// Quotes, backslashes and control characters escaped, as nginx does for its log fields.
    private static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\x" + String(scalar.value, radix: 16, uppercase: true)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `25/Nov/2026:09:28:35 +0000` (common) or `2026-11-25T09:28:35Z` (JSON), computed once a second.
    private mutating func timestamp(common: Bool) -> String {
        var now = time(nil)
        let second = Int(now) * 2 + (common ? 1 : 0)
        if second == cachedSecond { return cachedTime }
        var parts = tm()
        gmtime_r(&now, &parts)
        var text = [CChar](repeating: 0, count: 64)
        let pattern = common ? "%d/%b/%Y:%H:%M:%S +0000" : "%Y-%m-%dT%H:%M:%SZ"
        let length = strftime(&text, text.count, pattern, &parts)
        cachedSecond = second
        cachedTime = String(decoding: text.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return cachedTime
    }
}

/// Why an event stream ended, as its access-log line says (`end=`).
enum StreamEnd: String {
    /// The client closed the connection (or reset it).
    case clientClosed = "client_closed"
    /// Herald ended it on purpose while draining (SIGTERM, a listener closed by a reload).
    case drained
    /// `DELETE /channels/<channel>` ended it.
    case channelDeleted = "channel_deleted"
    /// The client read too slowly: more than `events.max_buffered_bytes` waited unsent.
    case slowSubscriber = "slow_subscriber"
    /// A replay the socket took nothing of for a heartbeat interval.
    case replayStalled = "replay_stalled"
    /// A replay overtaken by the history's bounds (the reconnect gets a reset).
    case replayLost = "replay_lost"
    /// Re-authorization: the app no longer grants the stream.
    case reauthorizationRefused = "reauthorization_refused"
    /// A socket error other than the client's reset.
    case socketError = "socket_error"
    /// A finishing stream's client did not take its last bytes within the finish timeout.
    case timeout
    /// The grace period ran out at shutdown and every connection was closed.
    case shutdown
}
