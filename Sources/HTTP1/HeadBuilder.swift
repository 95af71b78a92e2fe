/// A head written straight to its wire bytes, line by line, in the format `serialized()` writes:
/// a proxy that forwards most fields unchanged builds no second head only to serialize it.
public struct HeadBuilder {
    public private(set) var bytes: [UInt8] = []

    /// `capacity` is a guess at the head's size, so the bytes are usually allocated once.
    public init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// `method SP request-target SP HTTP-version CRLF`.
    public mutating func requestLine(method: String, target: [UInt8], version: HTTPVersion) {
        bytes.append(contentsOf: method.utf8)
        bytes.append(HTTPByte.space)
        bytes.append(contentsOf: target)
        bytes.append(HTTPByte.space)
        bytes.append(contentsOf: version.text.utf8)
        lineEnd()
    }

    /// `HTTP-version SP status SP reason CRLF`, as `HTTPResponseHead.serialized()` writes it.
    public mutating func statusLine(version: HTTPVersion, status: Int, reason: [UInt8]) {
        bytes.append(contentsOf: version.text.utf8)
        bytes.append(HTTPByte.space)
        if (100...999).contains(status) {
            bytes.append(UInt8(truncatingIfNeeded: 0x30 + status / 100))
            bytes.append(UInt8(truncatingIfNeeded: 0x30 + status / 10 % 10))
            bytes.append(UInt8(truncatingIfNeeded: 0x30 + status % 10))
        } else {
            bytes.append(contentsOf: String(status).utf8)
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
        bytes.append(contentsOf: name.utf8)
        bytes.append(HTTPByte.colon)
        bytes.append(HTTPByte.space)
        bytes.append(contentsOf: value)
        if let element {
            bytes.append(HTTPByte.comma)
            bytes.append(HTTPByte.space)
            bytes.append(contentsOf: element.utf8)
        }
        lineEnd()
    }

    public mutating func field(_ name: String, _ value: String) {
        bytes.append(contentsOf: name.utf8)
        bytes.append(HTTPByte.colon)
        bytes.append(HTTPByte.space)
        bytes.append(contentsOf: value.utf8)
        lineEnd()
    }

    /// The empty line that ends the head.
    public mutating func end() { lineEnd() }

    private mutating func lineEnd() {
        bytes.append(HTTPByte.cr)
        bytes.append(HTTPByte.lf)
    }
}
