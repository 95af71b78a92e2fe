/// `events.max_buffered_bytes`: how much a stream may hold unsent before it is cut as a slow
/// subscriber (its client reads too slowly; holding more would let one client grow Herald's memory).
public struct SlowSubscriberBound: Sendable, Equatable {
    /// The most unsent bytes a stream may hold.
    public let maxBytes: Int

    /// Libevent keeps each reference in a chain of at least 1 KiB: the bound counts that memory
    /// too, so a stream behind on many small events is cut as surely as one behind on big ones.
    public static let referenceCost = 1024

    public init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    /// What a stream holds unsent, as the bound counts it: `bytes` queued and `references` to
    /// shared event bytes not yet written.
    public func unsent(bytes: Int, references: Int) -> Int {
        bytes + references * Self.referenceCost
    }

    /// True when a stream holding `unsent` must be cut.
    public func isExceeded(by unsent: Int) -> Bool {
        unsent > maxBytes
    }

    /// How many more bytes may be queued (a replay's next pages) beside `unsent`; 0 or less: none.
    public func room(beside unsent: Int) -> Int {
        maxBytes - unsent
    }
}
