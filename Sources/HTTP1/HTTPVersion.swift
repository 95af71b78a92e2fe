/// The protocol version of a message: only HTTP/1.0 and HTTP/1.1 are spoken.
public enum HTTPVersion: Sendable, Equatable {
    case http10
    case http11

    /// "HTTP/1.0" or "HTTP/1.1".
    public var text: String { self == .http10 ? "HTTP/1.0" : "HTTP/1.1" }

    /// The same, for writing heads without touching a String.
    var wireText: StaticString { self == .http10 ? "HTTP/1.0" : "HTTP/1.1" }
}
