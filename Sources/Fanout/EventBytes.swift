/// The wire bytes of one encoded event (or of several, joined), in memory of their own that never
/// moves or changes, so every subscriber's output buffer can point at them instead of holding a
/// copy.
///
/// They are stored framed as one chunk of HTTP/1.1's chunked transfer coding (`<hex size>\r\n`,
/// the bytes, `\r\n`): a stream framed with chunks writes `chunk`, one that ends with its
/// connection (HTTP/1.0, a GRIP body) writes `buffer`, and both share the one copy.
public final class EventBytes: @unchecked Sendable {
    // @unchecked: the memory is written once, in init, and only read afterwards, from any thread.

    private let storage: UnsafeMutableRawPointer
    /// Where the bytes start in `storage`, after the chunk's size line.
    private let start: Int
    public let count: Int

    public init(_ bytes: [UInt8]) {
        (storage, start) = Self.allocateChunk(count: bytes.count)
        count = bytes.count
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { (storage + start).copyMemory(from: base, byteCount: source.count) }
        }
    }

    /// Several encoded events back to back, in one buffer of their own (one chunk).
    public init(concatenating parts: [EventBytes]) {
        let total = parts.reduce(0) { $0 + $1.count }
        (storage, start) = Self.allocateChunk(count: total)
        count = total
        var offset = start
        for part in parts where part.count > 0 {
            (storage + offset).copyMemory(from: part.buffer.baseAddress!, byteCount: part.count)
            offset += part.count
        }
    }

    deinit {
        storage.deallocate()
    }

    /// The bytes; valid as long as this object lives.
    public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage + start, count: count) }

    /// The bytes framed as one chunk; empty when there are none (a chunk of size 0 would end the
    /// body). Valid as long as this object lives.
    public var chunk: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage, count: count == 0 ? 0 : start + count + 2)
    }

    /// A copy as an array (tests, logs).
    public var array: [UInt8] { Array(buffer) }

    /// Memory for a chunk of `count` bytes with its size line and final CRLF written; returns it
    /// and where the bytes go.
    private static func allocateChunk(count: Int) -> (UnsafeMutableRawPointer, start: Int) {
        var digits = 0
        var rest = count
        while rest > 0 { digits += 1; rest >>= 4 }
        let start = digits + 2
        let storage = UnsafeMutableRawPointer.allocate(byteCount: start + count + 2, alignment: 1)
        var value = count
        for position in stride(from: digits - 1, through: 0, by: -1) {
            storage.storeBytes(of: hexDigits[value & 0xF], toByteOffset: position, as: UInt8.self)
            value >>= 4
        }
        for (offset, byte) in [(digits, cr), (digits + 1, lf), (start + count, cr), (start + count + 1, lf)] {
            storage.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
        }
        return (storage, start)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
}
