internal import CLibevent
import Glibc

/// A bound, listening TCP socket not yet served by any loop: made on one thread, handed to the
/// loop that will accept on it (`Listener(loop:adopting:)`). Binding apart from the loops lets a
/// reload bind every new socket, or fail, before any loop lets go of its old one; and lets Herald
/// serve sockets it inherited from systemd.
public struct ListeningSocket: Sendable {
    public let fd: Int32
    /// The address bound (its port is the real one when 0 was asked for).
    public let address: SocketAddress

    /// Accept backlog: large enough for a subscribe storm of thousands of browsers reconnecting at once.
    static let backlog: Int32 = 4096

    /// Binds `address` with SO_REUSEPORT and listens. `joining`: another socket of this process
    /// listens on `address` already and this one shares its port (one per loop); otherwise the
    /// address must be free of every other listener (see `claim`).
    public static func bind(_ address: SocketAddress, joining: Bool = false) throws(LibeventError) -> ListeningSocket {
        if !joining { try claim(address) }
        let fd = socket(Int32(address.family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        try LibeventError.check(fd, "socket")
        do throws(LibeventError) {
            var on: Int32 = 1
            let size = socklen_t(MemoryLayout<Int32>.size)
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, size)
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, size)
            // Deferred accept (1 s): an HTTP client speaks first, so the kernel hands over a
            // connection with its request and wakes the loop once, not for the handshake and again
            // for the bytes. A client that stays silent is handed over after the second anyway
            // (the kernel's next SYN-ACK), and the owner's idle timeout ends it.
            if address.unixPath == nil {
                var seconds: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_DEFER_ACCEPT, &seconds, size)
            }
            try LibeventError.check(address.withSockaddr { Glibc.bind(fd, $0, socklen_t($1)) }, "bind \(address)")
            try LibeventError.check(listen(fd, backlog), "listen \(address)")
            return ListeningSocket(fd: fd, address: try SocketAddress.local(of: fd))
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
    }

    /// A listening socket this process inherited (systemd's socket activation), made non-blocking:
    /// several loops accept on it, and a loop that lost the race must hear EAGAIN, not wait.
    public static func inherited(fd: Int32) throws(LibeventError) -> ListeningSocket {
        let flags = try LibeventError.check(fcntl(fd, F_GETFL), "fcntl(\(fd))")
        try LibeventError.check(fcntl(fd, F_SETFL, flags | O_NONBLOCK), "fcntl(\(fd))")
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return ListeningSocket(fd: fd, address: try SocketAddress.local(of: fd))
    }

    private init(fd: Int32, address: SocketAddress) {
        self.fd = fd
        self.address = address
    }

    /// Another descriptor for the same socket, for one more loop to accept on.
    public func duplicate() throws(LibeventError) -> ListeningSocket {
        let copy = try LibeventError.check(fcntl(fd, F_DUPFD_CLOEXEC, 0), "dup(\(fd))")
        return ListeningSocket(fd: copy, address: address)
    }

    /// Closes a socket no loop adopted (a reload that failed after binding it).
    public func close() {
        _ = Glibc.close(fd)
    }

    /// SO_REUSEPORT lets any socket of the same user bind a port that is being listened on, in
    /// another process too: a second Herald started by mistake on the same address would silently
    /// share the first one's connections and publishes, and the subscribers of each would miss the
    /// events published to the other. So the first socket on an address binds it once without
    /// SO_REUSEPORT, which fails (EADDRINUSE) while anything listens there. Sockets in TIME_WAIT do
    /// not count (SO_REUSEADDR), and two processes starting in the same instant can still pass.
    static func claim(_ address: SocketAddress) throws(LibeventError) {
        let fd = socket(Int32(address.family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try LibeventError.check(fd, "socket")
        defer { _ = Glibc.close(fd) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        let bound = address.withSockaddr { pointer, length in Glibc.bind(fd, pointer, socklen_t(length)) }
        if bound < 0 { throw LibeventError(operation: "bind \(address) (is another process listening on it?)") }
    }
}
