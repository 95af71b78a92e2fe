/// The replay history of one channel: the newest events, bounded by count and by age.
///
/// Invariant: read from `head` round the ring (`inOrder()`), `events` are in the order this
/// instance recorded them, so their sequences increase (in Redis mode, the order they reached this
/// instance, not the order of their publishes across shards); it holds at most `capacity` events,
/// and after `trim(now:)` none older than `ttl`. `droppedThrough` is the sequence of the newest
/// event that left (evicted or expired): a reader after an older sequence has lost events.
public struct ChannelHistory: Sendable {
    public private(set) var events: [PublishedEvent] = []
    /// Where the oldest event sits in `events` (a ring once full).
    private var head = 0
    /// Bound: `events.history_size`, so a busy channel's memory stays fixed.
    public private(set) var capacity: Int
    /// Bound: `events.history_ttl`, so a quiet channel lets go of old events.
    public private(set) var ttl: Duration
    /// The sequence of the newest event dropped (evicted or expired); 0 while none was.
    public private(set) var droppedThrough: UInt64 = 0
    /// Each held publisher's id and the sequence of its newest event: a resume and a duplicate
    /// check look an id up in one step instead of a pass over the history. Bounded with `events`.
    /// Ids Herald assigned are not in it: they name their sequence, and hashing them would cost
    /// every publish without an id more than the rest of its recording.
    private var sequencesByID: [String: UInt64] = [:]

    public init(capacity: Int, ttl: Duration) {
        self.capacity = capacity
        self.ttl = ttl
    }

    public var count: Int { events.count }
    public var isEmpty: Bool { events.isEmpty }
    /// True once an event was dropped (evicted or expired): an unknown id may then be one of them.
    public var hasDropped: Bool { droppedThrough > 0 }

    /// The newest event, if any.
    public var newest: PublishedEvent? {
        guard !events.isEmpty else { return nil }
        return self[events.count - 1]
    }

    /// Adds the newest event; `indexingID` false for an id Herald assigned (found by its sequence).
    public mutating func append(_ event: PublishedEvent, indexingID: Bool = true) {
        guard capacity > 0 else {
            droppedThrough = event.sequence
            return
        }
        if events.count < capacity {
            events.append(event)
        } else {
            forget(events[head])
            events[head] = event
            head = (head + 1) % capacity
        }
        if indexingID { sequencesByID[event.id] = event.sequence }
    }

    /// Notes that `event` left the history.
    private mutating func forget(_ event: PublishedEvent) {
        droppedThrough = event.sequence
        if !sequencesByID.isEmpty, sequencesByID[event.id] == event.sequence { sequencesByID[event.id] = nil }
    }

    /// Drops every event, as if all had left.
    public mutating func removeAll() {
        if let newest { droppedThrough = newest.sequence }
        events.removeAll()
        sequencesByID.removeAll()
        head = 0
    }

    /// New bounds (a reload): when the capacity shrinks, the oldest events beyond it leave; a
    /// shorter TTL takes effect at the next `trim`.
    public mutating func resize(capacity: Int, ttl: Duration) {
        self.ttl = ttl
        guard capacity != self.capacity else { return }
        var ordered = inOrder()
        let excess = max(0, ordered.count - capacity)
        for event in ordered[..<excess] { forget(event) }
        ordered.removeFirst(excess)
        events = ordered
        head = 0
        self.capacity = capacity
    }

    /// Drops events older than the TTL.
    public mutating func trim(now: ContinuousClock.Instant) {
        let cutoff = now - ttl
        var ordered = inOrder()
        let expired = ordered.prefix { $0.publishedAt < cutoff }.count
        guard expired > 0 else { return }
        for event in ordered[..<expired] { forget(event) }
        ordered.removeFirst(expired)
        events = ordered
        head = 0
    }

    /// Events oldest first.
    public func inOrder() -> [PublishedEvent] {
        guard head > 0 else { return events }
        return Array(events[head...] + events[..<head])
    }

    /// The sequence of the newest event with this id (ids may repeat; the latest one counts).
    /// `assigned`: the sequence `id` names when it has the form of an id Herald assigns, to find
    /// such an event, which the index does not hold.
    public func sequence(ofID id: String, assigned: UInt64? = nil) -> UInt64? {
        if let sequence = sequencesByID[id] { return sequence }
        guard let assigned else { return nil }
        let offset = firstOffset(after: assigned - 1)
        guard offset < events.count, self[offset].sequence == assigned, self[offset].id == id else { return nil }
        return assigned
    }

    /// The event of `sequence`, if held.
    public func event(withSequence sequence: UInt64) -> PublishedEvent? {
        let offset = firstOffset(after: sequence - 1)
        return offset < events.count && self[offset].sequence == sequence ? self[offset] : nil
    }

    /// The sequence of the newest event for which `isAtOrBefore` holds, given that it holds for
    /// a prefix of the history (oldest first); nil when it holds for none.
    public func newestSequence(where isAtOrBefore: (PublishedEvent) -> Bool) -> UInt64? {
        var low = 0
        var high = events.count
        while low < high {
            let middle = (low + high) / 2
            if isAtOrBefore(self[middle]) { low = middle + 1 } else { high = middle }
        }
        return low > 0 ? self[low - 1].sequence : nil
    }

    /// Events published after `sequence`, oldest first, as many as it takes to reach `maxBytes`
    /// of their bytes (the last one may pass it), or all of them: one page of a replay.
    public func events(after sequence: UInt64, upTo maxBytes: Int = .max) -> [PublishedEvent] {
        var page: [PublishedEvent] = []
        var bytes = 0
        var offset = firstOffset(after: sequence)
        while offset < events.count && bytes < maxBytes {
            let event = self[offset]
            page.append(event)
            bytes += event.bytes.count
            offset += 1
        }
        return page
    }

    /// The event `offset` places after the oldest.
    private subscript(offset: Int) -> PublishedEvent {
        events[(head + offset) % events.count]
    }

    /// The offset (from the oldest) of the first event after `sequence`; `count` if none.
    private func firstOffset(after sequence: UInt64) -> Int {
        var low = 0
        var high = events.count
        while low < high {
            let middle = (low + high) / 2
            if self[middle].sequence <= sequence { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
