import Glibc

extension HTTPHeadParser {
    /// The request head at the front of `raw` (a connection's input) and its length, or nil until a
    /// whole one is there. A whole and valid head is parsed in one pass over its bytes; anything
    /// else is left to `scanRequestHead`, which tells more bytes to come from a head too large, and
    /// to `parseRequestHead` on the head it finds, which throws what is wrong with it.
    public static func readRequestHead(_ raw: UnsafeRawBufferPointer,
                                       limits: HTTPLimits) throws(HTTPParseError) -> (head: HTTPRequestHead, length: Int)? {
        var pool = HeadBufferPool()
        return try readRequestHead(raw, limits: limits, reusing: &pool)
    }

    /// As `readRequestHead(_:limits:)`, the head's arrays taken from `pool` when it has spares.
    public static func readRequestHead(_ raw: UnsafeRawBufferPointer, limits: HTTPLimits,
                                       reusing pool: inout HeadBufferPool) throws(HTTPParseError) -> (head: HTTPRequestHead, length: Int)? {
        if let found = try? requestHead(byteView(raw), limits: limits, whole: false, pool: &pool), found.length <= limits.maxHeadBytes {
            return found
        }
        guard case .complete(let length) = try scanRequestHead(raw, limits: limits) else { return nil }
        return (try parseRequestHead(UnsafeRawBufferPointer(rebasing: raw[..<length]), limits: limits), length)
    }

    /// Parses exactly the bytes of a complete request head, as found by `scanRequestHead`.
    public static func parseRequestHead(_ raw: UnsafeRawBufferPointer,
                                        limits: HTTPLimits) throws(HTTPParseError) -> HTTPRequestHead {
        let bytes = byteView(raw)
        if bytes.count > limits.maxHeadBytes { throw .headTooLarge(limits) }
        var pool = HeadBufferPool()
        return try requestHead(bytes, limits: limits, whole: true, pool: &pool).head
    }

    /// The request head at the front of `bytes` and its length; with `whole`, it must end where
    /// the bytes do.
    private static func requestHead(_ bytes: UnsafeBufferPointer<UInt8>, limits: HTTPLimits, whole: Bool,
                                    pool: inout HeadBufferPool) throws(HTTPParseError) -> (head: HTTPRequestHead, length: Int) {
        guard let (line, fieldsStart) = try startLine(bytes) else {
            throw .malformed("incomplete request line")
        }
        if line.count > limits.maxStartLineBytes {
            throw HTTPParseError(.startLineTooLong, "request line longer than \(limits.maxStartLineBytes) bytes")
        }

        // method SP request-target SP HTTP-version
        var index = bytes.firstNonToken(from: line.lowerBound, to: line.upperBound)
        guard index > line.lowerBound, index < line.upperBound, bytes[index] == HTTPByte.space else {
            throw lineError(bytes, line, "invalid method")
        }
        let method = line.lowerBound..<index
        index += 1
        let targetStart = index
        index = bytes.firstNonTargetByte(from: index, to: line.upperBound)
        guard index > targetStart else { throw lineError(bytes, line, "invalid request-target") }
        guard index < line.upperBound, bytes[index] == HTTPByte.space else {
            throw lineError(bytes, line, index == line.upperBound ? "missing HTTP version" : "invalid request-target")
        }
        let target = targetStart..<index
        let version = try parseVersion(bytes, index + 1..<line.upperBound, line)

        var hosts = 0
        let (lines, names, length) = try parseFields(bytes, from: fieldsStart, limits: limits, whole: whole, into: pool.takeLines()) { field throws(HTTPParseError) in
            guard isHost(bytes, field.name) else { return }
            hosts += 1
            for position in field.value where !HTTPByte.isHostByte(bytes[position]) {
                throw .malformed("invalid Host header")
            }
        }
        if hosts > 1 { throw .malformed("more than one Host header") }
        if hosts == 0 && version == .http11 { throw .malformed("missing Host header") }
        let storage = pool.bytes(copying: UnsafeBufferPointer(rebasing: bytes[..<length]))
        return (HTTPRequestHead(method: methodString(bytes, method), targetBytes: storage[target], version: version,
                                fields: HTTPFields(storage: storage, lines: lines, names: names)), length)
    }

    /// The response head at the front of `raw` and its length, or nil until a whole one is there;
    /// as `readRequestHead`.
    public static func readResponseHead(_ raw: UnsafeRawBufferPointer,
                                        limits: HTTPLimits) throws(HTTPParseError) -> (head: HTTPResponseHead, length: Int)? {
        var pool = HeadBufferPool()
        return try readResponseHead(raw, limits: limits, reusing: &pool)
    }

    /// As `readResponseHead(_:limits:)`, the head's arrays taken from `pool` when it has spares.
    public static func readResponseHead(_ raw: UnsafeRawBufferPointer, limits: HTTPLimits,
                                        reusing pool: inout HeadBufferPool) throws(HTTPParseError) -> (head: HTTPResponseHead, length: Int)? {
        if let found = try? responseHead(byteView(raw), limits: limits, whole: false, pool: &pool), found.length <= limits.maxHeadBytes {
            return found
        }
        guard case .complete(let length) = try scanResponseHead(raw, limits: limits) else { return nil }
        return (try parseResponseHead(UnsafeRawBufferPointer(rebasing: raw[..<length]), limits: limits), length)
    }

    /// Parses exactly the bytes of a complete response head, as found by `scanResponseHead`.
    public static func parseResponseHead(_ raw: UnsafeRawBufferPointer,
                                         limits: HTTPLimits) throws(HTTPParseError) -> HTTPResponseHead {
        let bytes = byteView(raw)
        if bytes.count > limits.maxHeadBytes { throw .headTooLarge(limits) }
        var pool = HeadBufferPool()
        return try responseHead(bytes, limits: limits, whole: true, pool: &pool).head
    }

    /// The response head at the front of `bytes` and its length; with `whole`, it must end where
    /// the bytes do.
    private static func responseHead(_ bytes: UnsafeBufferPointer<UInt8>, limits: HTTPLimits, whole: Bool,
                                     pool: inout HeadBufferPool) throws(HTTPParseError) -> (head: HTTPResponseHead, length: Int) {
        guard let (line, fieldsStart) = try startLine(bytes) else {
            throw .malformed("incomplete status line")
        }
        if line.count > limits.maxStartLineBytes {
            throw HTTPParseError(.headTooLarge, "status line longer than \(limits.maxStartLineBytes) bytes")
        }

        // HTTP-version SP 3DIGIT [ SP reason-phrase ]; a missing SP before an empty reason is accepted.
        let start = line.lowerBound
        guard line.count >= 12 else { throw lineError(bytes, line, "invalid status line") }
        let version = try parseVersion(bytes, start..<start + 8, line)
        guard bytes[start + 8] == HTTPByte.space else { throw lineError(bytes, line, "invalid status line") }
        var status = 0
        for position in start + 9..<start + 12 {
            guard HTTPByte.isDigit(bytes[position]) else { throw lineError(bytes, line, "invalid status code") }
            status = status * 10 + Int(bytes[position] &- 0x30)
        }
        guard status >= 100 else { throw .malformed("invalid status code") }
        var reason = line.upperBound..<line.upperBound
        if line.count > 12 {
            guard bytes[start + 12] == HTTPByte.space else { throw lineError(bytes, line, "invalid status line") }
            reason = start + 13..<line.upperBound
            let stop = bytes.firstNonFieldContent(from: reason.lowerBound, to: reason.upperBound)
            if stop < reason.upperBound {
                if bytes[stop] == HTTPByte.cr { throw .bareCR(in: .head) }
                throw .malformed("control character in reason phrase")
            }
        }
        let (lines, names, length) = try parseFields(bytes, from: fieldsStart, limits: limits, whole: whole,
                                                     into: pool.takeLines()) { _ throws(HTTPParseError) in }
        let storage = pool.bytes(copying: UnsafeBufferPointer(rebasing: bytes[..<length]))
        return (HTTPResponseHead(version: version, status: status, reasonBytes: storage[reason],
                                 fields: HTTPFields(storage: storage, lines: lines, names: names)), length)
    }

    // MARK: - Parts

    /// The start line's content (without its line end) and where the next line starts, after
    /// skipping leading empty lines; nil when no line end is found.
    private static func startLine(_ bytes: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> (Range<Int>, next: Int)? {
        guard let start = try skipLeadingEmptyLines(bytes),
              let lineFeed = bytes.firstLineFeed(from: start, to: bytes.count) else { return nil }
        // A CR before the LF belongs to the line end; any other CR is left for the checks to find.
        let end = lineFeed > start && bytes[lineFeed - 1] == HTTPByte.cr ? lineFeed - 1 : lineFeed
        return (start..<end, lineFeed + 1)
    }

    /// `HTTP/1.1` or `HTTP/1.0`; another `HTTP/<digit>.<digit>` is a version not supported (505).
    private static func parseVersion(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
                                     _ line: Range<Int>) throws(HTTPParseError) -> HTTPVersion {
        let start = range.lowerBound
        guard range.count == 8,
              bytes[start] == UInt8(ascii: "H"), bytes[start + 1] == UInt8(ascii: "T"),
              bytes[start + 2] == UInt8(ascii: "T"), bytes[start + 3] == UInt8(ascii: "P"),
              bytes[start + 4] == UInt8(ascii: "/"), HTTPByte.isDigit(bytes[start + 5]),
              bytes[start + 6] == UInt8(ascii: "."), HTTPByte.isDigit(bytes[start + 7])
        else { throw lineError(bytes, line, "invalid HTTP version") }
        switch (bytes[start + 5], bytes[start + 7]) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .http11
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .http10
        default: throw HTTPParseError(.versionNotSupported, "HTTP version not supported")
        }
    }

    /// The field lines from `start`, up to and including the empty line that ends them (and, with
    /// `whole`, the bytes), as ranges of `bytes` appended to `lines` (empty), what their names say,
    /// and where the head ends; `inspect` sees each line before it is kept. The head's bytes are
    /// copied once its length is known.
    private static func parseFields(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, limits: HTTPLimits, whole: Bool,
                                    into lines: consuming [HTTPFields.Line],
                                    inspect: (FieldLine) throws(HTTPParseError) -> Void)
        throws(HTTPParseError) -> (lines: [HTTPFields.Line], names: HTTPFields.NameSummary, end: Int) {
        // Lines are kept as 32-bit ranges (`range32`): no head comes near 2 GiB.
        if bytes.count > Int(Int32.max) { throw .headTooLarge(limits) }
        var names = HTTPFields.NameSummary()
        var position = start
        while true {
            guard let emptyLine = try FieldLine.emptyLine(bytes, at: position, in: .head) else { throw incompleteHead }
            if emptyLine > 0 {
                position += emptyLine
                break
            }
            guard let field = try FieldLine.parse(bytes, at: position, in: .head) else { throw incompleteHead }
            if lines.count == limits.maxFieldCount { throw .tooManyFields(limits) }
            try inspect(field)
            let name = KnownFieldName(UnsafeBufferPointer(rebasing: bytes[field.name]))
            names.note(name, value: UnsafeBufferPointer(rebasing: bytes[field.value]))
            // `name: value` CRLF exactly: one space after the colon, CRLF right after the value.
            let isCanonical = field.value.lowerBound == field.name.upperBound + 2 && bytes[field.name.upperBound + 1] == HTTPByte.space
                && field.next == field.value.upperBound + 2 && bytes[field.value.upperBound] == HTTPByte.cr
            lines.append(HTTPFields.Line(name: Self.range32(field.name), value: Self.range32(field.value), known: name,
                                         isCanonical: isCanonical))
            position = field.next
        }
        if whole && position != bytes.count { throw .malformed("unexpected bytes after the head") }
        return (lines, names, position)
    }

    /// The method as a String: the common ones are literals (decoding and checking the bytes
    /// would cost more than the rest of the request line).
    @inline(__always)
    private static func methodString(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        func spells(_ method: StaticString) -> Bool {
            memcmp(method.utf8Start, bytes.baseAddress.unsafelyUnwrapped + range.lowerBound, range.count) == 0
        }
        switch range.count {
        case 3 where spells("GET"): return "GET"
        case 3 where spells("PUT"): return "PUT"
        case 4 where spells("POST"): return "POST"
        case 4 where spells("HEAD"): return "HEAD"
        case 5 where spells("PATCH"): return "PATCH"
        case 6 where spells("DELETE"): return "DELETE"
        case 7 where spells("OPTIONS"): return "OPTIONS"
        default: return bytes.string(range)
        }
    }

    /// `range` as 32-bit bounds, unchecked: callers pass ordered ranges of at most 2 GiB of bytes.
    @inline(__always)
    private static func range32(_ range: Range<Int>) -> Range<Int32> {
        Range(uncheckedBounds: (Int32(truncatingIfNeeded: range.lowerBound), Int32(truncatingIfNeeded: range.upperBound)))
    }

    private static var incompleteHead: HTTPParseError { .malformed("head does not end with an empty line") }

    @inline(__always)
    private static func isHost(_ bytes: UnsafeBufferPointer<UInt8>, _ name: Range<Int>) -> Bool {
        guard name.count == 4 else { return false }
        let start = name.lowerBound
        return HTTPByte.lowercased(bytes[start]) == UInt8(ascii: "h")
            && HTTPByte.lowercased(bytes[start + 1]) == UInt8(ascii: "o")
            && HTTPByte.lowercased(bytes[start + 2]) == UInt8(ascii: "s")
            && HTTPByte.lowercased(bytes[start + 3]) == UInt8(ascii: "t")
    }

    /// A start line's error: a bare CR anywhere in it is named as such, since that is the real fault.
    private static func lineError(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>,
                                  _ reason: String) -> HTTPParseError {
        for position in line where bytes[position] == HTTPByte.cr { return .bareCR(in: .head) }
        return .malformed(reason)
    }
}
