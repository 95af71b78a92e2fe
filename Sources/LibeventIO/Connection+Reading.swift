// A connection's reading: what its owner calls to take input, and the read event's callback.
// The input and its rules are `ConnectionInput`'s.

internal import CLibevent
import Glibc

extension Connection {
    /// Bytes waiting in the input buffer.
    public var inputCount: Int {
        isClosed ? 0 : input.count
    }

    /// Gives `body` a contiguous view of the first `count` input bytes (at most what is there).
    /// Linearizes only that prefix; the view is valid during `body` only.
    public func withInput<R, E: Error>(upTo count: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        // The view is taken first: `body` may consume the input.
        let view = isClosed ? UnsafeRawBufferPointer(start: nil, count: 0) : input.bytes(upTo: count)
        return try body(view)
    }

    /// Discards the first `count` input bytes.
    public func consumeInput(_ count: Int) {
        guard !isClosed, count > 0 else { return }
        input.consume(count)
        updateReading()
    }

    /// Moves up to `count` input bytes to `other`'s output, copying only a few (at most
    /// `ConnectionOutput.smallMoveBytes`); returns how many.
    @discardableResult
    public func moveInput(to other: Connection, count: Int) -> Int {
        guard !isClosed, !other.isClosed, count > 0 else { return 0 }
        let moved: Int
        if input.holdsScratch || count <= ConnectionOutput.smallMoveBytes {
            // The scratch (at most 4 KiB) or a few bytes: copied after what the output holds (a
            // head, staged or in a chain with room), so the output stays one run of bytes and
            // goes out in one `send`.
            let bytes = input.bytes(upTo: count)
            moved = other.output.append(bytes, loop: other.loop) ? input.consume(bytes.count) : -1
        } else {
            moved = other.output.appendMoving(count, from: input, loop: other.loop)
        }
        if moved > 0 {
            other.queued()
            updateReading()
        }
        return max(0, moved)
    }

    /// Reads on or off (for back-pressure). Reading resumes only while the connection is open.
    public func setReading(_ enabled: Bool) {
        input.wanted = enabled
        updateReading()
    }

    /// Stops reading from the socket while `count` or more bytes wait unread (0 = no bound).
    public func setInputHighWatermark(_ count: Int) {
        input.highWatermark = count
        updateReading()
    }

    /// Arms or disarms the read event to match what reading waits for: the open phase, and the
    /// input's wanting more.
    func updateReading() {
        guard let readEvent else { return }
        let wanted: Bool
        switch phase {
        case .open: wanted = input.wantsMore
        case .connecting, .closingWhenFlushed: wanted = false
        case .lingering, .closed: return  // a linger arms its own reads
        }
        if wanted == readArmed { return }
        readArmed = wanted
        if wanted { add(readEvent, timeout: readTimeout) } else { event_del(readEvent) }
    }

    /// The socket is readable (or the read timeout passed): one read.
    func readable(_ what: Int16) {
        if case .lingering(let linger, let end) = phase { return lingeringRead(what, linger, until: end) }
        if what & Int16(EV_TIMEOUT) != 0 {
            end(.timeout)
            return
        }
        let (result, intoScratch) = input.read(from: fd, scratchSpace: loop.readScratch)
        if result > 0 {
            updateReading()
            delegate?.connectionDidRead(self)
            if intoScratch { keepScratchInput() }
        } else if result == 0 {
            inputFailed(.closedByPeer)
        } else if errno != EAGAIN && errno != EINTR {
            inputFailed(.error(errno))
        }
    }

    /// After a read callback on the scratch: what the owner left stays for the next callbacks.
    private func keepScratchInput() {
        switch phase {
        case .closed, .lingering:
            // Freed, or nothing reads the input any more.
            input.forgetScratch()
        case .connecting, .open, .closingWhenFlushed:
            if !input.keepScratch() { inputFailed(.error(ENOMEM)) }
        }
    }

    /// Reading is over (the peer closed, or a read failed): no more reads, and the owner hears why.
    private func inputFailed(_ reason: ConnectionEnd) {
        input.ended = true
        updateReading()
        end(reason)
    }
}
