internal import CLibevent
import Glibc

/// A listening socket served by one loop. Several loops listen on the same address with
/// SO_REUSEPORT and the kernel spreads new connections between them (or, on a socket inherited
/// from systemd, each loop accepts on its own descriptor of the one socket).
public final class Listener {
    private var listener: OpaquePointer?
    private let loop: EventLoop
    private let onAccept: (Connection) -> Void
    /// Re-enables accepting after the process ran out of file descriptors.
    private var retryTimer: LoopTimer?

    /// The address actually bound (its port is the real one when 0 was asked for).
    public let address: SocketAddress

    /// Binds `address` and calls `onAccept` on the loop's thread for each new connection.
    /// `joining`: another loop of this process already listens on `address` and this one shares
    /// its port (see `ListeningSocket.bind`).
    public convenience init(loop: EventLoop, address: SocketAddress, joining: Bool = false,
                            _ onAccept: @escaping (Connection) -> Void) throws(LibeventError) {
        try self.init(loop: loop, adopting: ListeningSocket.bind(address, joining: joining), onAccept)
    }

    /// Accepts on `socket`, which this listener now owns (it closes it), calling `onAccept` on the
    /// loop's thread for each new connection.
    public init(loop: EventLoop, adopting socket: ListeningSocket, _ onAccept: @escaping (Connection) -> Void) throws(LibeventError) {
        self.loop = loop
        self.onAccept = onAccept
        address = socket.address
        // Backlog 0: the socket listens already.
        let flags = UInt32(LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC)
        guard let created = evconnlistener_new(loop.base, listenerAcceptCallback, nil, flags, 0, socket.fd) else {
            let error = LibeventError(operation: "listen on \(socket.address)")
            socket.close()
            throw error
        }
        listener = created
        // SAFETY: the listener is freed in deinit (or close), so the callbacks never outlive self.
        let arg = Unmanaged.passUnretained(self).toOpaque()
        evconnlistener_set_cb(created, listenerAcceptCallback, arg)
        evconnlistener_set_error_cb(created, listenerErrorCallback)
    }

    deinit { close() }

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
