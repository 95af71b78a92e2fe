internal import CLibevent
import Glibc

/// An IPv4, IPv6 or Unix-domain socket address, resolved once (at start-up, never on a loop's hot path).
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

    /// The longest Unix socket path: `sun_path` holds 108 bytes, the last one the terminating NUL.
    public static let maxUnixPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// A Unix-domain socket at `path` (a file system path; no abstract names). Throws when the path
    /// is empty, holds a NUL byte or is longer than `maxUnixPathBytes`.
    public static func unix(path: String) throws(LibeventError) -> SocketAddress {
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, !bytes.contains(0), bytes.count <= maxUnixPathBytes else {
            throw LibeventError(operation: "unix socket path \"\(path)\" (1 to \(maxUnixPathBytes) bytes, no NUL)", code: 0)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // SAFETY: sun_path has room for maxUnixPathBytes + 1 bytes and the path is at most
        // maxUnixPathBytes long; the byte after it stays 0 from the zeroed address.
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = UInt32(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + 1)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0, length: length) }
        }
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

    /// The path of a Unix-domain address; nil for an IP one.
    public var unixPath: String? {
        guard family == AF_UNIX else { return nil }
        // SAFETY: `length` counts the bytes of the sockaddr_un copied in (sun_path's used part
        // among them), all inside `storage`.
        return withSockaddr { pointer, length in
            let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
            let path = UnsafeRawBufferPointer(start: UnsafeRawPointer(pointer) + offset, count: max(0, Int(length) - offset))
            return String(decoding: path.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// The port, in host byte order (0 for a Unix-domain address).
    public var port: UInt16 {
        withSockaddr { pointer, _ in
            guard family != AF_UNIX else { return 0 }
            let raw = UnsafeRawPointer(pointer)
            let networkPort = family == AF_INET6
                ? raw.assumingMemoryBound(to: sockaddr_in6.self).pointee.sin6_port
                : raw.assumingMemoryBound(to: sockaddr_in.self).pointee.sin_port
            return UInt16(bigEndian: networkPort)
        }
    }

    /// The address without the port: "127.0.0.1" or "::1" (the path for a Unix-domain address).
    public var host: String {
        if let unixPath { return unixPath }
        return withSockaddr { pointer, _ in Self.host(of: pointer) }
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
        // Four decimal octets by hand: inet_ntop formats them with sprintf (BENCHMARKS.md).
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

    /// "127.0.0.1:8080", "[::1]:8080" or "unix:/run/redis.sock".
    public var description: String {
        if let unixPath { return "unix:\(unixPath)" }
        return family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
