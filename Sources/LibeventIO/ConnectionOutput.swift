// A connection's output: the bytes queued and not yet taken by the socket, and when they go.
//
// Bytes queued in a callback are written once that turn of the loop has run every ready callback
// (`EventLoop.deferFlush`), in one send (or writev) per connection, straight from the buffer.
// Bytes queued on an empty output are staged in a block of the loop's while they fit (4 KiB: the
// usual answer, a head and a small body), sent from there, and moved into the buffer only when
// more comes that does not fit or the socket does not take them all; so that answer allocates and
// frees no evbuffer chain. Shared bytes (a fan-out's encoded event) are added by reference, their
// owner retained until libevent is done with them.
//
// Its methods call nothing outside it (no delegate, no connection), so the connection mutates it
// in place without an exclusivity check at run time.

internal import CLibevent
import Glibc

struct ConnectionOutput {
    let buffer: OpaquePointer
    /// Output staged for this turn's flush in a block of the loop's (`stagingBlockSize` bytes).
    /// Invariant: staged bytes only while the buffer is empty and a flush is pending (staging
    /// starts only on an empty output, which asks for a flush, and anything that does not fit
    /// moves the staged bytes into the buffer first).
    private var staging: UnsafeMutableRawPointer?
    private var stagedCount = 0
    /// Queued for the loop's end-of-turn flush.
    var flushPending = false
    /// The write event is armed: the socket took less than what was queued (or a connect is under
    /// way). Invariant: the output holds bytes only while `flushPending || writeArmed` or the
    /// connection is closed (every addition asks for a flush, and a flush that leaves bytes arms
    /// the write event), so `isEmptyByFlags` can tell without touching the evbuffer.
    var writeArmed = false
    /// `connectionDidFlush` fires when a write leaves at most this many bytes queued.
    var lowWatermark = 0
    /// Bytes the socket took so far.
    private(set) var bytesSent: UInt64 = 0

    /// A staging block's size.
    static let stagingBlockSize = 4096
    /// Moves of this many bytes or fewer are copied rather than handed over as a chain: a copy
    /// that small costs less than the second system-call buffer (writev) a second chain needs.
    static let smallMoveBytes = 1024

    init?() {
        guard let buffer = evbuffer_new() else { return nil }
        self.buffer = buffer
    }

    /// Frees the buffer (releasing the owners of bytes added by reference) and gives the staging
    /// block back; returns how many bytes were still queued. Nothing may use the output after.
    mutating func free(loop: EventLoop) -> Int {
        let unsent = count
        evbuffer_free(buffer)
        releaseStaging(loop: loop)
        return unsent
    }

    /// Bytes queued and not yet written.
    var count: Int {
        stagedCount + evbuffer_get_length(buffer)
    }

    /// Nothing is queued, nor will a flush or the write event run (the flags' word for it: see
    /// `writeArmed`).
    var isIdle: Bool {
        !flushPending && !writeArmed
    }

    // MARK: Adding

    /// Adds a copy of `bytes`, staged when they fit; false when libevent failed.
    mutating func append(_ bytes: UnsafeRawBufferPointer, loop: EventLoop) -> Bool {
        guard bytes.count > 0 else { return true }
        if let room = stagingRoom(bytes.count, loop: loop) {
            room.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            stagedCount += bytes.count
            return true
        }
        return evbuffer_add(buffer, bytes.baseAddress, bytes.count) == 0
    }

    /// Space for `capacity` contiguous bytes at the end (staged when they fit); the caller writes
    /// into it, then `commit`s what it wrote. Nil when libevent failed.
    mutating func reserve(_ capacity: Int, loop: EventLoop) -> Reservation? {
        if let room = stagingRoom(capacity, loop: loop) {
            return Reservation(space: UnsafeMutableRawBufferPointer(start: room, count: capacity), staged: true)
        }
        var vector = iovec()
        // One vector: libevent reserves `capacity` contiguous bytes.
        guard evbuffer_reserve_space(buffer, capacity, &vector, 1) == 1 else { return nil }
        return Reservation(space: UnsafeMutableRawBufferPointer(start: vector.iov_base, count: capacity), staged: false)
    }

    struct Reservation {
        let space: UnsafeMutableRawBufferPointer
        let staged: Bool
    }

    /// Adds the first `written` bytes of `reservation` to the output.
    mutating func commit(_ reservation: Reservation, written: Int, loop: EventLoop) {
        precondition(written <= reservation.space.count, "wrote past the space reserved")
        if reservation.staged {
            stagedCount += written
            if stagedCount == 0 { releaseStaging(loop: loop) }
            return
        }
        var vector = iovec(iov_base: reservation.space.baseAddress, iov_len: written)
        evbuffer_commit_space(buffer, &vector, 1)
    }

    /// Appends `bytes` by reference, retaining `owner` until libevent is done with them.
    mutating func appendReference(_ bytes: UnsafeRawBufferPointer, retaining owner: AnyObject, loop: EventLoop) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        unstage(loop: loop)
        let retained = Unmanaged.passRetained(owner).toOpaque()
        if evbuffer_add_reference(buffer, base, bytes.count, sharedBytesCleanup, retained) != 0 {
            Unmanaged<AnyObject>.fromOpaque(retained).release()
        }
    }

    /// Moves up to `count` bytes of `input`'s buffer to the end of the output; returns how many,
    /// or -1 when libevent failed.
    mutating func appendMoving(_ count: Int, from input: ConnectionInput, loop: EventLoop) -> Int {
        unstage(loop: loop)
        return input.move(count, to: buffer)
    }

    /// Where the next `count` bytes go when they can be staged: after the staged bytes when they
    /// fit there, in a new block when the output is idle. Nil otherwise, having moved what was
    /// staged into the buffer, where those bytes then go too.
    private mutating func stagingRoom(_ count: Int, loop: EventLoop) -> UnsafeMutableRawPointer? {
        if let staging {
            if stagedCount + count <= Self.stagingBlockSize { return staging + stagedCount }
            unstage(loop: loop)
            return nil
        }
        guard isIdle, count <= Self.stagingBlockSize else { return nil }
        let block = loop.takeStagingBlock()
        staging = block
        return block
    }

    /// Moves the staged bytes into the buffer (before bytes that cannot be staged), all but the
    /// first `sent`, which the socket already took.
    private mutating func unstage(skipping sent: Int = 0, loop: EventLoop) {
        guard let staging else { return }
        if stagedCount > sent { evbuffer_add(buffer, staging + sent, stagedCount - sent) }
        releaseStaging(loop: loop)
    }

    private mutating func releaseStaging(loop: EventLoop) {
        guard let staging else { return }
        loop.returnStagingBlock(staging)
        self.staging = nil
        stagedCount = 0
    }

    // MARK: Sending

    /// How `sendNow` went.
    enum Sent {
        /// Every byte went.
        case all
        /// The socket is full: the rest waits for the write event.
        case part
        /// The send failed with errno `code` (never EAGAIN or EINTR); the rest is queued.
        case failed(Int32)
    }

    /// Sends `bytes` to `fd` at once, and adds by reference what the socket does not take. Only
    /// when the output `isIdle`: they then go before nothing.
    mutating func sendNow(_ bytes: UnsafeRawBufferPointer, retaining owner: AnyObject, to fd: Int32, loop: EventLoop) -> Sent {
        // The evbuffer is another object per stream: in a sweep over 10,000 streams its first
        // touch was a cache miss per visit (perf), and the flags already say it is empty.
        assert(isIdle && staging == nil && evbuffer_get_length(buffer) == 0, "output bytes without a flush or a write armed")
        let sent = send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
        if sent > 0 { bytesSent &+= UInt64(sent) }
        if sent == bytes.count { return .all }
        let failure = sent < 0 ? errno : 0
        appendReference(UnsafeRawBufferPointer(rebasing: bytes[max(sent, 0)...]), retaining: owner, loop: loop)
        return failure == 0 || failure == EAGAIN || failure == EINTR ? .part : .failed(failure)
    }

    /// The end-of-turn flush: sends what is queued in one call. True when every byte went; false
    /// when some stay (the socket full, or failing), for the write event; nil when nothing was queued.
    mutating func flush(to fd: Int32, loop: EventLoop) -> Bool? {
        if let staging {
            let staged = stagedCount
            let sent = send(fd, staging, staged, Int32(MSG_NOSIGNAL))
            if sent > 0 { bytesSent &+= UInt64(sent) }
            if sent == staged {
                releaseStaging(loop: loop)
                return true
            }
            // The socket took part (or nothing, or failed): the rest goes to the buffer, and the
            // write event writes it (or meets the error again and reports it).
            unstage(skipping: max(sent, 0), loop: loop)
            return false
        }
        guard evbuffer_get_length(buffer) > 0 else { return nil }
        _ = write(to: fd)
        return evbuffer_get_length(buffer) == 0
    }

    /// Writes as much of the buffer as the socket takes, in one call: `send` when the buffer is one
    /// run of bytes (a head with a small body, the usual answer), else libevent's `writev`. A
    /// `writev` also imports and checks an iovec array: in `perf` of the proxy benchmark that was
    /// about 2.5 % of Herald's time, against none for the minimal C server's `send`. Returns what
    /// the call returned (errno set when below 0). Not for staged bytes (none while the write
    /// event is armed).
    mutating func write(to fd: Int32) -> Int {
        var run = iovec()
        guard evbuffer_peek(buffer, -1, nil, &run, 1) == 1, let base = run.iov_base else {
            let written = Int(evbuffer_write(buffer, fd))
            if written > 0 { bytesSent &+= UInt64(written) }
            return written
        }
        let sent = send(fd, base, run.iov_len, Int32(MSG_NOSIGNAL))
        if sent > 0 {
            evbuffer_drain(buffer, sent)
            bytesSent &+= UInt64(sent)
        }
        return sent
    }
}

/// Fires when libevent no longer needs bytes added with `appendReference`.
private func sharedBytesCleanup(_ data: UnsafeRawPointer?, _ length: Int, _ arg: UnsafeMutableRawPointer?) {
    // SAFETY: arg is the +1 on the owner taken in appendReference; released exactly once here.
    Unmanaged<AnyObject>.fromOpaque(arg!).release()
}
