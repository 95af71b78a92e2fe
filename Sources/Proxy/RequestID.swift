/// `X-Request-Id`: the id that ties a request's access-log line to the app's own logs.
///
/// An incoming id is kept when it is short and plain (visible ASCII, so it can go into a log line
/// and a header unchanged); otherwise Herald makes one (`RequestIDGenerator`).
public enum RequestID {
    /// Longest id kept: 128 bytes holds any UUID, trace id or nginx `$request_id` with room to
    /// spare, and bounds what one request adds to a log line.
    public static let maxBytes = 128

    /// True when `value` is kept as it came: 1 to `maxBytes` bytes, each visible ASCII (0x21–0x7E,
    /// no space, control or non-ASCII byte).
    public static func isAcceptable(_ value: some Collection<UInt8>) -> Bool {
        guard !value.isEmpty, value.count <= maxBytes else { return false }
        return value.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }
}

/// Makes request ids: 128 random bits as 32 lowercase hex digits, from a xoshiro256** generator
/// seeded once (a system call per loop, none per request). Unique, not secret: an id names a
/// request, it grants nothing.
public struct RequestIDGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// Seeded from `source` (the system's generator in the server, a fixed one in tests).
    public init(seededBy source: inout some RandomNumberGenerator) {
        state = (source.next(), source.next(), source.next(), source.next())
        // An all-zero state would only ever give zeros.
        if state == (0, 0, 0, 0) { state.0 = 0x9E37_79B9_7F4A_7C15 }
    }

    /// The next id: 32 lowercase hex digits.
    public mutating func next() -> String {
        let high = nextWord(), low = nextWord()
        var digits = [UInt8](repeating: 0, count: 32)
        for index in 0..<16 {
            digits[index] = Self.hex[Int((high >> UInt64(60 - 4 * index)) & 0xF)]
            digits[16 + index] = Self.hex[Int((low >> UInt64(60 - 4 * index)) & 0xF)]
        }
        return String(decoding: digits, as: UTF8.self)
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// One step of xoshiro256** (Blackman and Vigna).
    private mutating func nextWord() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    private func rotateLeft(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }
}
