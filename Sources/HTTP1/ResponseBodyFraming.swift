/// How a response's body is delimited (RFC 9112 §6.3 for responses).
public enum ResponseBodyFraming: Sendable, Equatable {
    case none
    case contentLength(UInt64)
    case chunked
    /// Read until the upstream closes the connection.
    case untilClose
}
