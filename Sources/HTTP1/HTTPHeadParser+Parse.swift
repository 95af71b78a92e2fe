import Glibc

/// What differs between parsing a request head and a response head: the start line, what the
/// fields must satisfy, and how the head is made of its parts. Everything else is one path.
protocol ParsableHead {
    /// The start line's parts (ranges of the head's bytes, and values), and what the field checks note.
    associatedtype StartLine
    /// How messages name the start line.
    static var startLineName: String { get }
    /// What a start line longer than `limits.maxStartLineBytes` is.
    static func startLineTooLong(_ limits: HTTPLimits) -> HTTPParseError
    /// Parses the start line's content, `line` of `bytes`.
    static func parseStartLine(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) throws(HTTPParseError) -> StartLine
    /// Sees each field line before it is kept.
    static func inspect(_ field: FieldLine, of bytes: UnsafeBufferPointer<UInt8>, _ start: inout StartLine) throws(HTTPParseError)
    /// Checks what the field lines together must satisfy.
    static func finish(_ start: StartLine) throws(HTTPParseError)
    /// The head, its bytes copied into `storage`.
    init(_ start: StartLine, storage: [UInt8], fields: HTTPFields)
}

extension HTTPHeadParser {
    /// The request head at the front of `raw` (a connection's input) and its length, or nil until a
    /// whole one is there. A whole and valid head is parsed in one pass over its bytes; anything
    /// else is left to `scanRequestHead`, which tells more bytes to come from a head too large, and
    /// to `parseRequestHead` on the head it finds, which throws what is wrong with it.
    public static func readRequestHead(_ raw: UnsafeRawBufferPointer,
                                       limits: HTTPLimits) throws(HTTPParseError) -> (head: HTTPRequestHead, length: Int)? {
        var pool = HeadBufferPool()
        return try read(raw, limits: limits, reusing: &pool)
    }

    /// As `readRequestHead(_:limits:)`, the head's arrays taken from `pool` when it has spares.
    public static func readRequestHead(_ raw: UnsafeRawBufferPointer, limits: HTTPLimits,
                                       reusing pool: inout HeadBufferPool) throws(HTTPParseError) -> (head: HTTPRequestHead, length: Int)? {
        try read(raw, limits: limits, reusing: &pool)
    }

    /// Parses exactly the bytes of a complete request head, as found by `scanRequestHead`.
    public static func parseRequestHead(_ raw: UnsafeRawBufferPointer,
                                        limits: HTTPLimits) throws(HTTPParseError) -> HTTPRequestHead {
        try parse(raw, limits: limits)
    }

    /// The response head at the front of `raw` and its length, or nil until a whole one is there;
    /// as `readRequestHead`.
    public static func readResponseHead(_ raw: UnsafeRawBufferPointer,
                                        limits: HTTPLimits) throws(HTTPParseError) -> (head: HTTPResponseHead, length: Int)? {
        var pool = HeadBufferPool()
        return try read(raw, limits: limits, reusing: &pool)
    }

    /// As `readResponseHead(_:limits:)`, the head's arrays taken from `pool` when it has spares.
    public static func readResponseHead(_ raw: UnsafeRawBufferPointer, limits: HTTPLimits,
                                        reusing pool: inout HeadBufferPool) throws(HTTPParseError) -> (head: HTTPResponseHead, length: Int)? {
        try read(raw, limits: limits, reusing: &pool)
    }

    /// Parses exactly the bytes of a complete response head, as found by `scanResponseHead`.
    public static func parseResponseHead(_ raw: UnsafeRawBufferPointer,
                                         limits: HTTPLimits) throws(HTTPParseError) -> HTTPResponseHead {
        try parse(raw, limits: limits)
    }

    // MARK: - The one path

    static func read<Head: ParsableHead>(_ raw: UnsafeRawBufferPointer, limits: HTTPLimits,
                                         reusing pool: inout HeadBufferPool) throws(HTTPParseError) -> (head: Head, length: Int)? {
        if let found: (head: Head, length: Int) = try? head(byteView(raw), limits: limits, whole: false, pool: &pool),
           found.length <= limits.maxHeadBytes {
            return found
        }
        guard case .complete(let length) = try scan(raw, limits: limits, as: Head.self) else { return nil }
        return (try parse(UnsafeRawBufferPointer(rebasing: raw[..<length]), limits: limits), length)
    }

    static func parse<Head: ParsableHead>(_ raw: UnsafeRawBufferPointer, limits: HTTPLimits) throws(HTTPParseError) -> Head {
        let bytes = byteView(raw)
        if bytes.count > limits.maxHeadBytes { throw .headTooLarge(limits) }
        var pool = HeadBufferPool()
        return try head(bytes, limits: limits, whole: true, pool: &pool).head
    }

    /// The head at the front of `bytes` and its length; with `whole`, it must end where the bytes do.
    private static func head<Head: ParsableHead>(_ bytes: UnsafeBufferPointer<UInt8>, limits: HTTPLimits, whole: Bool,
                                                 pool: inout HeadBufferPool) throws(HTTPParseError) -> (head: Head, length: Int) {
        guard let (line, fieldsStart) = try startLine(bytes) else {
            throw .malformed("incomplete \(Head.startLineName)")
        }
        if line.count > limits.maxStartLineBytes { throw Head.startLineTooLong(limits) }
        var start = try Head.parseStartLine(bytes, line)
        let (lines, names, length) = try parseFields(bytes, from: fieldsStart, limits: limits, whole: whole,
                                                     into: pool.takeLines()) { field throws(HTTPParseError) in
            try Head.inspect(field, of: bytes, &start)
        }
        try Head.finish(start)
        let storage = pool.bytes(copying: UnsafeBufferPointer(rebasing: bytes[..<length]))
        return (Head(start, storage: storage, fields: HTTPFields(storage: storage, lines: lines, names: names)), length)
    }

    // MARK: - Parts

    /// The start line's content (without its line end) and where the next line starts, after
    /// skipping leading empty lines; nil when no line end is found.
    static func startLine(_ bytes: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> (Range<Int>, next: Int)? {
        guard let start = try skipLeadingEmptyLines(bytes),
              let lineFeed = bytes.firstLineFeed(from: start, to: bytes.count) else { return nil }
        // A CR before the LF belongs to the line end; any other CR is left for the checks to find.
        let end = lineFeed > start && bytes[lineFeed - 1] == HTTPByte.cr ? lineFeed - 1 : lineFeed
        return (start..<end, lineFeed + 1)
    }

    /// `HTTP/1.1` or `HTTP/1.0`; another `HTTP/<digit>.<digit>` is a version not supported (505).
    static func parseVersion(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
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
    static func parseFields(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, limits: HTTPLimits, whole: Bool,
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
    static func methodString(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
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

    static var incompleteHead: HTTPParseError { .malformed("head does not end with an empty line") }

    @inline(__always)
    static func isHost(_ bytes: UnsafeBufferPointer<UInt8>, _ name: Range<Int>) -> Bool {
        guard name.count == 4 else { return false }
        let start = name.lowerBound
        return HTTPByte.lowercased(bytes[start]) == UInt8(ascii: "h")
            && HTTPByte.lowercased(bytes[start + 1]) == UInt8(ascii: "o")
            && HTTPByte.lowercased(bytes[start + 2]) == UInt8(ascii: "s")
            && HTTPByte.lowercased(bytes[start + 3]) == UInt8(ascii: "t")
    }

    /// A start line's error: a bare CR anywhere in it is named as such, since that is the real fault.
    static func lineError(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>,
                                  _ reason: String) -> HTTPParseError {
        for position in line where bytes[position] == HTTPByte.cr { return .bareCR(in: .head) }
        return .malformed(reason)
    }
}
