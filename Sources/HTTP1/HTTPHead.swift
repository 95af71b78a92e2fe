/// The HTTP/1.1 message heads Herald reads and writes, kept byte for byte.
///
/// Names are tokens (ASCII, validated by the parser) and kept with the case they were sent in;
/// values and the request-target are raw bytes, so a proxy can forward what it received exactly,
/// including obs-text that is not UTF-8.

/// The protocol version of a message: only HTTP/1.0 and HTTP/1.1 are spoken.
public enum HTTPVersion: Sendable, Equatable {
    case http10
    case http11

    /// "HTTP/1.0" or "HTTP/1.1".
    public var text: String { self == .http10 ? "HTTP/1.0" : "HTTP/1.1" }
}

/// One header field: the name as sent, the value with surrounding white space trimmed.
///
/// A field's name and value are ranges of one byte array. A parsed field's is one copy of its
/// whole head, shared by every field of that head: parsing a head costs two allocations (that copy
/// and the field list) whatever its number of fields, copying a field one reference count, and
/// forwarding it copies its bytes once, into the head sent on. A field made from a name and a value
/// holds the name then the value.
public struct HTTPField: Sendable, Equatable {
    private var storage: [UInt8]
    /// Where the name and the value lie in `storage` (a head is far below 2 GiB).
    private var nameRange: Range<Int32>
    private var valueRange: Range<Int32>
    /// The name, when it is one Herald acts on.
    public private(set) var known: KnownFieldName

    public init(name: String, bytes: ArraySlice<UInt8>) {
        self.init(nameBytes: Array(name.utf8)[...], known: KnownFieldName(name), bytes: bytes)
    }

    /// A field holding copies of `nameBytes` and `bytes`.
    private init(nameBytes: ArraySlice<UInt8>, known: KnownFieldName, bytes: ArraySlice<UInt8>) {
        storage = Array(nameBytes) + bytes
        nameRange = 0..<Int32(nameBytes.count)
        valueRange = Int32(nameBytes.count)..<Int32(storage.count)
        self.known = known
    }

    /// A parsed field, whose name and value are `name` and `value` of its head's bytes: those come
    /// with `keep(in:)` once the head is whole.
    init(name: Range<Int>, known: KnownFieldName, value: Range<Int>) {
        storage = []
        nameRange = Int32(name.lowerBound)..<Int32(name.upperBound)
        valueRange = Int32(value.lowerBound)..<Int32(value.upperBound)
        self.known = known
    }

    /// Gives a parsed field its head's bytes.
    mutating func keep(in headBytes: [UInt8]) {
        storage = headBytes
    }

    public init(name: String, value: [UInt8]) {
        self.init(name: name, bytes: value[...])
    }

    public init(name: String, value: String) {
        self.init(name: name, value: Array(value.utf8))
    }

    /// The name's bytes as sent (a parsed name is a token, so ASCII).
    public var nameBytes: ArraySlice<UInt8> { storage[Int(nameRange.lowerBound)..<Int(nameRange.upperBound)] }

    /// The value's bytes (a slice: index from `startIndex`, or go through `withUnsafeBufferPointer`).
    public var bytes: ArraySlice<UInt8> {
        get { storage[Int(valueRange.lowerBound)..<Int(valueRange.upperBound)] }
        set { self = HTTPField(nameBytes: nameBytes, known: known, bytes: newValue) }
    }

    /// The name as sent, as a String.
    public var name: String {
        get { String(decoding: nameBytes, as: UTF8.self) }
        set { self = HTTPField(name: newValue, bytes: bytes) }
    }

    /// The value as an array of its own (a copy).
    public var value: [UInt8] {
        get { Array(bytes) }
        set { bytes = newValue[...] }
    }

    /// How many bytes the name and the value have together.
    var byteCount: Int { nameRange.count + valueRange.count }

    /// Calls `body` with the name's and the value's bytes, without making slices of them.
    func withBytes<Result>(_ body: (_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        storage.withUnsafeBufferPointer { all in
            body(UnsafeBufferPointer(rebasing: all[Int(nameRange.lowerBound)..<Int(nameRange.upperBound)]),
                 UnsafeBufferPointer(rebasing: all[Int(valueRange.lowerBound)..<Int(valueRange.upperBound)]))
        }
    }

    /// The value decoded as UTF-8 (invalid bytes replaced); for logging and comparisons.
    public var valueString: String { String(decoding: bytes, as: UTF8.self) }

    /// True when the name matches `lowercasedName` ignoring ASCII case.
    public func hasName(_ lowercasedName: String) -> Bool {
        var lower = lowercasedName
        return lower.withUTF8 { expected in
            withBytes { name, _ in
                guard name.count == expected.count else { return false }
                for index in name.indices where HTTPByte.lowercased(name[index]) != expected[index] { return false }
                return true
            }
        }
    }

    /// True when the name is ASCII, as every parsed name is (a token); then `hasName` agrees
    /// with comparing `name.lowercased()`.
    public var nameIsASCII: Bool { !nameBytes.contains { $0 >= 0x80 } }

    /// Fields are equal when their names, values and known names are: where their bytes are kept
    /// does not count.
    public static func == (lhs: HTTPField, rhs: HTTPField) -> Bool {
        lhs.known == rhs.known && lhs.nameBytes == rhs.nameBytes && lhs.bytes == rhs.bytes
    }
}

/// Header fields in the order they were received; lookups ignore ASCII case.
public struct HTTPFields: Sendable, Equatable, Sequence {
    public var fields: [HTTPField]

    public init(_ fields: [HTTPField] = []) { self.fields = fields }

    public func makeIterator() -> IndexingIterator<[HTTPField]> { fields.makeIterator() }

    public var count: Int { fields.count }

    /// The first value of the field named `name` (any case), if present.
    public func first(_ name: String) -> [UInt8]? {
        firstBytes(name).map(Array.init)
    }

    /// The first value of `name`, sharing the head's storage (no copy).
    public func firstBytes(_ name: String) -> ArraySlice<UInt8>? {
        let lower = lowercasedName(name)
        for index in fields.indices where fields[index].hasName(lower) { return fields[index].bytes }
        return nil
    }

    /// The first value of the field `name`, sharing the head's storage (no copy).
    public func firstBytes(_ name: KnownFieldName) -> ArraySlice<UInt8>? {
        for index in fields.indices where fields[index].known == name { return fields[index].bytes }
        return nil
    }

    public func contains(_ name: KnownFieldName) -> Bool {
        for index in fields.indices where fields[index].known == name { return true }
        return false
    }

    /// The first value of `name` as a string.
    public func firstString(_ name: String) -> String? {
        firstBytes(name).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Every value of the field named `name`, in order.
    public func values(_ name: String) -> [[UInt8]] {
        let lower = lowercasedName(name)
        var found: [[UInt8]] = []
        for index in fields.indices where fields[index].hasName(lower) { found.append(fields[index].value) }
        return found
    }

    /// The comma-separated elements of every `name` field, trimmed and lowercased
    /// (for list headers such as Connection and Transfer-Encoding).
    public func tokens(_ name: String) -> [String] {
        Self.tokens(values(name))
    }

    /// The comma-separated elements of `values`, trimmed, lowercased and non-empty.
    static func tokens(_ values: [[UInt8]]) -> [String] {
        values.flatMap { value in
            String(decoding: value, as: UTF8.self)
                .split(separator: ",")
                .map { $0.trimmingASCIIWhitespace().lowercased() }
                .filter { !$0.isEmpty }
        }
    }

    public func contains(_ name: String) -> Bool {
        let lower = lowercasedName(name)
        for index in fields.indices where fields[index].hasName(lower) { return true }
        return false
    }

    public mutating func append(_ name: String, _ value: String) {
        fields.append(HTTPField(name: name, value: value))
    }

    public mutating func append(_ name: String, _ value: [UInt8]) {
        fields.append(HTTPField(name: name, value: value))
    }

    /// Removes every field named `name` (any case).
    public mutating func remove(_ name: String) {
        let lower = lowercasedName(name)
        // Most heads lack the field: removeAll would copy a shared array for nothing.
        guard fields.contains(where: { $0.hasName(lower) }) else { return }
        fields.removeAll { $0.hasName(lower) }
    }

    public mutating func removeAll(where predicate: (HTTPField) -> Bool) {
        fields.removeAll(where: predicate)
    }
}

/// A request head: `method SP request-target SP HTTP-version CRLF` then fields.
public struct HTTPRequestHead: Sendable, Equatable {
    /// The method token exactly as sent (any token, not only the common ones).
    public var method: String
    /// The request-target byte for byte (origin-form, absolute-form, authority-form or `*`); a
    /// parsed head's shares the head's storage, as its field values do.
    public var targetBytes: ArraySlice<UInt8>
    /// The request-target as an array of its own (a copy).
    public var target: [UInt8] {
        get { Array(targetBytes) }
        set { targetBytes = newValue[...] }
    }
    public var version: HTTPVersion
    public var fields: HTTPFields

    public init(method: String, target: [UInt8], version: HTTPVersion, fields: HTTPFields) {
        self.init(method: method, targetBytes: target[...], version: version, fields: fields)
    }

    public init(method: String, targetBytes: ArraySlice<UInt8>, version: HTTPVersion, fields: HTTPFields) {
        self.method = method
        self.targetBytes = targetBytes
        self.version = version
        self.fields = fields
    }

    /// The target as a string, for routing and logs.
    public var targetString: String { String(decoding: targetBytes, as: UTF8.self) }
}

/// A response head: `HTTP-version SP status SP reason CRLF` then fields.
public struct HTTPResponseHead: Sendable, Equatable {
    public var version: HTTPVersion
    public var status: Int
    /// The reason phrase as sent (may be empty); a parsed head's shares the head's storage.
    public var reasonBytes: ArraySlice<UInt8>
    /// The reason phrase as an array of its own (a copy).
    public var reason: [UInt8] {
        get { Array(reasonBytes) }
        set { reasonBytes = newValue[...] }
    }
    public var fields: HTTPFields

    public init(version: HTTPVersion, status: Int, reason: [UInt8], fields: HTTPFields) {
        self.init(version: version, status: status, reasonBytes: reason[...], fields: fields)
    }

    public init(version: HTTPVersion, status: Int, reasonBytes: ArraySlice<UInt8>, fields: HTTPFields) {
        self.version = version
        self.status = status
        self.reasonBytes = reasonBytes
        self.fields = fields
    }

    public init(version: HTTPVersion = .http11, status: Int, reason: String, fields: HTTPFields = HTTPFields()) {
        self.init(version: version, status: status, reason: Array(reason.utf8), fields: fields)
    }
}

/// How a request's body is delimited (RFC 9112 §6.3 for requests).
public enum RequestBodyFraming: Sendable, Equatable {
    case none
    case contentLength(UInt64)
    case chunked
}

/// How a response's body is delimited (RFC 9112 §6.3 for responses).
public enum ResponseBodyFraming: Sendable, Equatable {
    case none
    case contentLength(UInt64)
    case chunked
    /// Read until the upstream closes the connection.
    case untilClose
}

/// Bounds on what the parser accepts; each maps to a status when exceeded.
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request line or status line, in bytes → 414 for requests. Default 8 KiB: nginx's
    /// large_client_header_buffers size, enough for any URL a browser sends.
    public var maxStartLineBytes: Int
    /// Longest head (start line, fields and the blank line) in bytes → 431. Default 64 KiB.
    public var maxHeadBytes: Int
    /// Most header fields in one head → 431. Default 200.
    public var maxFieldCount: Int
    /// Longest chunk-size line (with extensions) in bytes → 400. Default 1 KiB.
    public var maxChunkLineBytes: Int

    public init(maxStartLineBytes: Int = 8 * 1024, maxHeadBytes: Int = 64 * 1024,
                maxFieldCount: Int = 200, maxChunkLineBytes: Int = 1024) {
        self.maxStartLineBytes = maxStartLineBytes
        self.maxHeadBytes = maxHeadBytes
        self.maxFieldCount = maxFieldCount
        self.maxChunkLineBytes = maxChunkLineBytes
    }
}

/// Why a message could not be accepted; `status` is what a server answers with.
public struct HTTPParseError: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Malformed or ambiguous framing → 400.
        case malformed
        /// Start line longer than `maxStartLineBytes` → 414.
        case startLineTooLong
        /// Head longer than `maxHeadBytes` or too many fields → 431.
        case headTooLarge
        /// Body larger than allowed → 413.
        case bodyTooLarge
        /// An HTTP version other than 1.0 and 1.1 → 505.
        case versionNotSupported
        /// A request transfer coding Herald cannot decode (anything but `chunked` alone) → 501.
        case notImplemented
    }

    public var kind: Kind
    /// A short, human-readable reason, safe to send to a client.
    public var reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public static func malformed(_ reason: String) -> HTTPParseError { HTTPParseError(.malformed, reason) }

    /// The status a server answers with.
    public var status: Int {
        switch kind {
        case .malformed: 400
        case .startLineTooLong: 414
        case .headTooLarge: 431
        case .bodyTooLarge: 413
        case .versionNotSupported: 505
        case .notImplemented: 501
        }
    }
}

// MARK: - ASCII helpers

@inline(__always)
func isASCII(_ string: String) -> Bool {
    var string = string
    return string.withUTF8 { bytes in
        for byte in bytes where byte >= 0x80 { return false }
        return true
    }
}

/// `name.lowercased()`, without building a String when `name` is ASCII with no upper case letter
/// (every name Herald looks up), since lower-casing leaves those unchanged.
@inline(__always)
func lowercasedName(_ name: String) -> String {
    var copy = name
    let unchanged = copy.withUTF8 { bytes in
        for byte in bytes where byte >= 0x80 || byte &- 0x41 < 26 { return false }
        return true
    }
    return unchanged ? name : name.lowercased()
}

extension StringProtocol {
    /// The string without leading and trailing spaces and tabs.
    public func trimmingASCIIWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }

    /// True for a non-empty token (RFC 9110 §5.6.2): what a method or a field name is.
    public var isHTTPToken: Bool { !isEmpty && utf8.allSatisfy(HTTPByte.isToken) }
}
