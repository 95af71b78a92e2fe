/// A response body read whole into memory, up to a bound: for the few bodies Herald must hold
/// before it can act (an auth request's answer, a GRIP response's initial body), never for what it
/// forwards, which streams.
public struct BoundedBody: Sendable {
    public private(set) var reader: BodyReader
    /// The data so far; nil once it passed `maxBytes` (what comes after is read and dropped).
    public private(set) var bytes: [UInt8]? = []
    public let maxBytes: Int

    public init(_ reader: BodyReader, maxBytes: Int) {
        self.reader = reader
        self.maxBytes = maxBytes
    }

    /// True for a body that ends when its connection closes.
    public var endsAtClose: Bool { reader.endsAtClose }

    /// Takes what it can from the bytes at the front of the input; returns how many to drop and
    /// whether the body is complete.
    public mutating func received(_ input: UnsafeRawBufferPointer) throws(HTTPParseError) -> (consumed: Int, finished: Bool) {
        var source = BodyBuffer(input)
        var reader = self.reader
        defer { self.reader = reader }
        let finished = try reader.read(from: &source) { source, count in
            if let kept = bytes, kept.count + count <= maxBytes {
                bytes = kept + source.front.prefix(count)
            } else {
                bytes = nil
            }
            source.consumeInput(count)
        }
        return (source.offset, finished)
    }
}
