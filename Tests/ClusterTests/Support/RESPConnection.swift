import Cluster
import Foundation
import Glibc

/// An error reply from Redis, or a connection that failed.
struct RESPError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A blocking RESP2 client over a unix socket, for the tests only (Herald's own client is built on
/// hiredis elsewhere). Replies become `ScriptValue`, the shape the script decoders take; an error
/// reply throws. Reads time out, so a test never hangs on a reply that does not come.
final class RESPConnection {
    /// The longest a test waits for one reply.
    static let receiveTimeoutSeconds = 10

    private let descriptor: Int32
    private var input: [UInt8] = []
    private var position = 0

    init(path: String) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw RESPError(message: "socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        // SAFETY: the path is shorter than sun_path (checked by the caller's choice of /tmp) and the
        // copy writes only within the tuple's bytes.
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            precondition(bytes.count < raw.count, "socket path too long")
            raw.copyBytes(from: bytes)
        }
        var timeout = timeval(tv_sec: Self.receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // SAFETY: `address` is a sockaddr_un, passed with its own size.
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            close(descriptor)
            throw RESPError(message: "connect \(path): errno \(errno)")
        }
    }

    deinit {
        close(descriptor)
    }

    func command(_ arguments: String...) throws -> ScriptValue {
        try command(arguments.map { Array($0.utf8) })
    }

    func command(_ arguments: [[UInt8]]) throws -> ScriptValue {
        try send(arguments)
        return try reply()
    }

    func send(_ arguments: [[UInt8]]) throws {
        var out = Array("*\(arguments.count)\r\n".utf8)
        for argument in arguments {
            out += Array("$\(argument.count)\r\n".utf8) + argument + [13, 10]
        }
        var sent = 0
        while sent < out.count {
            let count = out[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw RESPError(message: "send: errno \(errno)") }
            sent += count
        }
    }

    /// The next reply.
    func reply() throws -> ScriptValue {
        let line = try readLine()
        let rest = Array(line.dropFirst())
        switch line.first {
        case UInt8(ascii: "+"): return .bytes(rest)
        case UInt8(ascii: "-"): throw RESPError(message: String(decoding: rest, as: UTF8.self))
        case UInt8(ascii: ":"): return .integer(try number(rest))
        case UInt8(ascii: "$"):
            let length = try number(rest)
            guard length >= 0 else { return .null }
            let bytes = try readExactly(Int(length) + 2)
            return .bytes(Array(bytes.dropLast(2)))
        case UInt8(ascii: "*"):
            let count = try number(rest)
            guard count >= 0 else { return .null }
            return .array(try (0..<count).map { _ in try reply() })
        default:
            throw RESPError(message: "unexpected reply line \(String(decoding: line, as: UTF8.self).debugDescription)")
        }
    }

    private func number(_ bytes: [UInt8]) throws -> Int64 {
        guard let value = Int64(String(decoding: bytes, as: UTF8.self)) else { throw RESPError(message: "bad number in reply") }
        return value
    }

    private func readLine() throws -> [UInt8] {
        while true {
            if let end = input[position...].firstIndex(of: 10), end > position, input[end - 1] == 13 {
                defer { position = end + 1 }
                return Array(input[position..<(end - 1)])
            }
            try fill()
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        while input.count - position < count { try fill() }
        defer { position += count }
        return Array(input[position..<(position + count)])
    }

    private func fill() throws {
        if position > 0 {
            input.removeFirst(position)
            position = 0
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        // errno is read at once, inside the closure: anything called after recv (a sanitizer's
        // interceptor, a free) may change it. A signal interrupting the wait is not an error.
        var failure: Int32 = 0
        var count: Int
        repeat {
            count = chunk.withUnsafeMutableBytes { bytes in
                let received = recv(descriptor, bytes.baseAddress, bytes.count, 0)
                failure = received < 0 ? errno : 0
                return received
            }
        } while count < 0 && failure == EINTR
        guard count > 0 else { throw RESPError(message: count == 0 ? "connection closed" : "recv: errno \(failure) (timed out?)") }
        input += chunk[..<count]
    }
}
