// A plain client socket for socket-level tests: connected (blocking) to a loopback port, then
// non-blocking, read and written by the test's timers on the loop's thread.

import LibeventIO
import Testing
import Glibc

final class RawPeer {
    let fd: Int32
    private(set) var received: [UInt8] = []
    private(set) var sawEnd = false

    /// `receiveBuffer`, when given, caps the kernel's receive buffer (set before connecting, so the
    /// window is small from the start).
    init(port: UInt16, receiveBuffer: Int32? = nil) throws {
        fd = try RawPeer.connectLoopback(port: port, receiveBuffer: receiveBuffer)
    }

    /// A socket connected (blocking) to 127.0.0.1:`port`, then made non-blocking.
    static func connectLoopback(port: UInt16, receiveBuffer: Int32? = nil) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }

    deinit { _ = Glibc.close(fd) }

    /// Sends all of `bytes` (small: the socket takes them at once); false when it did not.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count
    }

    /// Reads everything waiting now (at most 64 KiB a call, bounded by what the kernel holds).
    func readAvailable() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !sawEnd {
            let result = recv(fd, &buffer, buffer.count, 0)
            if result > 0 {
                received += buffer[..<result]
            } else {
                if result == 0 { sawEnd = true }
                break
            }
        }
    }
}

/// Bytes shared by reference (`write(retaining:bytes:)`, `writeNow`): alive while retained.
final class SharedBytes {
    let storage: UnsafeMutableRawBufferPointer

    init(_ bytes: [UInt8]) {
        storage = .allocate(byteCount: bytes.count, alignment: 16)
        storage.copyMemory(from: UnsafeRawBufferPointer(start: bytes, count: bytes.count))
    }

    deinit { storage.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(storage) }
}

/// `count` bytes of a pattern that differs by `seed`, so a misplaced piece shows.
func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* 7) }
}

/// A listener on 127.0.0.1 (a port of its own) that keeps what it accepts, attaching `delegate`.
final class Acceptor {
    private(set) var listener: Listener!
    private(set) var accepted: [Connection] = []
    /// Called after each accept with the number accepted so far.
    var onAccept: (Int) -> Void = { _ in }

    init(loop: EventLoop, delegate: @escaping (Int) -> any ConnectionDelegate) throws {
        listener = try Listener(loop: loop, address: try SocketAddress.resolve(host: "127.0.0.1", port: 0)) { [unowned self] connection in
            connection.attach(delegate(accepted.count))
            accepted.append(connection)
            onAccept(accepted.count)
        }
    }

    var port: UInt16 { listener.address.port }
}
