/// Incremental, validating decoder for a chunked body (RFC 9112 §7.1). Never copies data: it tells
/// the caller how many bytes at the front of its input are framing (to drain) and how many are data
/// (to move on).
///
/// Each call looks at the input from its front and restarts any line it has not seen whole, so
/// the caller may pass a prefix of what it holds: a chunk-size line needs at most
/// `maxChunkLineBytes + 2` bytes in view, a trailer section at most `maxHeadBytes + 1`.
public struct ChunkedDecoder: Sendable {
    public enum Step: Sendable, Equatable {
        /// Not enough bytes to decide; call again when more arrive.
        case needMore
        /// This many bytes at the front are valid framing (a chunk-size line, the CRLF after a
        /// chunk's data, or both); the caller drains them.
        case framing(Int)
        /// The next bytes are chunk data, this many remain in the current chunk; the caller moves up
        /// to that many and calls `consumeData`.
        case data(UInt64)
        /// The last chunk ("0" size line) was already reported as framing; the trailer section
        /// (trailer fields and the final empty line) is this many bytes; the body is complete.
        case done(trailers: Int)
    }

    // Events: next, consumeData (in .data only).
    private enum State: Sendable, Equatable {
        /// Expecting a chunk-size line → .data, or .trailers after the last chunk.
        case sizeLine
        /// Inside a chunk's data with this many bytes (> 0) left → .dataEnd.
        case data(UInt64)
        /// Expecting the CRLF after a chunk's data → .sizeLine (or further, when the next size line
        /// is already in view).
        case dataEnd
        /// After the last chunk, expecting the trailer section → .done.
        case trailers
        case done
    }

    private var state = State.sizeLine
    private let limits: HTTPLimits

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// True once the trailer section was reported.
    public var isDone: Bool { state == .done }

    /// The next step, given the bytes at the front of the input.
    public mutating func next(_ raw: UnsafeRawBufferPointer) throws(HTTPParseError) -> Step {
        let bytes = byteView(raw)
        switch state {
        case .sizeLine:
            return try sizeLine(bytes, from: 0)
        case .data(let remaining):
            return .data(remaining)
        case .dataEnd:
            guard let first = bytes.first else { return .needMore }
            var length = 1
            if first == HTTPByte.cr {
                guard bytes.count > 1 else { return .needMore }
                guard bytes[1] == HTTPByte.lf else { throw .malformed("chunk data not followed by CRLF") }
                length = 2
            } else if first != HTTPByte.lf {
                throw .malformed("chunk data not followed by CRLF")
            }
            // Report the next size line with it when it is already here: one drain instead of two.
            state = .sizeLine
            let step = try sizeLine(bytes, from: length)
            if case .framing(let lineLength) = step { return .framing(length + lineLength) }
            return .framing(length)
        case .trailers:
            guard let length = try Self.trailerSection(bytes, limits: limits) else { return .needMore }
            state = .done
            return .done(trailers: length)
        case .done:
            return .done(trailers: 0)
        }
    }

    /// Reports that `count` bytes of the current chunk's data were moved on.
    public mutating func consumeData(_ count: Int) {
        guard case .data(let remaining) = state else {
            precondition(count == 0, "consumeData outside chunk data")
            return
        }
        precondition(count >= 0 && UInt64(count) <= remaining, "consumed more than the chunk holds")
        let left = remaining - UInt64(count)
        state = left == 0 ? .dataEnd : .data(left)
    }

    /// Parses the size line at `start`, moving to .data or .trailers when it is whole.
    private mutating func sizeLine(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) throws(HTTPParseError) -> Step {
        guard let line = try ChunkSizeLine.parse(bytes, from: start, maxLineBytes: limits.maxChunkLineBytes) else {
            return .needMore
        }
        state = line.size == 0 ? .trailers : .data(line.size)
        return .framing(line.length)
    }

    /// The length of the trailer section at the front of `bytes` (fields validated as in a head,
    /// then an empty line), or nil when it is not all there yet. Only the first `maxHeadBytes` are
    /// looked at, so the outcome does not depend on how much more is in view.
    private static func trailerSection(_ all: UnsafeBufferPointer<UInt8>,
                                       limits: HTTPLimits) throws(HTTPParseError) -> Int? {
        let bytes = UnsafeBufferPointer(rebasing: all.prefix(limits.maxHeadBytes))
        var position = 0
        var fieldCount = 0
        while let emptyLine = try FieldLine.emptyLine(bytes, at: position, in: .trailers) {
            if emptyLine > 0 { return position + emptyLine }
            guard let field = try FieldLine.parse(bytes, at: position, in: .trailers) else { break }
            fieldCount += 1
            if fieldCount > limits.maxFieldCount { throw .tooManyFields(limits) }
            position = field.next
        }
        if all.count > limits.maxHeadBytes { throw .headTooLarge(limits) }
        return nil
    }
}

/// A chunk-size line: `chunk-size [ chunk-ext ] CRLF` (RFC 9112 §7.1.1), validated byte by byte so
/// garbage fails at once instead of after `maxChunkLineBytes`.
///
///     chunk-ext     = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
///     chunk-ext-val = token / quoted-string
struct ChunkSizeLine {
    /// The line's bytes, line end included.
    var length: Int
    var size: UInt64

    /// Hex digits in a chunk size: 16 fill a UInt64.
    static let maxSizeDigits = 16

    private enum Position {
        case size, beforeSemicolon, beforeName, name, afterName, beforeValue, tokenValue
        case quotedValue, quotedPair, afterQuotedValue, lineEnd
    }

    /// The size line starting at `start`, or nil when its end is not in `bytes` yet.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int,
                      maxLineBytes: Int) throws(HTTPParseError) -> ChunkSizeLine? {
        var size: UInt64 = 0
        var digits = 0
        var position = Position.size
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if position == .lineEnd {
                guard byte == HTTPByte.lf else { throw .malformed("bare CR in chunk size line") }
                return ChunkSizeLine(length: index - start, size: size)
            }
            if byte == HTTPByte.lf || (byte == HTTPByte.cr && position != .quotedValue && position != .quotedPair) {
                switch position {
                case .size where digits > 0, .name, .tokenValue, .afterQuotedValue: break
                case .size: throw .malformed("invalid chunk size")
                default: throw .malformed("invalid chunk extension")
                }
                if byte == HTTPByte.lf { return ChunkSizeLine(length: index - start, size: size) }
                position = .lineEnd
                continue
            }
            if index - start > maxLineBytes { throw .malformed("chunk size line longer than \(maxLineBytes) bytes") }
            switch position {
            case .size:
                if let value = HTTPByte.hexValue(byte) {
                    digits += 1
                    if digits > maxSizeDigits { throw .malformed("chunk size too large") }
                    size = size << 4 | UInt64(value)
                } else if digits == 0 {
                    throw .malformed("invalid chunk size")
                } else if byte == HTTPByte.semicolon {
                    position = .beforeName
                } else if HTTPByte.isWhitespace(byte) {
                    position = .beforeSemicolon
                } else {
                    throw .malformed("invalid chunk size")
                }
            case .beforeSemicolon:
                if byte == HTTPByte.semicolon { position = .beforeName }
                else if !HTTPByte.isWhitespace(byte) { throw .malformed("invalid chunk extension") }
            case .beforeName:
                if HTTPByte.isToken(byte) { position = .name }
                else if !HTTPByte.isWhitespace(byte) { throw .malformed("invalid chunk extension") }
            case .name:
                if HTTPByte.isToken(byte) { break }
                if byte == HTTPByte.equals { position = .beforeValue }
                else if byte == HTTPByte.semicolon { position = .beforeName }
                else if HTTPByte.isWhitespace(byte) { position = .afterName }
                else { throw .malformed("invalid chunk extension") }
            case .afterName:
                if byte == HTTPByte.equals { position = .beforeValue }
                else if byte == HTTPByte.semicolon { position = .beforeName }
                else if !HTTPByte.isWhitespace(byte) { throw .malformed("invalid chunk extension") }
            case .beforeValue:
                if HTTPByte.isToken(byte) { position = .tokenValue }
                else if byte == HTTPByte.quote { position = .quotedValue }
                else if !HTTPByte.isWhitespace(byte) { throw .malformed("invalid chunk extension") }
            case .tokenValue:
                if HTTPByte.isToken(byte) { break }
                if byte == HTTPByte.semicolon { position = .beforeName }
                else if HTTPByte.isWhitespace(byte) { position = .beforeSemicolon }
                else { throw .malformed("invalid chunk extension") }
            case .quotedValue:
                // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
                if byte == HTTPByte.quote { position = .afterQuotedValue }
                else if byte == HTTPByte.backslash { position = .quotedPair }
                else if !HTTPByte.isFieldContent(byte) {
                    throw byte == HTTPByte.cr ? .malformed("bare CR in chunk size line") : .malformed("invalid chunk extension")
                }
            case .quotedPair:
                if HTTPByte.isFieldContent(byte) { position = .quotedValue }
                else {
                    throw byte == HTTPByte.cr ? .malformed("bare CR in chunk size line") : .malformed("invalid chunk extension")
                }
            case .afterQuotedValue:
                if byte == HTTPByte.semicolon { position = .beforeName }
                else if HTTPByte.isWhitespace(byte) { position = .beforeSemicolon }
                else { throw .malformed("invalid chunk extension") }
            case .lineEnd:
                break
            }
        }
        return nil
    }
}
