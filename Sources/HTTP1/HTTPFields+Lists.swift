/// Reading the list-valued fields that decide framing and connection reuse (RFC 9110 §5.6.1),
/// straight from the value bytes: these run once per message, so they build no Strings.
extension HTTPFields {
    /// True when a `name` field's comma-separated elements include `lowercasedToken` (ASCII case
    /// ignored, OWS around elements ignored).
    func listContains(_ name: KnownFieldName, _ lowercasedToken: StaticString) -> Bool {
        guard contains(name) else { return false }
        // By index: a for-in would make (retain and release) every field it passes.
        for index in indices where known(at: index) == name {
            var found = false
            withBytes(at: index) { _, value in
                forEachListElement(value) { element in
                    if !found && elementEquals(element, lowercasedToken) { found = true }
                }
            }
            if found { return true }
        }
        return false
    }

    /// Removes every field whose lowercased name is one of `lowercasedNames` (ASCII) or one of
    /// `tokens(listName)`: the hop-by-hop removal of RFC 9110 §7.6.1. Runs on every head, so it
    /// compares names in place and builds no String when the names and list values are ASCII.
    public mutating func removeAll(named lowercasedNames: [String], orListedIn listName: String) {
        removeAll(where: removalTest(named: lowercasedNames, orListedIn: listName))
    }

    /// This head's hop-by-hop fields.
    public var hopByHop: HopByHopFields { HopByHopFields(self) }

    /// Removes the hop-by-hop fields: the fixed ones and every field Connection names.
    public mutating func removeHopByHop() {
        let hopByHop = self.hopByHop
        removeLines { fields, index in hopByHop.contains(at: index, of: fields) }
    }

    func removalTest(named lowercasedNames: [String], orListedIn listName: String) -> (HTTPField) -> Bool {
        let lowerList = lowercasedName(listName)
        return { field in
            guard field.nameIsASCII else {
                let lower = field.name.lowercased()
                return lowercasedNames.contains(lower) || self.tokens(listName).contains(lower)
            }
            for name in lowercasedNames where field.hasName(name) { return true }
            for index in self.indices where self.hasName(at: index, lowerList) && Self.list(self.bytes(at: index), contains: field.name) {
                return true
            }
            return false
        }
    }

    /// True when the list `value` has an element equal to the ASCII `name` ignoring ASCII case,
    /// split and trimmed as `tokens` does.
    private static func list(_ value: ArraySlice<UInt8>, contains name: String) -> Bool {
        // Non-ASCII values split and trim by Character, as `tokens` does.
        if value.contains(where: { $0 >= 0x80 }) { return tokens([Array(value)]).contains(name.lowercased()) }
        var name = name
        return name.withUTF8 { nameBytes in
            var found = false
            forEachListElement(value) { element in
                if !found && elementEqualsIgnoringCase(element, nameBytes) { found = true }
            }
            return found
        }
    }

    /// What the Transfer-Encoding fields say, or nil when there are none.
    func transferCodings() -> TransferCodings? {
        guard contains(.transferEncoding) else { return nil }
        var codings: TransferCodings?
        for index in indices where known(at: index) == .transferEncoding {
            var summary = codings ?? TransferCodings()
            withBytes(at: index) { _, value in
                forEachListElement(value) { element in
                    summary.count += 1
                    summary.lastIsChunked = elementEquals(element, "chunked")
                    if summary.lastIsChunked { summary.chunkedCount += 1 }
                }
            }
            codings = summary
        }
        return codings
    }

    /// The one length all Content-Length fields agree on, nil when there are none; throws when a
    /// value is not 1*DIGIT, overflows, or differs from another (RFC 9112 §6.3 items 5 and 6).
    func contentLength() throws(HTTPParseError) -> UInt64? {
        guard contains(.contentLength) else { return nil }
        var length: UInt64?
        for index in indices where known(at: index) == .contentLength {
            try withBytes(at: index) { _, bytes throws(HTTPParseError) in
                // The usual value, one number of at most 18 digits: no list to split, no overflow.
                if bytes.count <= 18, let value = Self.digits(bytes) {
                    if let length, length != value { throw .malformed("differing Content-Length values") }
                    length = value
                    return
                }
                var elementStart = 0
                while elementStart <= bytes.count {
                    var elementEnd = elementStart
                    while elementEnd < bytes.count && bytes[elementEnd] != HTTPByte.comma { elementEnd += 1 }
                    let element = bytes.trimmingWhitespace(elementStart..<elementEnd)
                    let value = try Self.decimal(bytes, element)
                    if let length, length != value { throw .malformed("differing Content-Length values") }
                    length = value
                    elementStart = elementEnd + 1
                }
            }
        }
        return length
    }

    /// The value of `bytes` when they are 1 to 18 digits (which cannot overflow), else nil.
    @inline(__always)
    private static func digits(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard !bytes.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard HTTPByte.isDigit(byte) else { return nil }
            value = value &* 10 &+ UInt64(byte &- 0x30)
        }
        return value
    }

    private static func decimal(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(HTTPParseError) -> UInt64 {
        guard !range.isEmpty else { throw .malformed("invalid Content-Length") }
        var value: UInt64 = 0
        for position in range {
            let byte = bytes[position]
            guard HTTPByte.isDigit(byte) else { throw .malformed("invalid Content-Length") }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte &- 0x30))
            if overflow1 || overflow2 { throw .malformed("Content-Length too large") }
            value = sum
        }
        return value
    }
}

/// A summary of a message's transfer codings, in the order they were applied.
struct TransferCodings {
    var count = 0
    var chunkedCount = 0
    var lastIsChunked = false
}

/// Calls `body` with each non-empty element of a comma-separated list, OWS trimmed
/// (empty elements are skipped, as RFC 9110 §5.6.1 asks of recipients).
func forEachListElement(_ value: ArraySlice<UInt8>, _ body: (Slice<UnsafeBufferPointer<UInt8>>) -> Void) {
    value.withUnsafeBufferPointer { forEachListElement($0, body) }
}

func forEachListElement(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Slice<UnsafeBufferPointer<UInt8>>) -> Void) {
    var elementStart = 0
    while elementStart < bytes.count {
        var elementEnd = elementStart
        while elementEnd < bytes.count && bytes[elementEnd] != HTTPByte.comma { elementEnd += 1 }
        let element = bytes.trimmingWhitespace(elementStart..<elementEnd)
        if !element.isEmpty { body(bytes[element]) }
        elementStart = elementEnd + 1
    }
}

/// True when `element` equals `name` ignoring ASCII case (both sides folded).
func elementEqualsIgnoringCase(_ element: Slice<UnsafeBufferPointer<UInt8>>,
                                       _ name: UnsafeBufferPointer<UInt8>) -> Bool {
    guard element.count == name.count else { return false }
    var offset = element.startIndex
    for byte in name {
        if HTTPByte.lowercased(element[offset]) != HTTPByte.lowercased(byte) { return false }
        offset += 1
    }
    return true
}

/// True when `element` equals the lowercase ASCII `token`, ignoring ASCII case.
private func elementEquals(_ element: Slice<UnsafeBufferPointer<UInt8>>, _ token: StaticString) -> Bool {
    guard element.count == token.utf8CodeUnitCount else { return false }
    let tokenBytes = token.utf8Start
    var offset = 0
    for byte in element {
        if HTTPByte.lowercased(byte) != tokenBytes[offset] { return false }
        offset += 1
    }
    return true
}
