internal import CLibevent
#if canImport(Glibc)
import Glibc
#endif

/// A listening socket on one loop. Several loops listen on the same address with SO_REUSEPORT and
/// the kernel spreads new connections between them.
public final class Listener {
    private var listener: OpaquePointer?
    private let loop: EventLoop
    private let onAccept: (Connection) -> Void
    /// Re-enables accepting after the process ran out of file descriptors.
    private var retryTimer: LoopTimer?

    /// The address actually bound (its port is the real one when 0 was asked for).
    public let address: SocketAddress

    /// Accept backlog: large enough for a subscribe storm of thousands of browsers reconnecting at once.
    static let backlog: Int32 = 4096

    /// Binds `address` and calls `onAccept` on the loop's thread for each new connection.
    /// `joining`: another loop of this process already listens on `address` and this one shares
    /// its port; otherwise the address must be free of every other listener (see `claim`).
    public init(loop: EventLoop, address: SocketAddress, joining: Bool = false,
                _ onAccept: @escaping (Connection) -> Void) throws(LibeventError) {
        if !joining { try Self.claim(address) }
        self.loop = loop
        self.onAccept = onAccept
        // Deferred accept (TCP_DEFER_ACCEPT, 1 s): an HTTP client speaks first, so the kernel hands
        // over a connection with its request and wakes the loop once, not for the handshake and
        // again for the bytes. A client that stays silent is handed over after the second anyway
        // (the kernel's next SYN-ACK), and the owner's idle timeout ends it.
        let flags = UInt32(LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT
                           | LEV_OPT_DEFERRED_ACCEPT)
        let created = address.withSockaddr { pointer, length in
            evconnlistener_new_bind(loop.base, listenerAcceptCallback, nil, flags, Self.backlog, pointer, length)
        }
        let bound = try LibeventError.check(created, "bind \(address)")
        listener = bound
        self.address = try SocketAddress.local(of: evconnlistener_get_fd(bound))
        // SAFETY: the listener is freed in deinit (or close), so the callbacks never outlive self.
        let arg = Unmanaged.passUnretained(self).toOpaque()
        evconnlistener_set_cb(bound, listenerAcceptCallback, arg)
        evconnlistener_set_error_cb(bound, listenerErrorCallback)
    }

    deinit { close() }

    /// SO_REUSEPORT lets any socket of the same user bind a port that is being listened on, in
    /// another process too: a second Herald started by mistake on the same address would silently
    /// share the first one's connections and publishes, and the subscribers of each would miss the
    /// events published to the other. So the first listener on an address binds it once without
    /// SO_REUSEPORT, which fails (EADDRINUSE) while anything listens there. Sockets in TIME_WAIT do
    /// not count (SO_REUSEADDR), and two processes starting in the same instant can still pass.
    static func claim(_ address: SocketAddress) throws(LibeventError) {
        let fd = socket(Int32(address.family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try LibeventError.check(fd, "socket")
        defer { _ = Glibc.close(fd) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        let bound = address.withSockaddr { pointer, length in bind(fd, pointer, socklen_t(length)) }
        if bound < 0 { throw LibeventError(operation: "bind \(address) (is another process listening on it?)") }
    }

    /// Stops accepting and closes the socket.
    public func close() {
        retryTimer = nil
        if let listener { evconnlistener_free(listener) }
        listener = nil
    }

    /// `peer` is the address accept() filled in (no getpeername per connection).
    fileprivate func accepted(fd: Int32, peer: UnsafePointer<sockaddr>?) {
        Connection.disableNagle(fd)
        guard let connection = try? Connection(loop: loop, accepted: fd, peerHost: peer.map(SocketAddress.host(of:)) ?? "") else {
            _ = Glibc.close(fd)
            return
        }
        onAccept(connection)
    }

    /// Out of descriptors (EMFILE) or similar: pause accepting briefly instead of spinning.
    fileprivate func acceptFailed() {
        guard let listener else { return }
        evconnlistener_disable(listener)
        let timer = retryTimer ?? LoopTimer(loop: loop) { [weak self] in
            if let listener = self?.listener { evconnlistener_enable(listener) }
        }
        retryTimer = timer
        timer.schedule(after: .milliseconds(100))
    }
}

// MARK: - C callbacks

/// Fires for each accepted connection.
private func listenerAcceptCallback(_ listener: OpaquePointer?, _ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?,
                                    _ length: Int32, _ arg: UnsafeMutableRawPointer?) {
    // SAFETY: arg is the Listener, which frees the evconnlistener before it goes away; `address`
    // is valid during this call.
    Unmanaged<Listener>.fromOpaque(arg!).takeUnretainedValue().accepted(fd: fd, peer: address.map { UnsafePointer($0) })
}

/// Fires when accept() fails (typically EMFILE).
private func listenerErrorCallback(_ listener: OpaquePointer?, _ arg: UnsafeMutableRawPointer?) {
    // SAFETY: as above; the error callback shares the accept callback's arg.
    Unmanaged<Listener>.fromOpaque(arg!).takeUnretainedValue().acceptFailed()
}
