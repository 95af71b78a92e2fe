/// How a request's body is delimited (RFC 9112 §6.3 for requests).
public enum RequestBodyFraming: Sendable, Equatable {
    case none
    case contentLength(UInt64)
    case chunked
}
