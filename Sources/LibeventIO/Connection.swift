// A TCP (or Unix-domain) connection: a socket, an input and an output evbuffer, and a read and a
// write event.
//
// Lifetime: the connection retains itself once when it is created and releases that reference
// once, in `close()`. So a callback can never see a freed connection, and a connection nobody
// closes is a leak that shows: every path that ends a connection must call `close()`.
//
// Reading: the read event reads straight into space reserved at the end of the input buffer (one
// recv per readiness, 4 KiB at first and up to 64 KiB while the socket keeps filling what was
// reserved), so a small request costs one system call and a large body few. libevent's own
// bufferevent asked the kernel for the readable byte count (an ioctl) before every read and read
// at most 4 KiB at a time. Reading pauses while the input holds the high watermark or more.
// A small read into an empty input lands in the loop's scratch instead (`EventLoop.readScratch`):
// the owner takes what it wants during the read callback, and only what it leaves is copied into
// the input buffer. A request or response answered from one read then allocates and frees no
// evbuffer chain (a 4 KiB chain is past glibc's per-thread cache: in callgrind of the proxy under
// 64 connections, two of them per request were about 900 instructions).
//
// Writing: bytes queued in a callback are written once that turn of the loop has run every ready
// callback (`EventLoop.deferFlush`), in one send (or writev) per connection, straight from the output buffer.
// Bytes queued on an empty output are staged in a block of the loop's while they fit (4 KiB: the
// usual answer, a head and a small body), sent from there, and moved into the output buffer only
// when more comes that does not fit or the socket does not take them all; so that answer too
// allocates and frees no evbuffer chain.
// The write event is armed only while the socket takes less than what is queued, and disarmed
// once the output is empty. So a request answered at once costs no epoll_ctl, and a connection
// written many times in one turn (a head and its body) is written once. `writeNow` skips all that
// for a connection's one write in a turn (a fan-out visit): it sends at once when nothing is
// queued, and queues only what the socket does not take.
//
// Connecting: bytes queued while a connect is under way are tried at the end of that turn. On
// loopback the handshake is over by then, so the send that the socket takes ends the connect, with
// no wait for the write event (an epoll round and a getsockopt fewer per connect); a socket still
// connecting refuses it (EAGAIN) and the write event reports the connect as before.
//
// Closing: `closeWhenFlushed` stops reading and closes once the output is written. With a linger
// (`Connection+Linger.swift`) it then shuts the write side instead, and reads and discards input,
// with no callback, until the peer closes, goes quiet or the linger's deadline passes; so a client
// still sending is not reset before it has read the answer.

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
    private let fd: Int32
    /// Strong, and a constant: reading it then needs no retain (an unowned(unsafe) one is retained
    /// around each call made through it). The loop holds a connection only while it is queued
    /// for a flush, so this makes no cycle.
    private let loop: EventLoop
    private let input: OpaquePointer
    private let output: OpaquePointer
    private var readEvent: OpaquePointer?
    private var writeEvent: OpaquePointer?
    private var closed = false
    private var connecting = false
    /// The send at the end of the connect's turn was tried (once); when refused, the write event
    /// ends the connect.
    private var connectSendTried = false
    /// A connect that failed at once, reported from the write event like any other failure.
    private var connectError: Int32 = 0
    /// The owner wants bytes read (`setReading`); reading also waits for the connect, stops at the
    /// high watermark, after the end of the input and once closing.
    private var readingWanted = true
    private var inputEnded = false
    private var readArmed = false
    /// Reading pauses while the input holds this many bytes (0 = no bound).
    private var highWatermark = 0
    /// During the read callback of a read into the loop's scratch: the bytes not taken yet. The
    /// input buffer is empty meanwhile; what is left when the callback returns is copied into it.
    private var scratchInput: UnsafeRawPointer?
    private var scratchCount = 0
    /// Bytes reserved for the next read: grows while reads fill it, falls back when they do not.
    private var readSize = Connection.minReadSize
    private var readTimeout: timeval?
    private var writeTimeout: timeval?
    /// Queued for the loop's end-of-turn flush.
    private var flushPending = false
    /// The write event is armed: the socket took less than what was queued (or a connect is under way).
    /// Invariant: the output holds bytes only while `flushPending || writeArmed || closed` (every
    /// addition asks for a flush, and a flush that leaves bytes arms the write event), so
    /// `writeNow` can tell the output is empty without touching the evbuffer.
    private var writeArmed = false
    /// `connectionDidDrain` fires when a write leaves at most this many bytes queued.
    private var lowWatermark = 0
    /// Who hears this connection's events, kept alive by it until it closes.
    private var delegate: (any ConnectionDelegate)?
    /// Set once by `closeWhenFlushed()`: the connection closes as soon as its output is empty.
    private var closingWhenFlushed = false
    /// Set with `closingWhenFlushed` when the close lingers.
    private var linger: Linger?
    /// While lingering (the output written, the write side shut): when it ends at the latest, in
    /// `MonotonicClock` nanoseconds. Reads then only discard, and the owner hears nothing more.
    private var lingerEnd: UInt64?
    /// Output staged for this turn's flush in a block of the loop's (`stagingBlockSize` bytes).
    /// Invariant: staged bytes only while the output buffer is empty and a flush is pending
    /// (staging starts only on an empty output, asks for a flush, and anything that does not fit
    /// moves the staged bytes into the output buffer first).
    private var stagingBlock: UnsafeMutableRawPointer?
    private var stagedCount = 0

    /// The peer's address, for X-Forwarded-For and logs ("" when unknown). Its owner replaces it
    /// with the client's when a PROXY protocol header names the client.
    public var peerHost: String
    /// Bytes the socket took so far (the access log's size of a stream).
    public private(set) var bytesSent: UInt64 = 0
    /// Bytes still queued when the connection closed (discarded): 0 when everything went out.
    public private(set) var unsentAtClose = 0

    /// An evbuffer chain holds its header in the same allocation: reservations a little under a
    /// power of two keep each chain in one malloc size class.
    static let minReadSize = 4096 - 128
    static let maxReadSize = 65536 - 128
    /// Moves of this many bytes or fewer are copied rather than handed over as a chain: a copy
    /// that small costs less than the second system-call buffer (writev) a second chain needs.
    static let smallMoveBytes = 1024
    /// A staging block's size.
    static let stagingBlockSize = 4096

    /// Wraps an accepted (non-blocking) socket.
    convenience init(loop: EventLoop, accepted fd: Int32, peerHost: String) throws(LibeventError) {
        try self.init(loop: loop, socket: fd, peerHost: peerHost)
        updateReading()
    }

    private init(loop: EventLoop, socket fd: Int32, peerHost: String = "") throws(LibeventError) {
        guard let input = evbuffer_new() else { throw LibeventError(operation: "evbuffer_new") }
        guard let output = evbuffer_new() else {
            evbuffer_free(input)
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
        connection.connecting = true
        connection.setTimeouts(read: timeout, write: timeout)
        let result = address.withSockaddr { pointer, length in Glibc.connect(fd, pointer, socklen_t(length)) }
        if result < 0 && errno != EINPROGRESS { connection.connectError = errno }
        // The write event reports the connect's end, or the failure noted above.
        connection.armWrite()
        if connection.connectError != 0, let event = connection.writeEvent { event_active(event, Int32(EV_WRITE), 0) }
        return connection
    }

    /// Sets who hears this connection's events and keeps it alive until the connection closes.
    public func attach(_ delegate: any ConnectionDelegate) {
        self.delegate = delegate
    }

    public var isClosed: Bool { closed }

    /// Frees the socket now; unsent output is discarded. Safe to call more than once.
    public func close() {
        guard !closed else { return }
        tearDown(closingSocket: true)
    }

    /// Frees the events and buffers (and the socket, unless its owner keeps it), tells the
    /// delegate, and drops the reference the events held.
    private func tearDown(closingSocket: Bool) {
        closed = true
        if let readEvent { event_free(readEvent) }
        if let writeEvent { event_free(writeEvent) }
        readEvent = nil
        writeEvent = nil
        unsentAtClose = stagedCount + evbuffer_get_length(output)
        // Frees bytes written by reference too (their owners are released).
        evbuffer_free(input)
        evbuffer_free(output)
        releaseStagingBlock()
        if closingSocket { _ = Glibc.close(fd) }
        let delegate = delegate
        self.delegate = nil
        delegate?.connectionDidClose(self)
        Unmanaged.passUnretained(self).release()
    }

    /// Stops reading and closes once every queued byte was written (or the write fails). With
    /// `linger`, the close then lingers (see the top): for an answer the peer may still be
    /// sending to, which it would otherwise lose to a reset.
    public func closeWhenFlushed(lingering linger: Linger? = nil) {
        guard !closed, lingerEnd == nil else { return }
        closingWhenFlushed = true
        if let linger { self.linger = linger }
        lowWatermark = 0
        updateReading()
        if outputCount == 0 { flushedWhileClosing() }
    }

    /// Every queued byte was written after `closeWhenFlushed`: closes, or begins the linger. A
    /// peer that already closed its side, or a socket that cannot be shut, has nothing to linger for.
    private func flushedWhileClosing() {
        guard let linger, !inputEnded, !connecting,
              (try? LibeventError.check(shutdown(fd, Int32(SHUT_WR)), "shutdown")) != nil else {
            return close()
        }
        lingerEnd = MonotonicClock.coarseNanoseconds() + MonotonicClock.nanoseconds(linger.atMost)
        // Nothing reads the input any more.
        evbuffer_drain(input, evbuffer_get_length(input))
        scratchInput = nil
        scratchCount = 0
        readArmed = true
        lingerUntilNextRead()
    }

    /// Sets the read event's timeout to the linger's quiet time, or to what is left of it when less;
    /// closes when the linger is over.
    private func lingerUntilNextRead() {
        guard let linger, let lingerEnd, let readEvent else { return }
        let now = MonotonicClock.coarseNanoseconds()
        guard now < lingerEnd else { return close() }
        let wait = min(MonotonicClock.nanoseconds(linger.quiet), lingerEnd - now)
        add(readEvent, timeout: timeval(.nanoseconds(Int64(wait))))
    }

    /// The socket is readable while lingering: the kernel discards what came (no copy); the peer's
    /// close, an error, a quiet spell (the timeout) or the deadline closes.
    private func lingeringRead(_ what: Int16) {
        if what & Int16(EV_TIMEOUT) != 0 { return close() }
        let read = recv(fd, nil, Self.lingerReadBytes, Int32(MSG_TRUNC))
        if read == 0 || (read < 0 && errno != EAGAIN && errno != EINTR) { return close() }
        lingerUntilNextRead()
    }

    // MARK: Reading

    /// Bytes waiting in the input buffer.
    public var inputCount: Int {
        closed ? 0 : bufferedInput
    }

    /// The input's bytes, in the scratch or in the buffer (never both).
    private var bufferedInput: Int {
        scratchInput != nil ? scratchCount : evbuffer_get_length(input)
    }

    /// Gives `body` a contiguous view of the first `count` input bytes (at most what is there).
    /// Linearizes only that prefix; the view is valid during `body` only.
    public func withInput<R, E: Error>(upTo count: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let length = closed ? 0 : min(count, bufferedInput)
        if length > 0, let scratchInput {
            return try body(UnsafeRawBufferPointer(start: scratchInput, count: length))
        }
        guard length > 0, let start = evbuffer_pullup(input, length) else {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeRawBufferPointer(start: start, count: length))
    }

    /// Discards the first `count` input bytes.
    public func drainInput(_ count: Int) {
        guard !closed, count > 0 else { return }
        if scratchInput != nil {
            takeScratch(count)
        } else {
            evbuffer_drain(input, count)
        }
        updateReading()
    }

    /// Takes up to `count` bytes off the front of the scratch input; returns how many.
    @discardableResult
    private func takeScratch(_ count: Int) -> Int {
        guard let scratchInput else { return 0 }
        let taken = min(count, scratchCount)
        self.scratchInput = scratchInput + taken
        scratchCount -= taken
        return taken
    }

    /// Moves up to `count` input bytes to `other`'s output, copying only a few (at most
    /// `smallMoveBytes`); returns how many.
    @discardableResult
    public func moveInput(to other: Connection, count: Int) -> Int {
        guard !closed, !other.closed, count > 0 else { return 0 }
        let moved: Int32
        if let scratchInput {
            // At most a scratch's worth (4 KiB): a copy.
            let length = min(count, scratchCount)
            moved = other.enqueue(UnsafeRawBufferPointer(start: scratchInput, count: length)) ? Int32(takeScratch(length)) : -1
        } else if count <= Self.smallMoveBytes, let start = evbuffer_pullup(input, count) {
            // Copied after what the output holds (a head, staged or in a chain with room), so the
            // output stays one run of bytes and goes out in one `send`.
            moved = other.enqueue(UnsafeRawBufferPointer(start: start, count: count)) ? Int32(count) : -1
            if moved > 0 { evbuffer_drain(input, count) }
        } else {
            other.unstage()
            moved = evbuffer_remove_buffer(input, other.output, count)
        }
        if moved > 0 {
            other.queued()
            updateReading()
        }
        return max(0, Int(moved))
    }

    /// Reads on or off (for back-pressure). Reading resumes only while the connection is open.
    public func setReading(_ enabled: Bool) {
        readingWanted = enabled
        updateReading()
    }

    /// Stops reading from the socket while `count` or more bytes wait unread (0 = no bound).
    public func setInputHighWatermark(_ count: Int) {
        highWatermark = count
        updateReading()
    }

    /// Arms or disarms the read event to match what reading waits for.
    private func updateReading() {
        guard !closed, lingerEnd == nil, let readEvent else { return }
        let wanted = readingWanted && !connecting && !inputEnded && !closingWhenFlushed
            && (highWatermark == 0 || bufferedInput < highWatermark)
        if wanted == readArmed { return }
        readArmed = wanted
        if wanted { add(readEvent, timeout: readTimeout) } else { event_del(readEvent) }
    }

    /// The socket is readable (or the read timeout passed): one read into reserved space.
    fileprivate func readable(_ what: Int16) {
        if lingerEnd != nil { return lingeringRead(what) }
        if what & Int16(EV_TIMEOUT) != 0 {
            end(.timeout)
            return
        }
        var size = readSize
        let buffered = evbuffer_get_length(input)
        if highWatermark > 0 { size = max(1, min(size, highWatermark - buffered)) }
        // Small reads into an empty input go to the scratch (at most minReadSize bytes).
        let intoScratch = buffered == 0 && readSize == Self.minReadSize
        let result = intoScratch ? readIntoScratch(size) : readIntoBuffer(size, buffered: buffered)
        if result > 0 {
            readSize = result >= size ? min(readSize * 2 + 128, Self.maxReadSize) : (result < size / 2 ? Self.minReadSize : readSize)
            updateReading()
            delegate?.connectionDidRead(self)
            if intoScratch { keepScratchInput() }
        } else if result == 0 {
            inputFailed(.closedByPeer)
        } else if errno != EAGAIN && errno != EINTR {
            inputFailed(.error(errno))
        }
    }

    /// Reading is over (the peer closed, or a read failed): no more reads, and the owner hears why.
    private func inputFailed(_ reason: ConnectionEnd) {
        inputEnded = true
        updateReading()
        end(reason)
    }

    /// One recv into the loop's scratch; the bytes are the input until `keepScratchInput`.
    private func readIntoScratch(_ size: Int) -> Int {
        let scratch = loop.readScratch
        let read = recv(fd, scratch.baseAddress, min(size, scratch.count), 0)
        if read > 0 {
            scratchInput = UnsafeRawPointer(scratch.baseAddress)
            scratchCount = read
        }
        return read
    }

    /// After the read callback: what the owner left in the scratch goes into the input buffer,
    /// for the next callbacks (the scratch is the next read's).
    private func keepScratchInput() {
        defer {
            scratchInput = nil
            scratchCount = 0
        }
        guard !closed, lingerEnd == nil, let scratchInput, scratchCount > 0 else { return }
        if evbuffer_add(input, scratchInput, scratchCount) != 0 { inputFailed(.error(ENOMEM)) }
    }

    /// One read into space reserved at the end of the input buffer.
    private func readIntoBuffer(_ size: Int, buffered: Int) -> Int {
        // libevent's evbuffer_iovec is struct iovec here. An empty input gets one new chain either
        // way, and asking for one vector sets it up with less work.
        var vectors = (iovec(), iovec())
        return withUnsafeMutableBytes(of: &vectors) { raw in
            let vector = raw.baseAddress!.assumingMemoryBound(to: iovec.self)
            let count = evbuffer_reserve_space(input, size, vector, buffered == 0 ? 1 : 2)
            guard count > 0 else { return -1 }
            let read: Int
            if count == 1 {
                read = recv(fd, vector[0].iov_base, min(vector[0].iov_len, size), 0)
            } else {
                vector[1].iov_len = min(vector[1].iov_len, size - min(size, vector[0].iov_len))
                read = readv(fd, vector, 2)
            }
            guard read > 0 else { return read }
            // Commit what was read: the first vector fills before the second.
            var left = read
            for index in 0..<Int(count) {
                vector[index].iov_len = min(vector[index].iov_len, left)
                left -= vector[index].iov_len
            }
            evbuffer_commit_space(input, vector, count)
            return read
        }
    }

    // MARK: Writing

    /// Bytes queued and not yet written to the socket.
    public var outputCount: Int {
        closed ? 0 : stagedCount + evbuffer_get_length(output)
    }

    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard !closed, bytes.count > 0, enqueue(bytes) else { return }
        queued()
    }

    /// Adds a copy of `bytes` to the output, staged when they fit; false when libevent failed.
    private func enqueue(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count > 0 else { return true }
        if let room = stagingRoom(bytes.count) {
            room.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            stagedCount += bytes.count
            return true
        }
        return evbuffer_add(output, bytes.baseAddress, bytes.count) == 0
    }

    /// Where the next `count` bytes of output go when they can be staged: after the staged bytes
    /// when they fit there, in a new block when the output is empty (no flush pending, no write
    /// armed: see `writeArmed`). Nil otherwise, having moved what was staged into the output
    /// buffer, where those bytes then go too.
    private func stagingRoom(_ count: Int) -> UnsafeMutableRawPointer? {
        if let stagingBlock {
            if stagedCount + count <= Self.stagingBlockSize { return stagingBlock + stagedCount }
            unstage()
            return nil
        }
        guard !flushPending, !writeArmed, count <= Self.stagingBlockSize else { return nil }
        let block = loop.takeStagingBlock()
        stagingBlock = block
        return block
    }

    /// Moves the staged bytes into the output buffer (before bytes that cannot be staged), all
    /// but the first `sent`, which the socket already took.
    private func unstage(skipping sent: Int = 0) {
        guard let stagingBlock else { return }
        if stagedCount > sent { evbuffer_add(output, stagingBlock + sent, stagedCount - sent) }
        releaseStagingBlock()
    }

    private func releaseStagingBlock() {
        guard let stagingBlock else { return }
        loop.returnStagingBlock(stagingBlock)
        self.stagingBlock = nil
        stagedCount = 0
    }

    /// Queues the bytes `body` writes straight into `capacity` bytes reserved in the output buffer
    /// (no copy in between); `body` returns how many it wrote, from the start.
    public func write(upTo capacity: Int, _ body: (UnsafeMutableRawBufferPointer) -> Int) {
        guard !closed, capacity > 0 else { return }
        if let room = stagingRoom(capacity) {
            let written = body(UnsafeMutableRawBufferPointer(start: room, count: capacity))
            precondition(written <= capacity, "wrote past the space reserved")
            stagedCount += written
            if stagedCount == 0 { releaseStagingBlock() } else if written > 0 { queued() }
            return
        }
        var vector = iovec()
        // One vector: libevent reserves `capacity` contiguous bytes.
        guard evbuffer_reserve_space(output, capacity, &vector, 1) == 1 else { return }
        let written = body(UnsafeMutableRawBufferPointer(start: vector.iov_base, count: capacity))
        precondition(written <= capacity, "wrote past the space reserved")
        vector.iov_len = written
        evbuffer_commit_space(output, &vector, 1)
        if written > 0 { queued() }
    }

    public func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    /// Queues `bytes` by reference, without copying them: `owner` (which keeps the bytes alive and
    /// unchanged) is retained until libevent has written them or the connection is freed.
    public func write(retaining owner: AnyObject, bytes: UnsafeRawBufferPointer) {
        guard !closed, bytes.count > 0 else { return }
        unstage()
        addReference(retaining: owner, bytes: bytes)
        queued()
    }

    /// Writes `bytes` to the socket at once when nothing is queued before them, and queues by
    /// reference (as `write(retaining:bytes:)`) whatever the socket does not take. Returns true
    /// when every byte went out. For the one write a connection gets in a turn (a fan-out visit):
    /// it skips the output buffer's chain, the end-of-turn flush and the drain. A connection
    /// written twice in a turn this way makes two system calls where queueing would make one.
    public func writeNow(retaining owner: AnyObject, bytes: UnsafeRawBufferPointer) -> Bool {
        guard !closed, let base = bytes.baseAddress, bytes.count > 0 else { return false }
        guard !flushPending, !writeArmed else {
            write(retaining: owner, bytes: bytes)
            return false
        }
        // The evbuffer is another object per stream: in a sweep over 10,000 streams its first
        // touch was a cache miss per visit (perf), and the flags above already say it is empty.
        assert(evbuffer_get_length(output) == 0 && stagingBlock == nil, "output bytes without a flush or a write armed")
        let sent = send(fd, base, bytes.count, Int32(MSG_NOSIGNAL))
        if sent > 0 { bytesSent &+= UInt64(sent) }
        if sent == bytes.count { return true }
        let failure = sent < 0 ? errno : 0
        addReference(retaining: owner, bytes: UnsafeRawBufferPointer(rebasing: bytes[max(sent, 0)...]))
        if failure == 0 || failure == EAGAIN || failure == EINTR {
            // The socket is full: the write event writes the rest.
            armWrite()
        } else {
            // The end-of-turn flush meets the error again and reports it (not from inside the caller).
            queued()
        }
        return false
    }

    /// Appends `bytes` to the output by reference, retaining `owner` until libevent is done with them.
    private func addReference(retaining owner: AnyObject, bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let retained = Unmanaged.passRetained(owner).toOpaque()
        if evbuffer_add_reference(output, base, bytes.count, sharedBytesCleanup, retained) != 0 {
            Unmanaged<AnyObject>.fromOpaque(retained).release()
        }
    }

    /// Writes what is queued to the socket now, instead of at the end of the loop's turn. For
    /// answers that must not wait behind a long callback.
    public func flushNow() {
        flush()
    }

    /// `connectionDidDrain` fires when the output falls to `count` bytes or fewer.
    public func setOutputLowWatermark(_ count: Int) {
        guard !closingWhenFlushed else { return }
        lowWatermark = count
    }

    /// Bytes were added to the output: have them written at the end of this turn, unless the
    /// write event is armed (it takes new bytes too), or the connect is under way and its one early
    /// send was tried.
    private func queued() {
        guard !flushPending, !closed, !writeArmed || (connecting && !connectSendTried) else { return }
        flushPending = true
        loop.deferFlush(self)
    }

    /// Writes the output to the socket (one system call, as much as it takes); leaves what is left
    /// to the write event. Fires on the loop's thread, from `EventLoop.deferFlush`'s turn end.
    func flush() {
        flushPending = false
        if connecting { return sendWhileConnecting() }
        guard !closed, !writeArmed else { return }
        if let stagingBlock {
            let sent = send(fd, stagingBlock, stagedCount, Int32(MSG_NOSIGNAL))
            if sent > 0 { bytesSent &+= UInt64(sent) }
            if sent == stagedCount {
                releaseStagingBlock()
                drained()
                return
            }
            // The socket took part (or nothing, or failed): the rest goes to the output buffer,
            // and the write event writes it (or meets the error again and reports it).
            unstage(skipping: max(sent, 0))
            armWrite()
            return
        }
        guard evbuffer_get_length(output) > 0 else { return }
        let written = writeOutput()
        if evbuffer_get_length(output) > 0 {
            // The socket is full (EAGAIN) or failing: the write event writes the rest, or meets
            // the error again and reports it from its own callback.
            armWrite()
        } else if written > 0 {
            drained()
        }
    }

    /// Writes as much of the output as the socket takes, in one call: `send` when the output is one
    /// run of bytes (a head with a small body, the usual answer), else libevent's `writev`. A
    /// `writev` also imports and checks an iovec array: in `perf` of the proxy benchmark that was
    /// about 2.5 % of Herald's time, against none for the minimal C server's `send`. Returns what
    /// the call returned (errno set when below 0).
    private func writeOutput() -> Int {
        var run = iovec()
        guard evbuffer_peek(output, -1, nil, &run, 1) == 1, let base = run.iov_base else {
            let written = Int(evbuffer_write(output, fd))
            if written > 0 { bytesSent &+= UInt64(written) }
            return written
        }
        let sent = send(fd, base, run.iov_len, Int32(MSG_NOSIGNAL))
        if sent > 0 {
            evbuffer_drain(output, sent)
            bytesSent &+= UInt64(sent)
        }
        return sent
    }

    private func armWrite() {
        guard !writeArmed, let writeEvent else { return }
        writeArmed = true
        add(writeEvent, timeout: writeTimeout)
    }

    private func disarmWrite() {
        guard writeArmed, let writeEvent else { return }
        writeArmed = false
        event_del(writeEvent)
    }

    /// The socket is writable (or the write timeout passed): finishes a connect, or writes.
    fileprivate func writable(_ what: Int16) {
        if what & Int16(EV_TIMEOUT) != 0 {
            end(.timeout)
            return
        }
        if connecting {
            connected()
            return
        }
        let written = writeOutput()
        if written < 0 && errno != EAGAIN && errno != EINTR {
            end(.error(errno))
            return
        }
        let left = evbuffer_get_length(output)
        if left == 0 { disarmWrite() }
        if written > 0 && left <= lowWatermark { drained() }
    }

    private func connected() {
        var code = connectError
        if code == 0 {
            var length = socklen_t(MemoryLayout<Int32>.size)
            if getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) < 0 { code = errno }
        }
        if code == EINPROGRESS || code == EINTR { return }
        finishConnect(failure: code)
    }

    /// The end of the turn in which bytes were queued on a connect under way (see the top).
    private func sendWhileConnecting() {
        guard !closed, connectError == 0, !connectSendTried, evbuffer_get_length(output) > 0 else { return }
        connectSendTried = true
        let sent = writeOutput()
        if sent > 0 {
            finishConnect(failure: 0)
            if outputCount == 0 { drained() }
        } else if sent < 0 && errno != EAGAIN && errno != EINTR {
            finishConnect(failure: errno)
        }
    }

    /// The connect ended: `failure` is its errno, 0 when connected.
    private func finishConnect(failure code: Int32) {
        connecting = false
        if code != 0 {
            end(.connectFailed(code))
            return
        }
        disarmWrite()
        updateReading()
        // What was queued while connecting (and not yet sent) goes now.
        if outputCount > 0 { queued() }
        delegate?.connectionDidConnect(self)
    }

    /// Read and write inactivity timeouts (nil = none); firing ends the connection with `.timeout`.
    public func setTimeouts(read: Duration?, write: Duration?) {
        // A linger keeps its own bounds.
        guard !closed, lingerEnd == nil else { return }
        readTimeout = read.map(timeval.init)
        writeTimeout = write.map(timeval.init)
        if readArmed, let readEvent { add(readEvent, timeout: readTimeout, replacing: true) }
        if writeArmed, let writeEvent { add(writeEvent, timeout: writeTimeout, replacing: true) }
    }

    /// Arms `event`. Adding a pending event without a timeout keeps its old one, so `replacing`
    /// removes that.
    private func add(_ event: OpaquePointer, timeout: timeval?, replacing: Bool = false) {
        if var time = timeout {
            event_add(event, &time)
        } else {
            event_add(event, nil)
            if replacing { event_remove_timer(event) }
        }
    }

    /// Caps the kernel's send buffer for this socket at `bytes` (Linux doubles the value for its
    /// bookkeeping and stops growing the buffer by itself, up to 4 MiB by default).
    public func setSendBufferSize(_ bytes: Int) {
        guard !closed else { return }
        var size = Int32(clamping: bytes)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    static func disableNagle(_ fd: Int32) {
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    // MARK: Endings

    private func drained() {
        if closingWhenFlushed {
            if outputCount == 0 { flushedWhileClosing() }
            return
        }
        delegate?.connectionDidDrain(self)
    }

    /// The peer closed, a call failed or a timeout passed: the owner decides what follows.
    private func end(_ reason: ConnectionEnd) {
        if closingWhenFlushed {
            close()
            return
        }
        if let delegate { delegate.connection(self, didEndWith: reason) } else { close() }
    }
}

// MARK: - C callbacks

/// Fires when libevent no longer needs bytes added with `write(retaining:bytes:)`.
private func sharedBytesCleanup(_ data: UnsafeRawPointer?, _ length: Int, _ arg: UnsafeMutableRawPointer?) {
    // SAFETY: arg is the +1 on the owner taken in write(retaining:bytes:); released exactly once here.
    Unmanaged<AnyObject>.fromOpaque(arg!).release()
}

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
