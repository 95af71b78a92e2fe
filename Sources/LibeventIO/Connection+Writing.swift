// A connection's writing: what its owner calls to queue output, the end-of-turn flush and the
// write event's callback. The output and its rules are `ConnectionOutput`'s.

internal import CLibevent
import Glibc

extension Connection {
    /// Bytes queued and not yet written to the socket.
    public var outputCount: Int {
        isClosed ? 0 : output.count
    }

    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard !isClosed, bytes.count > 0, output.append(bytes, loop: loop) else { return }
        queued()
    }

    public func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    /// Queues the bytes `body` writes straight into `capacity` bytes reserved in the output
    /// (no copy in between); `body` returns how many it wrote, from the start.
    public func write(upTo capacity: Int, _ body: (UnsafeMutableRawBufferPointer) -> Int) {
        guard !isClosed, capacity > 0, let reservation = output.reserve(capacity, loop: loop) else { return }
        let written = body(reservation.space)
        output.commit(reservation, written: written, loop: loop)
        if written > 0 { queued() }
    }

    /// Queues `bytes` by reference, without copying them: `owner` (which keeps the bytes alive and
    /// unchanged) is retained until libevent has written them or the connection is freed.
    public func write(retaining owner: AnyObject, bytes: UnsafeRawBufferPointer) {
        guard !isClosed, bytes.count > 0 else { return }
        output.appendReference(bytes, retaining: owner, loop: loop)
        queued()
    }

    /// Writes `bytes` to the socket at once when nothing is queued before them, and queues by
    /// reference (as `write(retaining:bytes:)`) whatever the socket does not take. Returns true
    /// when every byte went out. For the one write a connection gets in a turn (a fan-out visit):
    /// it skips the output buffer's chain, the end-of-turn flush and the flushed callback. A connection
    /// written twice in a turn this way makes two system calls where queueing would make one.
    public func writeNow(retaining owner: AnyObject, bytes: UnsafeRawBufferPointer) -> Bool {
        guard !isClosed, bytes.count > 0 else { return false }
        guard output.isIdle else {
            write(retaining: owner, bytes: bytes)
            return false
        }
        switch output.sendNow(bytes, retaining: owner, to: fd, loop: loop) {
        case .all: return true
        case .part: armWrite()  // the socket is full: the write event writes the rest
        case .failed: queued()  // the end-of-turn flush meets the error again and reports it
        }
        return false
    }

    /// Writes what is queued to the socket now, instead of at the end of the loop's turn. For
    /// answers that must not wait behind a long callback.
    public func flushNow() {
        flush()
    }

    /// `connectionDidFlush` fires when the output falls to `count` bytes or fewer.
    public func setOutputLowWatermark(_ count: Int) {
        switch phase {
        case .connecting(let connecting) where connecting.thenClosing != nil: return
        case .closingWhenFlushed, .lingering, .closed: return
        case .connecting, .open: output.lowWatermark = count
        }
    }

    /// Bytes were added to the output: have them written at the end of this turn, unless the
    /// write event is armed (it takes new bytes too), or the connect is under way and its one early
    /// send was tried.
    func queued() {
        guard !output.flushPending else { return }
        switch phase {
        case .closed: return
        case .connecting(let connecting):
            if output.writeArmed && connecting.earlySendTried { return }
        case .open, .closingWhenFlushed, .lingering:
            if output.writeArmed { return }
        }
        output.flushPending = true
        loop.deferFlush(self)
    }

    /// Writes the output to the socket (one system call, as much as it takes); leaves what is left
    /// to the write event. Fires on the loop's thread, from `EventLoop.deferFlush`'s turn end.
    func flush() {
        output.flushPending = false
        switch phase {
        case .connecting(let connecting): return sendWhileConnecting(connecting)
        case .closed: return
        case .open, .closingWhenFlushed, .lingering: break
        }
        guard !output.writeArmed, let allSent = output.flush(to: fd, loop: loop) else { return }
        // Bytes left: the socket is full (EAGAIN) or failing; the write event writes the rest, or
        // meets the error again and reports it from its own callback.
        if allSent { flushed() } else { armWrite() }
    }

    /// The socket is writable (or the write timeout passed): finishes a connect, or writes.
    func writable(_ what: Int16) {
        if what & Int16(EV_TIMEOUT) != 0 {
            end(.timeout)
            return
        }
        if case .connecting(let connecting) = phase {
            connected(connecting)
            return
        }
        let written = output.write(to: fd)
        if written < 0 && errno != EAGAIN && errno != EINTR {
            end(.error(errno))
            return
        }
        let left = output.count
        if left == 0 { disarmWrite() }
        if written > 0 && left <= output.lowWatermark { flushed() }
    }

    /// The output was written down to its low watermark: the owner hears it, or a close waiting
    /// for the output goes on.
    func flushed() {
        switch phase {
        case .closingWhenFlushed(let linger):
            if output.count == 0 { flushedWhileClosing(linger) }
        case .lingering, .closed:
            return
        case .connecting, .open:
            delegate?.connectionDidFlush(self)
        }
    }
}
