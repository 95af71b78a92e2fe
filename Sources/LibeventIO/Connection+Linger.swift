// A lingering close: a server that answers and closes while the client is still sending (the rest
// of an oversize head, a body nobody reads) must not close with unread input, or the kernel sends
// a reset that can reach the client before it has read the answer, which it then never sees.
// So, as nginx does, once the answer is written the write side is shut (the client sees the end
// of the answer) and what still arrives is read and thrown away until the client closes, goes
// quiet, or a deadline passes; only then is the socket closed.

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
}
