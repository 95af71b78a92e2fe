/// Whether the bytes at the front of a connection's input hold a whole message head.
public enum HeadScan: Sendable, Equatable {
    case incomplete
    case complete(length: Int)
}

/// Finds and parses HTTP/1.1 message heads in contiguous bytes (RFC 9112 §2–§5), strictly.
///
/// A connection calls `read…` on every read until the head is complete: a whole, valid head is
/// parsed in one pass; otherwise `scan…` (which only finds line ends and enforces the size limits)
/// tells more bytes to come from an error, and `parse…` on exactly the head's bytes names it.
public enum HTTPHeadParser {
    /// Empty lines skipped before a start line (RFC 9112 §2.2 asks for at least one: some clients
    /// send a CRLF after a POST body). More than this is not a client being robust.
    static let maxLeadingEmptyLines = 8

    /// Looks at the bytes at the front of a connection's input. `.complete(length)` when a whole
    /// request head (optional leading empty lines, request line, fields, blank line) is there; `length`
    /// counts every byte of it. `.incomplete` when more bytes are needed. Throws startLineTooLong (414)
    /// when no line end is within `limits.maxStartLineBytes`, headTooLarge (431) when no head end is
    /// within `limits.maxHeadBytes`. O(n) and allocation-free: it is called on each read.
    public static func scanRequestHead(_ bytes: UnsafeRawBufferPointer,
                                       limits: HTTPLimits) throws(HTTPParseError) -> HeadScan {
        try scan(bytes, limits: limits, as: HTTPRequestHead.self)
    }

    /// Same for a response head (a status line too long counts as headTooLarge).
    public static func scanResponseHead(_ bytes: UnsafeRawBufferPointer,
                                        limits: HTTPLimits) throws(HTTPParseError) -> HeadScan {
        try scan(bytes, limits: limits, as: HTTPResponseHead.self)
    }

    static func scan<Head: ParsableHead>(_ raw: UnsafeRawBufferPointer, limits: HTTPLimits,
                                         as _: Head.Type) throws(HTTPParseError) -> HeadScan {
        let bytes = byteView(raw)
        let count = bytes.count
        let startLine = try skipLeadingEmptyLines(bytes)
        guard let startLine, startLine < count else { return .incomplete }

        // The start line: its content plus CRLF must fit in maxStartLineBytes + 2.
        let startLineSearchEnd = min(count, startLine + limits.maxStartLineBytes + 2)
        guard let startLineEnd = bytes.firstLineFeed(from: startLine, to: startLineSearchEnd) else {
            if startLineSearchEnd - startLine == limits.maxStartLineBytes + 2 { throw Head.startLineTooLong(limits) }
            if count >= limits.maxHeadBytes { throw .headTooLarge(limits) }
            return .incomplete
        }
        var contentEnd = startLineEnd
        if contentEnd > startLine && bytes[contentEnd - 1] == HTTPByte.cr { contentEnd -= 1 }
        if contentEnd - startLine > limits.maxStartLineBytes { throw Head.startLineTooLong(limits) }

        // Field lines until an empty one, never looking past maxHeadBytes (so a head found is
        // never too large, and what lies beyond the limit never changes the outcome).
        let searchEnd = min(count, limits.maxHeadBytes)
        var lineStart = startLineEnd + 1
        while lineStart < searchEnd {
            let first = bytes[lineStart]
            if first == HTTPByte.lf { return .complete(length: lineStart + 1) }
            if first == HTTPByte.cr && lineStart + 1 < searchEnd {
                guard bytes[lineStart + 1] == HTTPByte.lf else { throw .bareCR(in: .head) }
                return .complete(length: lineStart + 2)
            }
            guard let lineFeed = bytes.firstLineFeed(from: lineStart, to: searchEnd) else { break }
            lineStart = lineFeed + 1
        }
        // No head end within the first min(count, maxHeadBytes) bytes.
        if count >= limits.maxHeadBytes { throw .headTooLarge(limits) }
        return .incomplete
    }

    /// The index where the start line begins after up to `maxLeadingEmptyLines` empty lines, or nil
    /// when the bytes end before it can be told.
    static func skipLeadingEmptyLines(_ bytes: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Int? {
        var index = 0
        var emptyLines = 0
        while index < bytes.count {
            switch bytes[index] {
            case HTTPByte.lf:
                index += 1
            case HTTPByte.cr:
                guard index + 1 < bytes.count else { return nil }
                guard bytes[index + 1] == HTTPByte.lf else { throw .bareCR(in: .head) }
                index += 2
            default:
                return index
            }
            emptyLines += 1
            if emptyLines > maxLeadingEmptyLines { throw .malformed("too many empty lines before the start line") }
        }
        return index
    }
}

// MARK: - Conveniences for tests and tools

extension HTTPHeadParser {
    public static func scanRequestHead(_ bytes: [UInt8], limits: HTTPLimits = HTTPLimits()) throws(HTTPParseError) -> HeadScan {
        try withRawBytes(bytes) { raw throws(HTTPParseError) in try scanRequestHead(raw, limits: limits) }
    }

    public static func scanResponseHead(_ bytes: [UInt8], limits: HTTPLimits = HTTPLimits()) throws(HTTPParseError) -> HeadScan {
        try withRawBytes(bytes) { raw throws(HTTPParseError) in try scanResponseHead(raw, limits: limits) }
    }

    public static func readRequestHead(_ bytes: [UInt8],
                                       limits: HTTPLimits = HTTPLimits()) throws(HTTPParseError) -> (head: HTTPRequestHead, length: Int)? {
        try withRawBytes(bytes) { raw throws(HTTPParseError) in try readRequestHead(raw, limits: limits) }
    }

    public static func readResponseHead(_ bytes: [UInt8],
                                        limits: HTTPLimits = HTTPLimits()) throws(HTTPParseError) -> (head: HTTPResponseHead, length: Int)? {
        try withRawBytes(bytes) { raw throws(HTTPParseError) in try readResponseHead(raw, limits: limits) }
    }

    public static func parseRequestHead(_ bytes: [UInt8], limits: HTTPLimits = HTTPLimits()) throws(HTTPParseError) -> HTTPRequestHead {
        try withRawBytes(bytes) { raw throws(HTTPParseError) in try parseRequestHead(raw, limits: limits) }
    }

    public static func parseResponseHead(_ bytes: [UInt8], limits: HTTPLimits = HTTPLimits()) throws(HTTPParseError) -> HTTPResponseHead {
        try withRawBytes(bytes) { raw throws(HTTPParseError) in try parseResponseHead(raw, limits: limits) }
    }
}

/// `array.withUnsafeBytes` for a body with typed throws (the standard one only rethrows `any Error`).
func withRawBytes<Result>(_ array: [UInt8],
                          _ body: (UnsafeRawBufferPointer) throws(HTTPParseError) -> Result) throws(HTTPParseError) -> Result {
    let outcome = array.withUnsafeBytes { raw in
        Swift.Result { () throws(HTTPParseError) -> Result in try body(raw) }
    }
    return try outcome.get()
}
