/// A head written straight to its wire bytes, line by line, in the format `serialized()` writes:
/// a proxy that forwards most fields unchanged builds no second head only to serialize it.
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

    /// `name: value` CRLF; with `element`, the value becomes `value, element` (a list grown by one).
    public mutating func field(_ name: String, _ value: [UInt8], appending element: String? = nil) {
        field(name, value[...], appending: element)
    }

    public mutating func field(_ name: String, _ value: ArraySlice<UInt8>, appending element: String? = nil) {
        append(name)
        bytes.append(HTTPByte.colon)
        bytes.append(HTTPByte.space)
        bytes.append(contentsOf: value)
        if let element {
            bytes.append(HTTPByte.comma)
            bytes.append(HTTPByte.space)
            append(element)
        }
        lineEnd()
    }

    public mutating func field(_ name: String, _ value: String) {
        append(name)
        bytes.append(HTTPByte.colon)
        bytes.append(HTTPByte.space)
        append(value)
        lineEnd()
    }

    /// The empty line that ends the head.
    public mutating func end() { lineEnd() }

    /// Appends a String's UTF-8 in one copy (appending `utf8` goes through a slow generic path).
    private mutating func append(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { bytes.append(contentsOf: $0) }
        if done == nil { bytes.append(contentsOf: text.utf8) }
    }

    private mutating func lineEnd() {
        bytes.append(HTTPByte.cr)
        bytes.append(HTTPByte.lf)
    }
}
