// A TCP connection: a libevent bufferevent with an input and an output buffer.
//
// Lifetime: the connection retains itself once when its callbacks are set and releases that
// reference once, in `close()`. So a callback can never see a freed connection, and a connection
// nobody closes is a leak that shows: every path that ends a connection must call `close()`.
//
// Writing: bytes queued in a callback are written once that turn of the loop has run every ready
// callback (`EventLoop.deferFlush`), in one writev per connection, straight from the output buffer.
// libevent's write event is enabled only while the socket takes less than what is queued, and
// disabled again once the output is empty. So a request answered at once costs no epoll_ctl, and
// a connection written many times in one turn (a fan-out batch, a head and its body) is written
// once.

internal import CLibevent
#if canImport(Glibc)
import Glibc
#endif

/// What a connection's owner hears from it. All calls arrive on the loop's thread.
public protocol ConnectionDelegate: AnyObject {
    /// New bytes are in the input buffer.
    func connectionDidRead(_ connection: Connection)
    /// The output buffer drained to its low watermark (0 unless set otherwise).
    func connectionDidDrain(_ connection: Connection)
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
    private var bev: OpaquePointer?
    private unowned let loop: EventLoop
    private var connecting = false
    /// Queued for the loop's end-of-turn flush.
    private var flushPending = false
    /// libevent's write event is on: the socket took less than what was queued.
    private var writeEventEnabled = false
    /// `connectionDidDrain` fires when a write leaves at most this many bytes queued.
    private var lowWatermark = 0
    public weak var delegate: ConnectionDelegate?
    /// Keeps the owner (usually the delegate) alive as long as the connection is open.
    private var owner: AnyObject?
    /// Set once by `closeWhenFlushed()`: the connection closes as soon as its output is empty.
    private var closingWhenFlushed = false

    /// The peer's address, for X-Forwarded-For and logs ("" when unknown).
    public private(set) var peerHost: String = ""

    /// Wraps an accepted socket.
    init(loop: EventLoop, fd: Int32) throws(LibeventError) {
        let created = bufferevent_socket_new(loop.base, fd, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue))
        self.loop = loop
        bev = try LibeventError.check(created, "bufferevent_socket_new")
        if let peer = try? SocketAddress.peer(of: fd) { peerHost = peer.host }
        installCallbacks()
    }

    /// Starts connecting to `address`; the delegate hears `connectionDidConnect` or
    /// `didEndWith: .connectFailed`/`.timeout` (after `timeout`).
    /// `source`, when given, is bound before connecting (a load generator spreads its connections
    /// over 127.0.0.x to get past the 64k ephemeral ports of one address).
    public static func connect(loop: EventLoop, to address: SocketAddress, from source: SocketAddress? = nil,
                               timeout: Duration) throws(LibeventError) -> Connection {
        var fd: Int32 = -1
        if let source {
            fd = socket(Int32(source.family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            try LibeventError.check(fd, "socket")
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
        let created = bufferevent_socket_new(loop.base, fd, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue))
        let connection = try Connection(loop: loop, bufferevent: LibeventError.check(created, "bufferevent_socket_new"))
        connection.connecting = true
        connection.setTimeouts(read: timeout, write: timeout)
        let result = address.withSockaddr { pointer, length in
            bufferevent_socket_connect(connection.bev, UnsafeMutablePointer(mutating: pointer), length)
        }
        if result < 0 {
            connection.close()
            throw LibeventError(operation: "connect \(address)")
        }
        Connection.disableNagle(bufferevent_getfd(connection.bev))
        return connection
    }

    private init(loop: EventLoop, bufferevent: OpaquePointer) {
        self.loop = loop
        bev = bufferevent
        installCallbacks()
    }

    private func installCallbacks() {
        // SAFETY: the +1 taken here is released in close(), after bufferevent_free, so every
        // callback runs while the connection is alive.
        let arg = Unmanaged.passRetained(self).toOpaque()
        bufferevent_setcb(bev, connectionReadCallback, connectionWriteCallback, connectionEventCallback, arg)
        // Writing starts disabled (libevent enables it on every new bufferevent): see the design
        // note. A connect still completes: libevent watches the socket for it whatever is enabled.
        bufferevent_disable(bev, Int16(EV_WRITE))
        bufferevent_enable(bev, Int16(EV_READ))
    }

    /// Sets who hears this connection's events and keeps it alive until the connection closes.
    public func attach(_ delegate: ConnectionDelegate & AnyObject) {
        self.delegate = delegate
        owner = delegate
    }

    public var isClosed: Bool { bev == nil }

    /// Frees the socket now; unsent output is discarded. Safe to call more than once.
    public func close() {
        guard let bev else { return }
        bufferevent_setcb(bev, nil, nil, nil, nil)
        bufferevent_free(bev)
        self.bev = nil
        let delegate = delegate
        owner = nil
        self.delegate = nil
        delegate?.connectionDidClose(self)
        Unmanaged.passUnretained(self).release()
    }

    /// Stops reading and closes once every queued byte was written (or the write fails).
    public func closeWhenFlushed() {
        guard let bev else { return }
        closingWhenFlushed = true
        bufferevent_disable(bev, Int16(EV_READ))
        bufferevent_setwatermark(bev, Int16(EV_WRITE), 0, 0)
        lowWatermark = 0
        if outputCount == 0 { close() }
    }

    // MARK: Reading

    /// Bytes waiting in the input buffer.
    public var inputCount: Int {
        guard let bev else { return 0 }
        return evbuffer_get_length(bufferevent_get_input(bev))
    }

    /// Gives `body` a contiguous view of the first `count` input bytes (at most what is there).
    /// Linearizes only that prefix; the view is valid during `body` only.
    public func withInput<R, E: Error>(upTo count: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        guard let bev else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        let input = bufferevent_get_input(bev)
        let length = min(count, evbuffer_get_length(input))
        guard length > 0, let start = evbuffer_pullup(input, length) else {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeRawBufferPointer(start: start, count: length))
    }

    /// Discards the first `count` input bytes.
    public func drainInput(_ count: Int) {
        guard let bev, count > 0 else { return }
        evbuffer_drain(bufferevent_get_input(bev), count)
    }

    /// Moves up to `count` input bytes to `other`'s output without copying them; returns how many.
    @discardableResult
    public func moveInput(to other: Connection, count: Int) -> Int {
        guard let bev, let target = other.bev, count > 0 else { return 0 }
        let moved = evbuffer_remove_buffer(bufferevent_get_input(bev), bufferevent_get_output(target), count)
        if moved > 0 { other.queued() }
        return max(0, Int(moved))
    }

    /// Reads on or off (for back-pressure). Reading resumes only while the connection is open.
    public func setReading(_ enabled: Bool) {
        guard let bev, !closingWhenFlushed else { return }
        if enabled { bufferevent_enable(bev, Int16(EV_READ)) } else { bufferevent_disable(bev, Int16(EV_READ)) }
    }

    /// Stops reading from the socket while `count` or more bytes wait unread (0 = no bound).
    public func setInputHighWatermark(_ count: Int) {
        guard let bev else { return }
        bufferevent_setwatermark(bev, Int16(EV_READ), 0, count)
    }

    // MARK: Writing

    /// Bytes queued and not yet written to the socket.
    public var outputCount: Int {
        guard let bev else { return 0 }
        return evbuffer_get_length(bufferevent_get_output(bev))
    }

    public func write(_ bytes: [UInt8]) {
        guard let bev, !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { _ = bufferevent_write(bev, $0.baseAddress, $0.count) }
        queued()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard let bev, bytes.count > 0 else { return }
        bufferevent_write(bev, bytes.baseAddress, bytes.count)
        queued()
    }

    public func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    /// Queues `bytes` by reference, without copying them: `owner` (which keeps the bytes alive and
    /// unchanged) is retained until libevent has written them or the connection is freed.
    public func write(retaining owner: AnyObject, bytes: UnsafeRawBufferPointer) {
        guard let bev, let base = bytes.baseAddress, bytes.count > 0 else { return }
        let retained = Unmanaged.passRetained(owner).toOpaque()
        if evbuffer_add_reference(bufferevent_get_output(bev), base, bytes.count, sharedBytesCleanup, retained) != 0 {
            Unmanaged<AnyObject>.fromOpaque(retained).release()
        }
        queued()
    }

    /// Writes what is queued to the socket now, instead of at the end of the loop's turn. For
    /// answers that must not wait behind a long callback.
    public func flushNow() {
        flush()
    }

    /// `connectionDidDrain` fires when the output falls to `count` bytes or fewer.
    public func setOutputLowWatermark(_ count: Int) {
        guard let bev, !closingWhenFlushed else { return }
        bufferevent_setwatermark(bev, Int16(EV_WRITE), count, 0)
        lowWatermark = count
    }

    /// Bytes were added to the output: have them written at the end of this turn, unless libevent
    /// is already writing (its write event takes new bytes too) or the connect is under way.
    private func queued() {
        guard !flushPending, !writeEventEnabled, !connecting, bev != nil else { return }
        flushPending = true
        loop.deferFlush(self)
    }

    /// Writes the output to the socket (one writev, as much as it takes); hands what is left to
    /// libevent's write event. Fires on the loop's thread, from `EventLoop.deferFlush`'s turn end.
    func flush() {
        flushPending = false
        guard let bev, !connecting, !writeEventEnabled else { return }
        let output = bufferevent_get_output(bev)
        guard evbuffer_get_length(output) > 0 else { return }
        // A bufferevent keeps the front of its output frozen except while it writes itself.
        evbuffer_unfreeze(output, 1)
        let written = evbuffer_write(output, bufferevent_getfd(bev))
        evbuffer_freeze(output, 1)
        if evbuffer_get_length(output) > 0 {
            // The socket is full (EAGAIN) or failing: libevent writes the rest, or reports the
            // error through the event callback.
            writeEventEnabled = true
            bufferevent_enable(bev, Int16(EV_WRITE))
        } else if written > 0 {
            drained()
        }
    }

    /// Read and write inactivity timeouts (nil = none); firing ends the connection with `.timeout`.
    public func setTimeouts(read: Duration?, write: Duration?) {
        guard let bev else { return }
        var readTime = read.map(timeval.init) ?? timeval()
        var writeTime = write.map(timeval.init) ?? timeval()
        withUnsafePointer(to: &readTime) { readPointer in
            withUnsafePointer(to: &writeTime) { writePointer in
                _ = bufferevent_set_timeouts(bev, read == nil ? nil : readPointer, write == nil ? nil : writePointer)
            }
        }
    }

    static func disableNagle(_ fd: Int32) {
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    // MARK: Events from libevent

    fileprivate func readable() {
        delegate?.connectionDidRead(self)
    }

    fileprivate func drained() {
        if writeEventEnabled, outputCount == 0, let bev {
            // Everything libevent had is written: back to writing at the end of each turn.
            writeEventEnabled = false
            bufferevent_disable(bev, Int16(EV_WRITE))
        }
        if closingWhenFlushed {
            if outputCount == 0 { close() }
            return
        }
        delegate?.connectionDidDrain(self)
    }

    fileprivate func event(_ what: Int16) {
        if what & Int16(BEV_EVENT_CONNECTED) != 0 {
            connecting = false
            // What was queued while connecting goes now.
            if outputCount > 0 { queued() }
            delegate?.connectionDidConnect(self)
            return
        }
        let end: ConnectionEnd
        if what & Int16(BEV_EVENT_TIMEOUT) != 0 {
            end = .timeout
        } else if what & Int16(BEV_EVENT_EOF) != 0 {
            end = .closedByPeer
        } else {
            let code = errno
            end = connecting ? .connectFailed(code) : .error(code)
        }
        if closingWhenFlushed {
            close()
            return
        }
        if let delegate { delegate.connection(self, didEndWith: end) } else { close() }
    }
}

// MARK: - C callbacks

/// Fires when libevent no longer needs bytes added with `write(retaining:bytes:)`.
private func sharedBytesCleanup(_ data: UnsafeRawPointer?, _ length: Int, _ arg: UnsafeMutableRawPointer?) {
    // SAFETY: arg is the +1 on the owner taken in write(retaining:bytes:); released exactly once here.
    Unmanaged<AnyObject>.fromOpaque(arg!).release()
}

/// Fires when new bytes were read into the input buffer.
private func connectionReadCallback(_ bev: OpaquePointer?, _ arg: UnsafeMutableRawPointer?) {
    // SAFETY: arg holds the +1 taken in installCallbacks; close() clears the callbacks first.
    Unmanaged<Connection>.fromOpaque(arg!).takeUnretainedValue().readable()
}

/// Fires when the output buffer drained to the write low watermark.
private func connectionWriteCallback(_ bev: OpaquePointer?, _ arg: UnsafeMutableRawPointer?) {
    // SAFETY: as above.
    Unmanaged<Connection>.fromOpaque(arg!).takeUnretainedValue().drained()
}

/// Fires on connect, EOF, error or timeout.
private func connectionEventCallback(_ bev: OpaquePointer?, _ what: Int16, _ arg: UnsafeMutableRawPointer?) {
    // SAFETY: as above.
    Unmanaged<Connection>.fromOpaque(arg!).takeUnretainedValue().event(what)
}
