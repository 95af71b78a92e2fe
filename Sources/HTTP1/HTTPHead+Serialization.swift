extension HTTPRequestHead {
    /// The head on the wire: request line, each field as `name: value` CRLF in order, then CRLF.
    public func serialized() -> [UInt8] {
        let count = method.utf8.count + targetBytes.count + version.text.utf8.count + 4 + fields.serializedCount
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var writer = HeadBuilder(into: UnsafeMutableRawBufferPointer(buffer))
            writer.requestLine(method: method, target: targetBytes, version: version)
            writer.fields(fields.indices, of: fields)
            writer.end()
            initialized = writer.count
        }
    }
}

extension HTTPResponseHead {
    /// The head on the wire: status line (`SP` before the reason even when it is empty, as RFC 9112
    /// §4 writes it), each field as `name: value` CRLF in order, then CRLF.
    public func serialized() -> [UInt8] {
        let statusCount = (100...999).contains(status) ? 3 : String(status).utf8.count
        let count = version.text.utf8.count + 1 + statusCount + 1 + reasonBytes.count + 2 + fields.serializedCount
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var writer = HeadBuilder(into: UnsafeMutableRawBufferPointer(buffer))
            writer.statusLine(version: version, status: status, reason: reasonBytes)
            writer.fields(fields.indices, of: fields)
            writer.end()
            initialized = writer.count
        }
    }
}

extension HTTPFields {
    /// The bytes `HeadBuilder` writes for the fields: each field line and the blank line.
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
}
