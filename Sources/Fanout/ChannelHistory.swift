/// The replay history of one channel: the newest events, bounded by count and by age.
///
/// Invariant: `events` is in publish order (sequences increase), holds at most `capacity` events,
/// and after `trim(now:)` none older than `ttl`.
public struct ChannelHistory: Sendable {
    public private(set) var events: [PublishedEvent] = []
    /// Where the oldest event sits in `events` (a ring once full).
    private var head = 0
    /// Bound: `events.history_size`, so a busy channel's memory stays fixed.
    public let capacity: Int
    /// Bound: `events.history_ttl`, so a quiet channel lets go of old events.
    public let ttl: Duration
    /// True once an event was dropped (evicted or expired): an unknown id may then be one of them.
    public private(set) var hasDropped = false

    public init(capacity: Int, ttl: Duration) {
        self.capacity = capacity
        self.ttl = ttl
    }

    public var count: Int { events.count }
    public var isEmpty: Bool { events.isEmpty }

    /// The newest event, if any.
    public var newest: PublishedEvent? {
        guard !events.isEmpty else { return nil }
        return events[(head + events.count - 1) % events.count]
    }

    public mutating func append(_ event: PublishedEvent) {
        guard capacity > 0 else {
            hasDropped = true
            return
        }
        if events.count < capacity {
            events.append(event)
        } else {
            events[head] = event
            head = (head + 1) % capacity
            hasDropped = true
        }
    }

    /// Drops events older than the TTL.
    public mutating func trim(now: ContinuousClock.Instant) {
        let cutoff = now - ttl
        var ordered = inOrder()
        let expired = ordered.prefix { $0.publishedAt < cutoff }.count
        guard expired > 0 else { return }
        ordered.removeFirst(expired)
        events = ordered
        head = 0
        hasDropped = true
    }

    /// Events oldest first.
    public func inOrder() -> [PublishedEvent] {
        guard head > 0 else { return events }
        return Array(events[head...] + events[..<head])
    }

    /// The sequence of the newest event with this id (ids may repeat; the latest one counts).
    public func sequence(ofID id: String) -> UInt64? {
        let total = events.count
        for offset in stride(from: total - 1, through: 0, by: -1) {
            let event = events[(head + offset) % total]
            if event.id == id { return event.sequence }
        }
        return nil
    }

    /// Events published after `sequence`, oldest first.
    public func events(after sequence: UInt64) -> [PublishedEvent] {
        inOrder().filter { $0.sequence > sequence }
    }
}
