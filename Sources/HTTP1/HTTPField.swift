// The HTTP/1.1 message heads Herald reads and writes, kept byte for byte.
//
// Names are tokens (ASCII, validated by the parser) and kept with the case they were sent in;
// values and the request-target are raw bytes, so a proxy can forward what it received exactly,
// including obs-text that is not UTF-8.

/// One header field: the name as sent, the value with surrounding white space trimmed.
///
/// Its name and value are ranges of one byte array: a field taken from a head shares the head's
/// bytes (one reference count), a field made from a name and a value holds the name then the value.
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

    /// The field at `line` of a head's bytes, sharing them.
    init(storage: [UInt8], _ line: HTTPFields.Line) {
        self.storage = storage
        nameRange = line.name
        valueRange = line.value
        known = line.known
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
        withBytes { name, _ in nameEquals(name, lowercasedName) }
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

/// True when `name` matches `lowercasedName` ignoring ASCII case.
@inline(__always)
func nameEquals(_ name: UnsafeBufferPointer<UInt8>, _ lowercasedName: String) -> Bool {
    var lower = lowercasedName
    return lower.withUTF8 { expected in
        guard name.count == expected.count else { return false }
        for index in name.indices where HTTPByte.lowercased(name[index]) != expected[index] { return false }
        return true
    }
}
