import HTTP1

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
        var consumed = 0
        while true {
            let rest = UnsafeRawBufferPointer(rebasing: input[consumed...])
            switch try reader.next(rest) {
            case .needMore:
                return (consumed, false)
            case .drop(let count):
                consumed += count
            case .data(let limit):
                let count = Int(min(UInt64(rest.count), limit))
                guard count > 0 else { return (consumed, false) }
                if let kept = bytes, kept.count + count <= maxBytes {
                    bytes = kept + rest[..<count]
                } else {
                    bytes = nil
                }
                consumed += count
                try reader.consumed(count)
            case .finished(let drop):
                return (consumed + drop, true)
            }
        }
    }
}
