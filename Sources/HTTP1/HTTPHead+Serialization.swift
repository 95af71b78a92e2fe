extension HTTPRequestHead {
    /// The head on the wire: request line, each field as `name: value` CRLF in order, then CRLF.
    public func serialized() -> [UInt8] {
        let count = method.utf8.count + targetBytes.count + version.text.utf8.count + 4 + fields.serializedCount
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var writer = ByteWriter(buffer)
            writer.write(method)
            writer.write(HTTPByte.space)
            writer.write(targetBytes)
            writer.write(HTTPByte.space)
            writer.write(version.text)
            writer.writeLineEnd()
            fields.serialize(into: &writer)
            initialized = writer.count
        }
    }
}

extension HTTPResponseHead {
    /// The head on the wire: status line (`SP` before the reason even when it is empty, as RFC 9112
    /// §4 writes it), each field as `name: value` CRLF in order, then CRLF.
    public func serialized() -> [UInt8] {
        let statusText = (100...999).contains(status) ? nil : String(status)
        let count = version.text.utf8.count + 1 + (statusText?.utf8.count ?? 3) + 1 + reasonBytes.count + 2
            + fields.serializedCount
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var writer = ByteWriter(buffer)
            writer.write(version.text)
            writer.write(HTTPByte.space)
            if let statusText {
                writer.write(statusText)
            } else {
                writer.write(UInt8(truncatingIfNeeded: 0x30 + status / 100))
                writer.write(UInt8(truncatingIfNeeded: 0x30 + status / 10 % 10))
                writer.write(UInt8(truncatingIfNeeded: 0x30 + status % 10))
            }
            writer.write(HTTPByte.space)
            writer.write(reasonBytes)
            writer.writeLineEnd()
            fields.serialize(into: &writer)
            initialized = writer.count
        }
    }
}

extension HTTPFields {
    /// The bytes `serialize(into:)` writes: each field line and the blank line.
    public var serializedCount: Int {
        var count = 2
        for index in indices {
            count += byteCount(at: index) + 4
        }
        return count
    }

    /// At least `serializedCount`, without a pass over the fields: every name and value lies in the
    /// storage, and writing a line adds four bytes to them (a received line had at least two).
    public var serializedCountBound: Int { storageCount + 4 * count + 2 }

    /// Writes each field as `name: value` CRLF, then the empty line that ends a head.
    func serialize(into writer: inout ByteWriter) {
        for index in indices {
            withBytes(at: index) { name, value in
                writer.write(name)
                writer.write(HTTPByte.colon)
                writer.write(HTTPByte.space)
                writer.write(value)
                writer.writeLineEnd()
            }
        }
        writer.writeLineEnd()
    }
}

/// Appends bytes to a buffer sized beforehand: serializing a head is one allocation and copies.
struct ByteWriter {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

    @inline(__always)
    mutating func write(_ byte: UInt8) {
        buffer[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func writeLineEnd() {
        write(HTTPByte.cr)
        write(HTTPByte.lf)
    }

    @inline(__always)
    mutating func write(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBufferPointer { source in write(source) }
    }

    @inline(__always)
    mutating func write(_ string: String) {
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { source in write(source) }
        if done == nil {
            for byte in string.utf8 { write(byte) }
        }
    }

    @inline(__always)
    mutating func write(_ source: UnsafeBufferPointer<UInt8>) {
        guard let base = source.baseAddress, source.count > 0 else { return }
        precondition(count + source.count <= buffer.count, "ByteWriter overflow")
        // SAFETY: the destination range was checked to lie within the buffer just above.
        (buffer.baseAddress.unsafelyUnwrapped + count).initialize(from: base, count: source.count)
        count += source.count
    }
}
