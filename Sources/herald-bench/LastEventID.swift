// The id a reconnecting subscriber sends as `Last-Event-ID`, kept inline (56 bytes) so that a
// process holding thousands of subscribers allocates nothing per event to remember it.

/// An SSE event id of at most `capacity` bytes; a longer one is marked `isTooLong` and not kept.
struct LastEventID: Sendable, Equatable {
    /// Herald's ids are under 24 bytes; publishers' own ids may be longer and are then not resumed.
    static let capacity = 46

    private var bytes = InlineArray<46, UInt8>(repeating: 0)
    private(set) var count: UInt8 = 0
    private(set) var isTooLong = false

    init() {}

    init(_ text: String) {
        for byte in text.utf8 { append(byte) }
    }

    var isEmpty: Bool { count == 0 && !isTooLong }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        guard Int(count) < Self.capacity else {
            isTooLong = true
            return
        }
        bytes[Int(count)] = byte
        count += 1
    }

    /// The id as text, for a request header; nil when it was too long to keep.
    var text: String? {
        guard !isTooLong else { return nil }
        return String(unsafeUninitializedCapacity: Int(count)) { buffer in
            for index in 0..<Int(count) { buffer[index] = bytes[index] }
            return Int(count)
        }
    }

    static func == (lhs: LastEventID, rhs: LastEventID) -> Bool {
        lhs.text == rhs.text && lhs.isTooLong == rhs.isTooLong
    }
}
