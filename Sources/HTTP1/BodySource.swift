/// Where a body's bytes are read from, front first: a connection's input, or a buffer at hand.
/// `BodyReader.read(from:data:)` looks at the front for framing and hands data runs on. The names
/// are `LibeventIO.Connection`'s, so a connection is a source as it is.
public protocol BodySource {
    /// The bytes at hand.
    var inputCount: Int { get }
    /// Runs `body` on up to `count` bytes at the front, contiguous.
    func withInput<R, E: Error>(upTo count: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R
    /// Removes `count` bytes from the front.
    mutating func consumeInput(_ count: Int)
}

/// A body's bytes already in one buffer: what has been dropped is `offset`.
public struct BodyBuffer: BodySource {
    public let bytes: UnsafeRawBufferPointer
    /// How many bytes were dropped from the front.
    public private(set) var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public var inputCount: Int { bytes.count - offset }

    /// The bytes not dropped yet.
    public var front: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[offset...]) }

    public func withInput<R, E: Error>(upTo count: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + min(count, inputCount)]))
    }

    public mutating func consumeInput(_ count: Int) {
        offset += min(count, inputCount)
    }
}
