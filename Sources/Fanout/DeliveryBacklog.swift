// The events one loop has been handed and not yet delivered to every stream, and the sweep that
// delivers them a few streams at a time, so that the loop goes on reading (publishes among them)
// while a sweep over thousands of streams is under way.
//
// A sweep goes channel by channel, over the streams each channel has when the sweep reaches it. A
// visited stream takes every backlog event it has not had yet (those after its `coveredThrough`),
// so events that arrive during a sweep join it for every stream not yet visited, in the same
// write; the streams visited before get them from the next sweep. When a sweep ends, every event
// that was in the backlog when it began has reached every stream: a stream that joined a channel
// after the sweep passed it was covered through them at admission (they were published before it
// subscribed). Those events leave the backlog.

/// A loop's undelivered events and the sweep over its streams. Not thread-safe: each loop has its
/// own. Inlinable, so the loop's module specializes it for its stream type (why: BENCHMARKS.md,
/// "Why the hot paths look as they do").
public struct DeliveryBacklog<Stream: AnyObject> {
    /// What `next(in:)` asks of the caller.
    public enum Step {
        /// Deliver to this stream what it has not had: `batch(after:)` when it is on the sweep's
        /// channel alone, `events(after:)` (filtered to its channels) when on several.
        case visit(Stream)
        /// These events have reached every stream and left the backlog.
        case delivered(ArraySlice<PublishedEvent>)
        /// The backlog is empty.
        case idle
    }

    /// Every undelivered event, in publish order.
    @usableFromInline var events: [PublishedEvent] = []
    /// The same events by channel, channels in the order they first appeared.
    @usableFromInline var channels: [ChannelEvents] = []
    @usableFromInline var channelIndex: [String: Int] = [:]

    /// The sweep under way: the channel it is on (an index into `channels`), the streams that
    /// channel had when the sweep reached it (once `membersTaken`) and the next of them, and the
    /// newest sequence in the backlog when the sweep began.
    @usableFromInline var sweepChannel = 0
    /// A copy, not the registry's own collection: streams that leave during the sweep then cost
    /// the registry no copy of its whole table. Not an optional: binding one to read it would
    /// retain the array on every visit.
    @usableFromInline var members: ContiguousArray<Stream> = []
    @usableFromInline var membersTaken = false
    @usableFromInline var nextMember = 0
    @usableFromInline var sweepThrough: UInt64?

    @inlinable
    public init() {}

    @inlinable
    public var isEmpty: Bool { events.isEmpty }

    /// Adds newly handed-off events (in publish order, after every event already added).
    @inlinable
    public mutating func append(_ new: [PublishedEvent]) {
        for event in new {
            if let position = channelIndex[event.channel] {
                channels[position].events.append(event)
                channels[position].batches.removeAll()
            } else {
                channelIndex[event.channel] = channels.count
                channels.append(ChannelEvents(channel: event.channel, events: [event]))
            }
        }
        events += new
    }

    /// Advances the sweep: the next stream to deliver to, or the events a finished sweep
    /// delivered, or `.idle`. A finished sweep with events left starts the next one.
    @inlinable
    public mutating func next(in registry: StreamRegistry<Stream>) -> Step {
        // Read in place: `events.last` would retain the event and release it again, per visit.
        guard !events.isEmpty else { return .idle }
        guard let through = sweepThrough else {
            sweepThrough = events[events.count - 1].sequence
            sweepChannel = 0
            members = []
            membersTaken = false
            return next(in: registry)
        }
        while sweepChannel < channels.count {
            if !membersTaken {
                members = registry.streams(on: channels[sweepChannel].channel).map(ContiguousArray.init) ?? []
                membersTaken = true
                nextMember = 0
            }
            if nextMember < members.count {
                nextMember += 1
                return .visit(members[nextMember - 1])
            }
            members = []
            membersTaken = false
            sweepChannel += 1
        }
        sweepThrough = nil
        return .delivered(removeAll(through: through))
    }

    /// Calls `body` with the stream `ahead` places after the one `.visit` just named, when the
    /// sweep's channel has one, borrowed (not retained, so not touched): for cache hints, so that
    /// the memory of the streams to come is on its way while the caller writes to this one.
    /// Mutating so that it runs on the backlog in place, not on a copy of it (why: BENCHMARKS.md).
    @inlinable
    public mutating func withUpcoming(_ ahead: Int, _ body: (Stream) -> Void) {
        let index = nextMember - 1 + ahead
        members.withUnsafeBufferPointer { upcoming in
            if index < upcoming.count { body(upcoming[index]) }
        }
    }

    /// The events of the sweep's channel after `covered`, as one batch shared by every stream at
    /// the same point; nil when there are none. For the stream `.visit` just named.
    @inlinable
    public mutating func batch(after covered: UInt64) -> EventBatch? {
        guard sweepChannel < channels.count else { return nil }
        return channels[sweepChannel].batch(after: covered)
    }

    /// Every channel's events after `covered`, in publish order.
    @inlinable
    public func events(after covered: UInt64) -> ArraySlice<PublishedEvent> {
        events[events.firstIndex(after: covered)...]
    }

    /// Drops the events up to `sequence` (the start of the backlog) and returns them.
    @usableFromInline
    mutating func removeAll(through sequence: UInt64) -> ArraySlice<PublishedEvent> {
        let count = events.firstIndex(after: sequence)
        let removed = events[..<count]
        events.removeFirst(count)
        for position in channels.indices {
            channels[position].events.removeFirst(channels[position].events.firstIndex(after: sequence))
            channels[position].batches.removeAll()
        }
        channels.removeAll { $0.events.isEmpty }
        channelIndex = Dictionary(uniqueKeysWithValues: channels.enumerated().map { ($1.channel, $0) })
        return removed
    }
}

/// One channel's part of the backlog, with the batches made of it so far.
@usableFromInline
struct ChannelEvents {
    @usableFromInline let channel: String
    @usableFromInline var events: [PublishedEvent]
    /// Batches of `events` from an index to the end; streams visited at the same point
    /// share one (and so one buffer). Emptied when events are added or removed.
    @usableFromInline var batches: [(start: Int, batch: EventBatch)] = [] {
        didSet { latest = nil }
    }
    /// The batch last asked for and the point it was asked at: most of a sweep asks the same.
    @usableFromInline var latest: (covered: UInt64, batch: EventBatch)?

    @usableFromInline
    init(channel: String, events: [PublishedEvent]) {
        self.channel = channel
        self.events = events
    }

    @inlinable
    mutating func batch(after covered: UInt64) -> EventBatch? {
        if let latest, latest.covered == covered { return latest.batch }
        let start = events.firstIndex(after: covered)
        guard start < events.count else { return nil }
        let batch: EventBatch
        if let made = batches.first(where: { $0.start == start }) {
            batch = made.batch
        } else {
            batch = EventBatch(channel: channel, events: Array(events[start...]))
            batches.append((start, batch))
        }
        latest = (covered, batch)
        return batch
    }
}

extension Array where Element == PublishedEvent {
    /// The index of the first event whose sequence is after `sequence` (`count` if none); the
    /// events are in publish order.
    @inlinable
    func firstIndex(after sequence: UInt64) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle].sequence <= sequence { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
