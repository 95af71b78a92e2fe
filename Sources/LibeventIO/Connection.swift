// A TCP (or Unix-domain) connection: a socket, its input and output (`ConnectionInput`,
// `ConnectionOutput`, each owning its buffer and its rules), a read and a write event, and the
// phase it is in (`Connection.Phase`).
//
// Lifetime: the connection retains itself once when it is created and releases that reference
// once, in `close()`. So a callback can never see a freed connection, and a connection nobody
// closes is a leak that shows: every path that ends a connection must call `close()`.
//
// Reading (`Connection+Reading.swift`) pauses while the input holds the high watermark or more.
// Writing (`Connection+Writing.swift`): the write event is armed only while the socket takes less
// than what is queued, and disarmed once the output is empty. So a request answered at once costs
// no epoll_ctl, and a connection written many times in one turn (a head and its body) is written
// once. `writeNow` skips all that for a connection's one write in a turn (a fan-out visit).
//
// Connecting: bytes queued while a connect is under way are tried at the end of that turn. On
// loopback the handshake is over by then, so the send that the socket takes ends the connect, with
// no wait for the write event (an epoll round and a getsockopt fewer per connect); a socket still
// connecting refuses it (EAGAIN) and the write event reports the connect as before.
//
// Closing: `closeWhenFlushed` stops reading and closes once the output is written, or lingers
// (`Connection+Linger.swift`).

internal import CLibevent
import Glibc

/// What a connection's owner hears from it. All calls arrive on the loop's thread.
public protocol ConnectionDelegate: AnyObject {
    /// New bytes are in the input buffer.
    func connectionDidRead(_ connection: Connection)
    /// The output was flushed: written down to its low watermark (0 unless set otherwise).
    func connectionDidFlush(_ connection: Connection)
    /// An outgoing connect finished.
    func connectionDidConnect(_ connection: Connection)
    /// The peer closed, an error happened, or a timeout passed. Bytes already read stay in the
    /// input buffer; the owner decides when to `close()`.
    func connection(_ connection: Connection, didEndWith reason: ConnectionEnd)
    /// The connection was closed (by `close()`, or after `closeWhenFlushed()` finished).
    func connectionDidClose(_ connection: Connection)
}

extension ConnectionDelegate {
    public func connectionDidConnect(_ connection: Connection) {}
    public func connectionDidClose(_ connection: Connection) {}
}

/// Why a connection stopped being usable.
public enum ConnectionEnd: Sendable, Equatable, CustomStringConvertible {
    /// The peer closed its side (EOF).
    case closedByPeer
    /// A socket error, with errno.
    case error(Int32)
    /// A read or write timeout set with `setTimeouts` passed.
    case timeout
    /// An outgoing connect failed, with errno.
    case connectFailed(Int32)

    public var description: String {
        switch self {
        case .closedByPeer: "closed by peer"
        case .error(let code): "error: \(String(cString: strerror(code)))"
        case .timeout: "timeout"
        case .connectFailed(let code): "connect failed: \(String(cString: strerror(code)))"
        }
    }
}

/// A buffered TCP connection on one loop. Not thread-safe: use it on its loop's thread only.
public final class Connection {
    /// Where a connection is in its life; each phase carries what is valid only in it.
    enum Phase {
        /// An outgoing connect is under way; the write event waits for its end.
        case connecting(Connecting)
        /// Reading and writing as the owner asks.
        case open
        /// `closeWhenFlushed`: no reading; closes (or lingers) once the output is written.
        case closingWhenFlushed(linger: Linger?)
        /// The output written and the write side shut: reads only discard, the owner hears nothing
        /// more, and the socket closes when the peer does, goes quiet or `until` passes
        /// (`MonotonicClock` nanoseconds).
        case lingering(Linger, until: UInt64)
        case closed
    }

    struct Connecting {
        /// The send at the end of the connect's turn was tried (once); when refused, the write
        /// event ends the connect.
        var earlySendTried = false
        /// A connect that failed at once, reported from the write event like any other failure.
        var error: Int32 = 0
        /// `closeWhenFlushed` was called meanwhile: the phase after connecting (with its linger).
        var thenClosing: Linger?? = nil
    }

    let fd: Int32
    /// Strong, and a constant: reading it then needs no retain (an unowned(unsafe) one is retained
    /// around each call made through it). The loop holds a connection only while it is queued
    /// for a flush, so this makes no cycle.
    let loop: EventLoop
    // Phase, input and output are touched on the loop's thread only, and their methods call
    // nothing that could touch them again, so exclusivity is not checked at run time (as
    // EventLoop's flush queue).
    @exclusivity(unchecked) var phase: Phase = .open
    @exclusivity(unchecked) var input: ConnectionInput
    @exclusivity(unchecked) var output: ConnectionOutput
    var readEvent: OpaquePointer?
    var writeEvent: OpaquePointer?
    /// The read event is armed.
    var readArmed = false
    var readTimeout: timeval?
    var writeTimeout: timeval?
    /// Who hears this connection's events, kept alive by it until it closes.
    var delegate: (any ConnectionDelegate)?

    /// The peer's address, for X-Forwarded-For and logs ("" when unknown). Its owner replaces it
    /// with the client's when a PROXY protocol header names the client.
    public var peerHost: String
    /// Bytes the socket took so far (the access log's size of a stream).
    public var bytesSent: UInt64 { output.bytesSent }
    /// Bytes still queued when the connection closed (discarded): 0 when everything went out.
    public private(set) var unsentAtClose = 0

    /// Wraps an accepted (non-blocking) socket.
    convenience init(loop: EventLoop, accepted fd: Int32, peerHost: String) throws(LibeventError) {
        try self.init(loop: loop, socket: fd, peerHost: peerHost)
        updateReading()
    }

    private init(loop: EventLoop, socket fd: Int32, peerHost: String = "") throws(LibeventError) {
        guard let input = ConnectionInput() else { throw LibeventError(operation: "evbuffer_new") }
        guard let output = ConnectionOutput() else {
            input.free()
            throw LibeventError(operation: "evbuffer_new")
        }
        self.fd = fd
        self.loop = loop
        self.input = input
        self.output = output
        self.peerHost = peerHost
        // SAFETY: the +1 taken here is released in close(), after both events are freed, so every
        // callback runs while the connection is alive.
        let arg = Unmanaged.passRetained(self).toOpaque()
        readEvent = event_new(loop.base, fd, Int16(EV_READ | EV_PERSIST), connectionReadCallback, arg)
        writeEvent = event_new(loop.base, fd, Int16(EV_WRITE | EV_PERSIST), connectionWriteCallback, arg)
        if readEvent == nil || writeEvent == nil {
            // Undo the above but leave the socket: the caller still owns it and closes it.
            tearDown(closingSocket: false)
            throw LibeventError(operation: "event_new")
        }
    }

    /// Starts connecting to `address`; the delegate hears `connectionDidConnect` or
    /// `didEndWith: .connectFailed`/`.timeout` (after `timeout`).
    /// `source`, when given, is bound before connecting (a load generator spreads its connections
    /// over 127.0.0.x to get past the 64k ephemeral ports of one address).
    public static func connect(loop: EventLoop, to address: SocketAddress, from source: SocketAddress? = nil,
                               timeout: Duration) throws(LibeventError) -> Connection {
        let fd = socket(Int32(address.family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try LibeventError.check(fd, "socket")
        if let source {
            // IP_BIND_ADDRESS_NO_PORT (24): pick the port at connect time, per destination.
            var on: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_IP), 24, &on, socklen_t(MemoryLayout<Int32>.size))
            let bound = source.withSockaddr { pointer, length in bind(fd, pointer, socklen_t(length)) }
            if bound < 0 {
                let error = LibeventError(operation: "bind \(source)")
                _ = Glibc.close(fd)
                throw error
            }
        }
        // Nagle is TCP's: a Unix-domain socket has nothing to disable.
        if address.family != AF_UNIX { disableNagle(fd) }
        let connection: Connection
        do {
            connection = try Connection(loop: loop, socket: fd)
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
        var connecting = Connecting()
        let result = address.withSockaddr { pointer, length in Glibc.connect(fd, pointer, socklen_t(length)) }
        if result < 0 && errno != EINPROGRESS { connecting.error = errno }
        connection.phase = .connecting(connecting)
        connection.setTimeouts(read: timeout, write: timeout)
        // The write event reports the connect's end, or the failure noted above.
        connection.armWrite()
        if connecting.error != 0, let event = connection.writeEvent { event_active(event, Int32(EV_WRITE), 0) }
        return connection
    }

    /// Sets who hears this connection's events and keeps it alive until the connection closes.
    public func attach(_ delegate: any ConnectionDelegate) {
        self.delegate = delegate
    }

    public var isClosed: Bool {
        if case .closed = phase { return true }
        return false
    }

    /// Frees the socket now; unsent output is discarded. Safe to call more than once.
    public func close() {
        guard !isClosed else { return }
        tearDown(closingSocket: true)
    }

    /// Frees the socket now with a TCP reset (SO_LINGER 0) instead of an orderly close: the peer
    /// sees an error where a close would read as the end of a body delimited by it. Unsent output
    /// is discarded.
    public func reset() {
        guard !isClosed else { return }
        var abortive = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    /// Frees the events and buffers (and the socket, unless its owner keeps it), tells the
    /// delegate, and drops the reference the events held.
    private func tearDown(closingSocket: Bool) {
        phase = .closed
        if let readEvent { event_free(readEvent) }
        if let writeEvent { event_free(writeEvent) }
        readEvent = nil
        writeEvent = nil
        readArmed = false
        output.writeArmed = false
        unsentAtClose = output.free(loop: loop)
        input.free()
        if closingSocket { _ = Glibc.close(fd) }
        let delegate = delegate
        self.delegate = nil
        delegate?.connectionDidClose(self)
        Unmanaged.passUnretained(self).release()
    }

    // MARK: Connecting

    /// The socket is writable while connecting: the connect ended (or failed at once).
    func connected(_ connecting: Connecting) {
        var code = connecting.error
        if code == 0 {
            var length = socklen_t(MemoryLayout<Int32>.size)
            if getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) < 0 { code = errno }
        }
        if code == EINPROGRESS || code == EINTR { return }
        finishConnect(connecting, failure: code)
    }

    /// The end of the turn in which bytes were queued on a connect under way (see the top).
    func sendWhileConnecting(_ connecting: Connecting) {
        guard connecting.error == 0, !connecting.earlySendTried, output.count > 0 else { return }
        var tried = connecting
        tried.earlySendTried = true
        phase = .connecting(tried)
        let sent = output.write(to: fd)
        if sent > 0 {
            finishConnect(tried, failure: 0)
            if output.count == 0 { flushed() }
        } else if sent < 0 && errno != EAGAIN && errno != EINTR {
            finishConnect(tried, failure: errno)
        }
    }

    /// The connect ended: `failure` is its errno, 0 when connected.
    private func finishConnect(_ connecting: Connecting, failure code: Int32) {
        if let linger = connecting.thenClosing {
            phase = .closingWhenFlushed(linger: linger)
        } else {
            phase = .open
        }
        if code != 0 {
            end(.connectFailed(code))
            return
        }
        disarmWrite()
        updateReading()
        // What was queued while connecting (and not yet sent) goes now.
        if output.count > 0 { queued() }
        delegate?.connectionDidConnect(self)
    }

    // MARK: Events

    /// Read and write inactivity timeouts (nil = none); firing ends the connection with `.timeout`.
    public func setTimeouts(read: Duration?, write: Duration?) {
        switch phase {
        case .closed, .lingering: return  // a linger keeps its own bounds
        case .connecting, .open, .closingWhenFlushed: break
        }
        readTimeout = read.map(timeval.init)
        writeTimeout = write.map(timeval.init)
        if readArmed, let readEvent { add(readEvent, timeout: readTimeout, replacing: true) }
        if output.writeArmed, let writeEvent { add(writeEvent, timeout: writeTimeout, replacing: true) }
    }

    /// Arms `event`. Adding a pending event without a timeout keeps its old one, so `replacing`
    /// removes that.
    func add(_ event: OpaquePointer, timeout: timeval?, replacing: Bool = false) {
        if var time = timeout {
            event_add(event, &time)
        } else {
            event_add(event, nil)
            if replacing { event_remove_timer(event) }
        }
    }

    func armWrite() {
        guard !output.writeArmed, let writeEvent else { return }
        output.writeArmed = true
        add(writeEvent, timeout: writeTimeout)
    }

    func disarmWrite() {
        guard output.writeArmed, let writeEvent else { return }
        output.writeArmed = false
        event_del(writeEvent)
    }

    /// Caps the kernel's send buffer for this socket at `bytes` (Linux doubles the value for its
    /// bookkeeping and stops growing the buffer by itself, up to 4 MiB by default).
    public func setSendBufferSize(_ bytes: Int) {
        guard !isClosed else { return }
        var size = Int32(clamping: bytes)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    static func disableNagle(_ fd: Int32) {
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    // MARK: Endings

    /// The peer closed, a call failed or a timeout passed: the owner decides what follows, unless
    /// the connection was closing anyway.
    func end(_ reason: ConnectionEnd) {
        switch phase {
        case .closingWhenFlushed, .lingering:
            return close()
        case .connecting(let connecting) where connecting.thenClosing != nil:
            return close()
        case .closed:
            return
        case .connecting, .open:
            if let delegate { delegate.connection(self, didEndWith: reason) } else { close() }
        }
    }
}

// MARK: - C callbacks

/// Fires when the socket is readable or the read timeout passed.
private func connectionReadCallback(_ fd: Int32, _ what: Int16, _ arg: UnsafeMutableRawPointer?) {
    // SAFETY: arg holds the +1 taken in init; close() frees this event before releasing it.
    Unmanaged<Connection>.fromOpaque(arg!).takeUnretainedValue().readable(what)
}

/// Fires when the socket is writable (a connect finished, or room for more) or the write timeout passed.
private func connectionWriteCallback(_ fd: Int32, _ what: Int16, _ arg: UnsafeMutableRawPointer?) {
    // SAFETY: as above.
    Unmanaged<Connection>.fromOpaque(arg!).takeUnretainedValue().writable(what)
}
