// A replay is read from the shared histories as the subscriber's socket takes it, a page at a
// time, never copied whole: a client that resumes from an old id and then stops reading holds one
// page's worth of bytes, not the history. The cursor is only a position; `Hub.nextPage` reads the
// page under the hub's lock and moves it.

/// Where a stream's replay stands: per channel, the sequence after which its events are still to
/// be sent (each page moves it).
public struct ReplayCursor: Sendable, Equatable {
    /// One channel of the stream and the sequence its replay starts after.
    public struct Start: Sendable, Equatable {
        public var channel: String
        public var after: UInt64
    }

    public internal(set) var starts: [Start]

    public init(starts: [Start]) {
        self.starts = starts
    }
}

/// The next part of a replay, as `Hub.nextPage` reads it.
public enum ReplayPage: Sendable {
    /// Events to send now, in publish order, each once; more may follow.
    case events([PublishedEvent])
    /// Nothing is left in the histories: events after `coveredThrough` reach the stream live.
    case caughtUp(coveredThrough: UInt64)
    /// Events the stream had not been sent left a history first: it has lost them.
    case lost
}
