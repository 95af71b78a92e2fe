internal import CLibevent
#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 socket address, resolved once (at start-up, never on a loop's hot path).
public struct SocketAddress: Sendable, CustomStringConvertible {
    /// The bytes of a `sockaddr_storage`; only the first `length` count.
    var storage: [UInt8]
    var length: UInt32

    init(_ pointer: UnsafePointer<sockaddr>, length: UInt32) {
        self.length = length
        storage = Array(UnsafeRawBufferPointer(start: pointer, count: Int(length)))
    }

    /// Resolves `host` (a numeric address or a name such as localhost) and `port`.
    public static func resolve(host: String, port: UInt16) throws(LibeventError) -> SocketAddress {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let status = getaddrinfo(bareHost, String(port), &hints, &result)
        guard status == 0, let first = result, let address = first.pointee.ai_addr else {
            throw LibeventError(operation: "resolve \(host): \(String(cString: gai_strerror(status)))", code: 0)
        }
        defer { freeaddrinfo(result) }
        return SocketAddress(address, length: first.pointee.ai_addrlen)
    }

    /// The address of a socket's local end (`getsockname`), e.g. to learn the port bound for port 0.
    static func local(of fd: Int32) throws(LibeventError) -> SocketAddress {
        try address(of: fd, "getsockname", getsockname)
    }

    private static func address(of fd: Int32, _ name: String,
                                _ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32)
        throws(LibeventError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        // SAFETY: storage is a sockaddr_storage, large enough for any address the call writes.
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(fd, $0, &length) }
        }
        try LibeventError.check(result, name)
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0, length: length) }
        }
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, Int32) -> R) -> R {
        // SAFETY: storage holds a valid sockaddr of `length` bytes, copied from the system.
        storage.withUnsafeBytes { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), Int32(length))
        }
    }

    var family: Int32 {
        withSockaddr { pointer, _ in Int32(pointer.pointee.sa_family) }
    }

    /// The port, in host byte order.
    public var port: UInt16 {
        withSockaddr { pointer, _ in
            let raw = UnsafeRawPointer(pointer)
            let networkPort = family == AF_INET6
                ? raw.assumingMemoryBound(to: sockaddr_in6.self).pointee.sin6_port
                : raw.assumingMemoryBound(to: sockaddr_in.self).pointee.sin_port
            return UInt16(bigEndian: networkPort)
        }
    }

    /// The address without the port: "127.0.0.1" or "::1".
    public var host: String {
        withSockaddr { pointer, _ in Self.host(of: pointer) }
    }

    /// The host of the IPv4 or IPv6 address at `pointer`.
    static func host(of pointer: UnsafePointer<sockaddr>) -> String {
        let raw = UnsafeRawPointer(pointer)
        if pointer.pointee.sa_family == AF_INET6 {
            var address = raw.assumingMemoryBound(to: sockaddr_in6.self).pointee.sin6_addr
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
            inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
            return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        // Four decimal octets by hand: inet_ntop formats them with sprintf, 7 % of a
        // subscribe's instructions.
        let address = UInt32(bigEndian: raw.assumingMemoryBound(to: sockaddr_in.self).pointee.sin_addr.s_addr)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { text in
            var count = 0
            for shift: UInt32 in [24, 16, 8, 0] {
                if shift != 24 { text[count] = UInt8(ascii: "."); count += 1 }
                let octet = UInt8(truncatingIfNeeded: address >> shift)
                if octet >= 100 { text[count] = UInt8(ascii: "0") + octet / 100; count += 1 }
                if octet >= 10 { text[count] = UInt8(ascii: "0") + octet / 10 % 10; count += 1 }
                text[count] = UInt8(ascii: "0") + octet % 10
                count += 1
            }
            return String(decoding: UnsafeBufferPointer(rebasing: text[..<count]), as: UTF8.self)
        }
    }

    /// "127.0.0.1:8080" or "[::1]:8080".
    public var description: String {
        family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
