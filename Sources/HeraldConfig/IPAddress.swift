import Glibc

/// A numeric IP address, parsed by `inet_pton` so that Herald accepts exactly what the socket
/// layer will later accept: dotted-decimal IPv4 (no leading zeros) or IPv6 without brackets.
struct IPAddress: Equatable {
    /// 4 bytes for IPv4, 16 for IPv6, in network order.
    let bytes: [UInt8]

    init?(_ text: String) {
        if let bytes = Self.presentationToNetwork(text, family: AF_INET, byteCount: 4) {
            self.bytes = bytes
        } else if let bytes = Self.presentationToNetwork(text, family: AF_INET6, byteCount: 16) {
            self.bytes = bytes
        } else {
            return nil
        }
    }

    var isIPv6: Bool { bytes.count == 16 }

    /// 127.0.0.0/8, ::1, and 127.0.0.0/8 mapped into IPv6 (::ffff:127.x.x.x).
    var isLoopback: Bool {
        if bytes.count == 4 { return bytes[0] == 127 }
        if bytes.dropLast().allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
        return mappedIPv4?.isLoopback ?? false
    }

    /// 0.0.0.0 or ::, which a listener binds as "every address".
    var isUnspecified: Bool { bytes.allSatisfy { $0 == 0 } }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d).
    private var mappedIPv4: IPAddress? {
        guard isIPv6, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else { return nil }
        return IPAddress(bytes: Array(bytes[12...]))
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private static func presentationToNetwork(_ text: String, family: Int32, byteCount: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: byteCount)
        // SAFETY: `bytes` holds byteCount bytes, the size of in_addr (4) or in6_addr (16) that
        // inet_pton writes for `family`.
        let result = bytes.withUnsafeMutableBytes { inet_pton(family, text, $0.baseAddress) }
        return result == 1 ? bytes : nil
    }
}
