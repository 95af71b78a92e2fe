// Closing when flushed, and the lingering close: a server that answers and closes while the client
// is still sending (the rest of an oversize head, a body nobody reads) must not close with unread
// input, or the kernel sends a reset that can reach the client before it has read the answer,
// which it then never sees. So, as nginx does, once the answer is written the write side is shut
// (the client sees the end of the answer) and what still arrives is read and thrown away until the
// client closes, goes quiet, or a deadline passes; only then is the socket closed.

internal import CLibevent
import Glibc

extension Connection {
    /// How long a lingering close (`closeWhenFlushed(lingering:)`) reads and discards input.
    public struct Linger: Sendable, Equatable {
        /// The peer sending nothing this long ends the linger.
        public var quiet: Duration
        /// The linger ends this long after it began (the answer written), however much still comes.
        public var atMost: Duration

        public init(quiet: Duration, atMost: Duration) {
            self.quiet = quiet
            self.atMost = atMost
        }

        /// For an answer that ends a connection while the client may still be sending: 2 s of
        /// quiet, because a client that saw the answer stops within a round trip; 5 s in all
        /// (nginx: 5 s and 30 s), because a client still sending by then reads no answer at all,
        /// and a lingering connection holds a connection slot and delays draining.
        public static let afterAnswer = Linger(quiet: .seconds(2), atMost: .seconds(5))
    }

    /// Bytes the kernel discards per read while lingering (MSG_TRUNC: nothing is copied, so no
    /// buffer): a read of a 64 KiB window's worth per readiness.
    static let lingerReadBytes = 64 << 10

    /// Stops reading and closes once every queued byte was written (or the write fails). With
    /// `linger`, the close then lingers (see the top): for an answer the peer may still be
    /// sending to, which it would otherwise lose to a reset.
    public func closeWhenFlushed(lingering linger: Linger? = nil) {
        switch phase {
        case .closed, .lingering:
            return
        case .connecting(var connecting):
            // Closes once connected and flushed; a later call keeps an earlier linger.
            connecting.thenClosing = .some(linger ?? connecting.thenClosing ?? nil)
            phase = .connecting(connecting)
            output.lowWatermark = 0
            // Nothing to wait for: closes now (a connect has nothing to linger for).
            if output.count == 0 { close() }
        case .closingWhenFlushed(let earlier):
            phase = .closingWhenFlushed(linger: linger ?? earlier)
            output.lowWatermark = 0
            if output.count == 0 { flushedWhileClosing(linger ?? earlier) }
        case .open:
            phase = .closingWhenFlushed(linger: linger)
            output.lowWatermark = 0
            updateReading()
            if output.count == 0 { flushedWhileClosing(linger) }
        }
    }

    /// Every queued byte was written after `closeWhenFlushed`: closes, or begins the linger. A
    /// peer that already closed its side, or a socket that cannot be shut, has nothing to linger for.
    func flushedWhileClosing(_ linger: Linger?) {
        guard let linger, !input.ended,
              (try? LibeventError.check(shutdown(fd, Int32(SHUT_WR)), "shutdown")) != nil else {
            return close()
        }
        let end = MonotonicClock.coarseNanoseconds() + MonotonicClock.nanoseconds(linger.atMost)
        phase = .lingering(linger, until: end)
        // Nothing reads the input any more.
        input.discardAll()
        readArmed = true
        lingerUntilNextRead(linger, until: end)
    }

    /// Sets the read event's timeout to the linger's quiet time, or to what is left of it when less;
    /// closes when the linger is over.
    private func lingerUntilNextRead(_ linger: Linger, until end: UInt64) {
        guard let readEvent else { return }
        let now = MonotonicClock.coarseNanoseconds()
        guard now < end else { return close() }
        let wait = min(MonotonicClock.nanoseconds(linger.quiet), end - now)
        add(readEvent, timeout: timeval(.nanoseconds(Int64(wait))))
    }

    /// The socket is readable while lingering: the kernel discards what came (no copy); the peer's
    /// close, an error, a quiet spell (the timeout) or the deadline closes.
    func lingeringRead(_ what: Int16, _ linger: Linger, until end: UInt64) {
        if what & Int16(EV_TIMEOUT) != 0 { return close() }
        let read = recv(fd, nil, Self.lingerReadBytes, Int32(MSG_TRUNC))
        if read == 0 || (read < 0 && errno != EAGAIN && errno != EINTR) { return close() }
        lingerUntilNextRead(linger, until: end)
    }
}
