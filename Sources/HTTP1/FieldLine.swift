/// Where a field line stands: in a message head or in a chunked body's trailer section.
enum FieldSection {
    case head
    case trailers

    var name: String { self == .head ? "head" : "trailer section" }
}

/// One validated field line, `field-name ":" OWS field-value OWS` then CRLF or LF (RFC 9112 §5),
/// as byte ranges.
///
/// Strict on what request smuggling feeds on: no obs-fold, no white space before the colon, no
/// control bytes (bare CR included) in the value. Each byte is looked at once: the line's end is
/// where its value stops being field content.
struct FieldLine {
    var name: Range<Int>
    /// The value without surrounding OWS (may be empty).
    var value: Range<Int>
    /// Where the next line starts.
    var next: Int

    /// The field line at `start` of `bytes`, or nil when its line end is not in `bytes` yet.
    /// An error is thrown as soon as the bytes seen prove the line bad. Inlined into the loops
    /// over a head's lines: it runs for every line of every head.
    @inline(__always)
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int,
                      in section: FieldSection) throws(HTTPParseError) -> FieldLine? {
        let count = bytes.count
        guard start < count else { return nil }
        if HTTPByte.isWhitespace(bytes[start]) { throw .malformed("obs-fold is not allowed") }
        let nameEnd = bytes.firstNonToken(from: start, to: count)
        guard nameEnd < count else { return nil }
        let stop = bytes[nameEnd]
        if stop != HTTPByte.colon {
            if HTTPByte.isWhitespace(stop) { throw .malformed("white space before colon") }
            if stop == HTTPByte.lf { throw .malformed("missing colon in field line") }
            if stop == HTTPByte.cr {
                guard nameEnd + 1 < count else { return nil }
                if bytes[nameEnd + 1] == HTTPByte.lf { throw .malformed("missing colon in field line") }
                throw .bareCR(in: section)
            }
            throw .malformed("invalid character in field name")
        }
        if nameEnd == start { throw .malformed("empty field name") }

        let valueStart = nameEnd + 1
        let valueStop = bytes.firstNonFieldContent(from: valueStart, to: count)
        guard valueStop < count else { return nil }
        let next: Int
        switch bytes[valueStop] {
        case HTTPByte.lf:
            next = valueStop + 1
        case HTTPByte.cr:
            guard valueStop + 1 < count else { return nil }
            guard bytes[valueStop + 1] == HTTPByte.lf else { throw .bareCR(in: section) }
            next = valueStop + 2
        default:
            throw .malformed("control character in field value")
        }
        return FieldLine(name: start..<nameEnd, value: bytes.trimmingWhitespace(valueStart..<valueStop), next: next)
    }

    /// At a line start: the length of the empty line there (2 for CRLF, 1 for LF), 0 when another
    /// line starts there, nil when the bytes end before that can be told.
    @inline(__always)
    static func emptyLine(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int,
                          in section: FieldSection) throws(HTTPParseError) -> Int? {
        guard start < bytes.count else { return nil }
        switch bytes[start] {
        case HTTPByte.lf:
            return 1
        case HTTPByte.cr:
            guard start + 1 < bytes.count else { return nil }
            guard bytes[start + 1] == HTTPByte.lf else { throw .bareCR(in: section) }
            return 2
        default:
            return 0
        }
    }
}

extension HTTPParseError {
    static func bareCR(in section: FieldSection) -> HTTPParseError {
        .malformed("bare CR in \(section.name)")
    }

    static func headTooLarge(_ limits: HTTPLimits) -> HTTPParseError {
        HTTPParseError(.headTooLarge, "head larger than \(limits.maxHeadBytes) bytes")
    }

    static func tooManyFields(_ limits: HTTPLimits) -> HTTPParseError {
        HTTPParseError(.headTooLarge, "more than \(limits.maxFieldCount) header fields")
    }
}
