/// A head written straight to its wire bytes, line by line, in the format `serialized()` writes:
/// a proxy that forwards most fields unchanged builds no second head only to serialize it.
///
/// The bytes go to an array the builder grows (`init(capacity:)`, then `bytes`), or straight into
/// memory sized beforehand (`init(into:)`), such as space reserved in a connection's output.
/// Forwarded fields are written from their bytes and Herald's own names are StaticStrings, so
/// building a head touches no String storage.
public struct HeadBuilder {
    /// Where the bytes go: memory sized beforehand, or `bytes` when nil.
    private let memory: UnsafeMutableRawPointer?
    private let memoryCount: Int
    /// The bytes written, with `init(capacity:)` (empty with `init(into:)`).
    public private(set) var bytes: [UInt8] = []
    /// How many bytes the calls so far wrote.
    public private(set) var count = 0

    /// Into an array; `capacity` is a guess at the head's size, so the bytes are usually allocated once.
    public init(capacity: Int) {
        memory = nil
        memoryCount = 0
        bytes.reserveCapacity(capacity)
    }

    /// Into `memory`, which must hold every byte written: writing past its end traps.
    public init(into memory: UnsafeMutableRawBufferPointer) {
        self.memory = memory.baseAddress
        memoryCount = memory.count
    }

    /// `method SP request-target SP HTTP-version CRLF`.
    public mutating func requestLine(method: String, target: ArraySlice<UInt8>, version: HTTPVersion) {
        append(method)
        append(HTTPByte.space)
        append(target)
        append(HTTPByte.space)
        append(version.wireText)
        lineEnd()
    }

    /// `HTTP-version SP status SP reason CRLF`, as `HTTPResponseHead.serialized()` writes it.
    public mutating func statusLine(version: HTTPVersion, status: Int, reason: ArraySlice<UInt8>) {
        append(version.wireText)
        append(HTTPByte.space)
        if (100...999).contains(status) {
            append(UInt8(truncatingIfNeeded: 0x30 + status / 100))
            append(UInt8(truncatingIfNeeded: 0x30 + status / 10 % 10))
            append(UInt8(truncatingIfNeeded: 0x30 + status % 10))
        } else {
            append(String(status))
        }
        append(HTTPByte.space)
        append(reason)
        lineEnd()
    }

    /// A forwarded field, `name: value` CRLF; with `element`, the value becomes `value, element`
    /// (a list grown by one).
    public mutating func field(_ name: ArraySlice<UInt8>, _ value: ArraySlice<UInt8>, appending element: String? = nil) {
        name.withUnsafeBufferPointer { name in field(name, value, appending: element) }
    }

    /// The field at `index` of `fields`, forwarded as it came or with `element` appended to its
    /// value (as above). Taking the field's place rather than the field copies none in a loop over
    /// a head's fields (passing one to a call retains its bytes).
    public mutating func field(at index: Int, of fields: HTTPFields, appending element: String? = nil) {
        guard var element else { return field(at: index, of: fields, element: nil) }
        element.withUTF8 { field(at: index, of: fields, element: $0) }
    }

    /// The same with one of Herald's own elements appended.
    public mutating func field(at index: Int, of fields: HTTPFields, appending element: StaticString) {
        field(at: index, of: fields, element: UnsafeBufferPointer(start: element.utf8Start, count: element.utf8CodeUnitCount))
    }

    private mutating func field(at index: Int, of fields: HTTPFields, element: UnsafeBufferPointer<UInt8>?) {
        fields.withBytes(at: index) { name, value in line(name, value, element) }
    }

    /// The fields at `range` of `fields`, forwarded as they came: one copy of their lines when they
    /// were received as this builder writes them and lie one after another (the common case: a
    /// run of fields between two that are dropped or changed), else field by field.
    public mutating func fields(_ range: Range<Int>, of fields: HTTPFields) {
        let copied: Void? = fields.withCanonicalLines(range) { append($0) }
        if copied != nil { return }
        for index in range { field(at: index, of: fields) }
    }

    /// `name: value` CRLF.
    public mutating func field(_ name: String, _ value: [UInt8]) {
        append(name)
        nameEnd()
        append(value[...])
        lineEnd()
    }

    /// One of Herald's own fields, `name: value` CRLF, or `name: value, element` CRLF.
    public mutating func field(_ name: StaticString, _ value: ArraySlice<UInt8>, appending element: String? = nil) {
        field(Self.buffer(name), value, appending: element)
    }

    private mutating func field(_ name: UnsafeBufferPointer<UInt8>, _ value: ArraySlice<UInt8>, appending element: String?) {
        value.withUnsafeBufferPointer { value in
            guard var element else { return line(name, value, nil) }
            element.withUTF8 { line(name, value, $0) }
        }
    }

    /// One of Herald's own fields with a fixed value, `name: value` CRLF.
    public mutating func field(_ name: StaticString, _ value: StaticString) {
        line(Self.buffer(name), Self.buffer(value), nil)
    }

    /// One of Herald's own fields, `name: value` CRLF.
    public mutating func field(_ name: StaticString, _ value: String) {
        var value = value
        value.withUTF8 { line(Self.buffer(name), $0, nil) }
    }

    /// The empty line that ends the head.
    public mutating func end() { lineEnd() }

    @inline(__always)
    private mutating func nameEnd() {
        append(HTTPByte.colon)
        append(HTTPByte.space)
    }

    @inline(__always)
    private mutating func lineEnd() {
        append(HTTPByte.cr)
        append(HTTPByte.lf)
    }

    // MARK: Bytes to the destination (inlined: a head is many short appends)

    @inline(__always)
    private static func buffer(_ text: StaticString) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    }

    /// `name: value` CRLF, or `name: value, element` CRLF: into memory, one bounds check and the
    /// copies; into the array, appended piece by piece.
    @inline(__always)
    private mutating func line(_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>,
                               _ element: UnsafeBufferPointer<UInt8>?) {
        guard let memory else {
            append(name)
            nameEnd()
            append(value)
            if let element { append(HTTPByte.comma); append(HTTPByte.space); append(element) }
            lineEnd()
            return
        }
        let elementCount = element.map { $0.count + 2 } ?? 0
        let total = name.count + value.count + elementCount + 4
        precondition(count + total <= memoryCount, "HeadBuilder: memory smaller than the head")
        // SAFETY: the `total` bytes from `count` were checked to lie within the memory just above.
        var cursor = memory + count
        Self.copy(name, to: &cursor)
        Self.copy(": ", to: &cursor)
        Self.copy(value, to: &cursor)
        if let element {
            Self.copy(", ", to: &cursor)
            Self.copy(element, to: &cursor)
        }
        Self.copy("\r\n", to: &cursor)
        count += total
    }

    @inline(__always)
    private static func copy(_ source: UnsafeBufferPointer<UInt8>, to cursor: inout UnsafeMutableRawPointer) {
        guard let base = source.baseAddress else { return }
        cursor.copyMemory(from: base, byteCount: source.count)
        cursor += source.count
    }

    @inline(__always)
    private static func copy(_ pair: StaticString, to cursor: inout UnsafeMutableRawPointer) {
        assert(pair.utf8CodeUnitCount == 2, "two bytes are stored")
        cursor.storeBytes(of: UnsafeRawPointer(pair.utf8Start).loadUnaligned(as: UInt16.self), as: UInt16.self)
        cursor += 2
    }

    @inline(__always)
    private mutating func append(_ text: StaticString) {
        append(Self.buffer(text))
    }

    /// Appends a String's UTF-8 in one copy (appending `utf8` goes through a slow generic path).
    @inline(__always)
    private mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    @inline(__always)
    private mutating func append(_ slice: ArraySlice<UInt8>) {
        slice.withUnsafeBufferPointer { append($0) }
    }

    @inline(__always)
    private mutating func append(_ source: UnsafeBufferPointer<UInt8>) {
        if let memory {
            guard let base = source.baseAddress, source.count > 0 else { return }
            precondition(count + source.count <= memoryCount, "HeadBuilder: memory smaller than the head")
            // SAFETY: the destination range was checked to lie within the memory just above.
            (memory + count).copyMemory(from: base, byteCount: source.count)
        } else {
            bytes.append(contentsOf: source)
        }
        count += source.count
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8) {
        if let memory {
            precondition(count < memoryCount, "HeadBuilder: memory smaller than the head")
            memory.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        } else {
            bytes.append(byte)
        }
        count += 1
    }
}
