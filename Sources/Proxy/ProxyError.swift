import HTTP1

/// A failed exchange, tagged with the side that caused it; the source decides the status and
/// how loudly it is logged (a client's bad request is routine, an upstream failure is not).
public struct ProxyError: Error, Sendable, Equatable {
    public enum Source: String, Sendable {
        /// The client sent something unacceptable (4xx, logged at debug).
        case downstream
        /// The upstream app refused, dropped or did not answer (5xx, logged as a warning).
        case upstream
        /// Herald itself could not go on (500).
        case `internal`
    }

    public var source: Source
    public var status: Int
    /// A short reason, sent as the plain-text body.
    public var reason: String
    /// What only the diagnostic log may say: the upstream's address and how connecting to it
    /// failed, which would tell a client how the network behind Herald is laid out.
    public var detail: String?

    public init(_ source: Source, status: Int, _ reason: String, detail: String? = nil) {
        self.source = source
        self.status = status
        self.reason = reason
        self.detail = detail
    }

    /// The reason with its detail, for the diagnostic log.
    public var logReason: String {
        detail.map { "\(reason): \($0)" } ?? reason
    }

    public init(_ error: HTTPParseError) {
        self.init(.downstream, status: error.status, error.reason)
    }

    /// The client reads "upstream unavailable"; `detail` (which may name the upstream) goes to the log.
    public static func upstreamRefused(_ detail: String) -> ProxyError {
        ProxyError(.upstream, status: 502, "upstream unavailable", detail: detail)
    }

    public static let upstreamTimedOut = ProxyError(.upstream, status: 504, "upstream did not answer in time")

    /// The one mapping from errors to responses: a short text/plain answer that closes the connection.
    /// `extraFields` adds what some statuses need (`Allow` for 405, `Retry-After` for 429 and 503).
    public func response(extraFields: [(String, String)] = []) -> [UInt8] {
        let body = reason + "\n"
        var head = HTTPResponseHead(status: status, reason: Self.reasonPhrase(status))
        head.fields.append("Content-Type", "text/plain; charset=utf-8")
        head.fields.append("Content-Length", String(body.utf8.count))
        for (name, value) in extraFields { head.fields.append(name, value) }
        head.fields.append("Connection", "close")
        return head.serialized() + Array(body.utf8)
    }

    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 202: "Accepted"
        case 400: "Bad Request"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 401: "Unauthorized"
        case 408: "Request Timeout"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Error"
        }
    }
}
