/// The wire bytes of one encoded event, in memory of their own that never moves or changes,
/// so every subscriber's output buffer can point at them instead of holding a copy.
public final class EventBytes: @unchecked Sendable {
    // @unchecked: the memory is written once, in init, and only read afterwards, from any thread.

    private let storage: UnsafeMutableRawPointer
    public let count: Int

    public init(_ bytes: [UInt8]) {
        storage = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        count = bytes.count
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { storage.copyMemory(from: base, byteCount: source.count) }
        }
    }

    deinit {
        storage.deallocate()
    }

    /// The bytes; valid as long as this object lives.
    public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage, count: count) }

    /// A copy as an array (tests, logs).
    public var array: [UInt8] { Array(buffer) }
}

extension EventBytes {
    /// Several encoded events back to back, in one buffer of their own.
    public convenience init(concatenating parts: [EventBytes]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts { bytes.append(contentsOf: part.buffer) }
        self.init(bytes)
    }
}
