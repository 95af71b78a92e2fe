/// A head written straight to its wire bytes, line by line, in the format `serialized()` writes:
/// a proxy that forwards most fields unchanged builds no second head only to serialize it.
///
/// Forwarded fields are written from their bytes and Herald's own names are StaticStrings, so
/// building a head copies bytes and touches no String storage.
public struct HeadBuilder {
    public private(set) var bytes: [UInt8] = []

    /// `capacity` is a guess at the head's size, so the bytes are usually allocated once.
    public init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// `method SP request-target SP HTTP-version CRLF`.
    public mutating func requestLine(method: String, target: ArraySlice<UInt8>, version: HTTPVersion) {
        append(method)
        bytes.append(HTTPByte.space)
        bytes.append(contentsOf: target)
        bytes.append(HTTPByte.space)
        append(version.text)
        lineEnd()
    }

    /// `HTTP-version SP status SP reason CRLF`, as `HTTPResponseHead.serialized()` writes it.
    public mutating func statusLine(version: HTTPVersion, status: Int, reason: ArraySlice<UInt8>) {
        append(version.text)
        bytes.append(HTTPByte.space)
        if (100...999).contains(status) {
            bytes.append(UInt8(truncatingIfNeeded: 0x30 + status / 100))
            bytes.append(UInt8(truncatingIfNeeded: 0x30 + status / 10 % 10))
            bytes.append(UInt8(truncatingIfNeeded: 0x30 + status % 10))
        } else {
            append(String(status))
        }
        bytes.append(HTTPByte.space)
        bytes.append(contentsOf: reason)
        lineEnd()
    }

    /// A forwarded field, `name: value` CRLF; with `element`, the value becomes `value, element`
    /// (a list grown by one).
    public mutating func field(_ name: ArraySlice<UInt8>, _ value: ArraySlice<UInt8>, appending element: String? = nil) {
        bytes.append(contentsOf: name)
        nameEnd()
        listValue(value, appending: element)
    }

    /// `name: value` CRLF.
    public mutating func field(_ name: String, _ value: [UInt8]) {
        append(name)
        nameEnd()
        bytes.append(contentsOf: value)
        lineEnd()
    }

    /// One of Herald's own fields, `name: value` CRLF, or `name: value, element` CRLF.
    public mutating func field(_ name: StaticString, _ value: ArraySlice<UInt8>, appending element: String? = nil) {
        append(name)
        nameEnd()
        listValue(value, appending: element)
    }

    /// One of Herald's own fields, `name: value` CRLF.
    public mutating func field(_ name: StaticString, _ value: String) {
        append(name)
        nameEnd()
        append(value)
        lineEnd()
    }

    /// The empty line that ends the head.
    public mutating func end() { lineEnd() }

    private mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends a String's UTF-8 in one copy (appending `utf8` goes through a slow generic path).
    private mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    private mutating func listValue(_ value: ArraySlice<UInt8>, appending element: String?) {
        bytes.append(contentsOf: value)
        if let element {
            bytes.append(HTTPByte.comma)
            bytes.append(HTTPByte.space)
            append(element)
        }
        lineEnd()
    }

    private mutating func nameEnd() {
        bytes.append(HTTPByte.colon)
        bytes.append(HTTPByte.space)
    }

    private mutating func lineEnd() {
        bytes.append(HTTPByte.cr)
        bytes.append(HTTPByte.lf)
    }
}
