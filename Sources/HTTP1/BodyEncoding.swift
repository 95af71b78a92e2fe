/// Frames data bytes for the side they are written to.
public enum BodyEncoding: Sendable, Equatable {
    /// Written as they are (Content-Length or close-delimited).
    case identity
    /// Each piece becomes one chunk.
    case chunked

    /// What goes before `count` data bytes.
    public func prefix(count: Int) -> [UInt8]? {
        self == .chunked ? ChunkedEncoder.header(size: count) : nil
    }

    /// What goes after a piece of data.
    public var suffix: [UInt8]? { self == .chunked ? ChunkedEncoder.dataTerminator : nil }

    /// What ends the body.
    public var end: [UInt8]? { self == .chunked ? ChunkedEncoder.lastChunk : nil }
}
