// The channels of one Herald instance, shared by every event loop.
//
// Publishing (on the publish listener's loop) appends to the histories; subscribing (on any loop)
// is admitted against the limits and reads the histories to plan a replay. Both take one mutex
// for a short, bounded time; delivering to subscribers happens outside it, on each loop, with
// the events handed over by the server.

import EventStream
import Locks

/// Bounds the hub enforces; each maps to a proxy.conf key.
public struct HubLimits: Sendable {
    /// `events.history_size`: events kept per channel.
    public var historySize: Int
    /// `events.history_ttl`: how long an event stays replayable.
    public var historyTTL: Duration
    /// `limits.max_subscribers`: open streams per process (503 beyond).
    public var maxSubscribers: Int
    /// `limits.max_subscribers_per_ip`: open streams per client address (429 beyond).
    public var maxSubscribersPerIP: Int

    public init(historySize: Int = 1000, historyTTL: Duration = .seconds(3600),
                maxSubscribers: Int = 100_000, maxSubscribersPerIP: Int = 1000) {
        self.historySize = historySize
        self.historyTTL = historyTTL
        self.maxSubscribers = maxSubscribers
        self.maxSubscribersPerIP = maxSubscribersPerIP
    }
}

/// What a subscriber gets before live events.
public struct ReplayPlan: Sendable {
    /// Send an event of the reset type first: the client's id is not in the history, so events may
    /// have been lost to it. `resetID` is the id to give that event (the newest held), if any.
    public var reset: Bool
    public var resetID: String?
    /// The events to replay before live ones, read page by page with `Hub.nextPage`; nil when
    /// there is nothing to replay.
    public var cursor: ReplayCursor?
    /// Without a cursor: live events up to this sequence were published before the stream opened;
    /// the subscriber skips them when they arrive. With one, the last page says.
    public var coveredThrough: UInt64
}

/// A channel's figures for `GET /channels/<channel>`.
public struct ChannelStats: Sendable, Equatable {
    public var subscribers: Int
    public var lastEventID: String?
    public var eventsHeld: Int

    public init(subscribers: Int, lastEventID: String?, eventsHeld: Int) {
        self.subscribers = subscribers
        self.lastEventID = lastEventID
        self.eventsHeld = eventsHeld
    }
}

public enum Admission: Sendable, Equatable {
    case admitted
    /// Refused with this status (429 or 503), a reason, and a Retry-After in seconds.
    case refused(status: Int, reason: String, retryAfter: Int)
}

public final class Hub: Sendable {
    private struct Channel {
        var history: ChannelHistory
        var subscribers = 0
    }

    private struct State {
        var channels: [String: Channel] = [:]
        var sequence: UInt64 = 0
        var subscribers = 0
        var subscribersPerIP: [String: Int] = [:]
        var limits: HubLimits

        /// Herald's ids are `<instance>-<sequence>`: the instance part (its start time, base 36)
        /// keeps an id from before a restart from matching a new event with the same sequence.
        let idPrefix: String
        /// The newest event `record` made: the next record of the same publish (another of its
        /// channels) shares its sequence and bytes.
        var lastRecorded: (origin: PublishOrigin, event: PublishedEvent)?

        mutating func append(_ item: PublishedEvent, to name: String, indexingID: Bool) {
            let limits = self.limits
            channels[name, default: Channel(history: ChannelHistory(capacity: limits.historySize, ttl: limits.historyTTL))]
                .history.append(item, indexingID: indexingID)
        }

        /// The sequence of the newest event with `id` on `channel`, if its history holds one.
        func sequence(ofID id: String, on channel: String) -> UInt64? {
            channels[channel]?.history.sequence(ofID: id, assigned: assignedSequence(id))
        }

        /// The sequence an id of the form Herald assigns names, if it has that form.
        func assignedSequence(_ id: String) -> UInt64? {
            guard id.utf8.starts(with: idPrefix.utf8), let sequence = UInt64(Substring(id.utf8.dropFirst(idPrefix.utf8.count))),
                  sequence > 0 else { return nil }
            return sequence
        }

        /// Where a replay on `channel` starts for a client that saw the event of sequence `seen`
        /// (on one of `channels`). Here, sequences order every channel alike. In Redis mode they
        /// are the order events reached this instance, which for a channel it began to follow
        /// later is not the order they were published in: there the channel starts after its
        /// newest event published (by the origin's order on one shard, by time across shards) no
        /// later than the seen one, as on the instance the client came from.
        func start(on channel: String, after seen: UInt64, of channels: [String]) -> UInt64 {
            guard channels.count > 1,
                  let event = channels.lazy.compactMap({ self.channels[$0]?.history.event(withSequence: seen) }).first,
                  let origin = event.origin, let history = self.channels[channel]?.history else { return seen }
            return history.newestSequence { other in
                guard let otherOrigin = other.origin else { return other.sequence <= seen }
                return otherOrigin.shard == origin.shard ? otherOrigin.g <= origin.g : other.publishedAt <= event.publishedAt
            } ?? 0
        }

        /// True when `channel`'s history holds the publisher's `id`. Herald assigns ids to
        /// publishes without one (empty here), and those are never duplicates.
        func isDuplicate(_ id: String, on channel: String) -> Bool {
            !id.isEmpty && sequence(ofID: id, on: channel) != nil
        }
    }

    private let state: Locked<State>

    public init(limits: HubLimits, instance: String) {
        state = Locked(State(limits: limits, idPrefix: instance + "-"))
    }

    public var limits: HubLimits { state.withLock { $0.limits } }

    /// New limits (a reload): every history takes the new bounds at once; streams open beyond a
    /// lowered subscriber limit stay, and new ones wait until they are under it.
    public func change(limits: HubLimits) {
        state.withLock { state in
            let old = state.limits
            state.limits = limits
            guard old.historySize != limits.historySize || old.historyTTL != limits.historyTTL else { return }
            for name in state.channels.keys {
                state.channels[name]!.history.resize(capacity: limits.historySize, ttl: limits.historyTTL)
            }
        }
    }

    // MARK: Publishing

    /// Records `event` on every channel in `channels` and says what it did there, one outcome per
    /// channel. An empty `event.id` gets one assigned. A channel whose history already holds the
    /// publisher's id gets a duplicate: checked under the lock, so two identical publishes at once
    /// cannot both land. One publish is one sequence number, whatever the number of channels, so
    /// a stream on several of them gets it once.
    public func publish(_ event: ServerSentEvent, to channels: [String], at now: ContinuousClock.Instant) -> [PublishOutcome] {
        state.withLock { state in
            // Ids Herald assigns are never duplicates: a publish without one is new everywhere.
            let assigning = event.id.isEmpty
            let isNew = assigning ? [Bool](repeating: true, count: channels.count)
                : channels.map { !state.isDuplicate(event.id, on: $0) }
            let newChannels = assigning ? channels : zip(channels, isNew).filter(\.1).map(\.0)
            guard !newChannels.isEmpty else { return channels.map { .duplicate(channel: $0, id: event.id) } }
            state.sequence += 1
            let sequence = state.sequence
            var event = event
            if assigning { event.id = state.idPrefix + String(sequence) }
            var outcomes: [PublishOutcome] = []
            outcomes.reserveCapacity(channels.count)
            var first: PublishedEvent?
            for (name, isNew) in zip(channels, isNew) {
                guard isNew else {
                    outcomes.append(.duplicate(channel: name, id: event.id))
                    continue
                }
                let item = PublishedEvent(sequence: sequence, channel: name, event: event, publishedAt: now,
                                          sharing: first, publishedTo: newChannels)
                first = first ?? item
                state.append(item, to: name, indexingID: !assigning)
                outcomes.append(.stored(item))
            }
            return outcomes
        }
    }

    /// Records an item of Pushpin's format (raw http-stream `content`) on `channel`; an empty `id`
    /// gets one assigned, as for events, and an id the channel holds is a duplicate. It shares the
    /// history and the order of Herald's events.
    public func publish(rawContent content: [UInt8], id: String, to channel: String, at now: ContinuousClock.Instant) -> PublishOutcome {
        state.withLock { state in
            if state.isDuplicate(id, on: channel) { return .duplicate(channel: channel, id: id) }
            state.sequence += 1
            let sequence = state.sequence
            let item = PublishedEvent(sequence: sequence, channel: channel, id: id.isEmpty ? state.idPrefix + String(sequence) : id,
                                      rawContent: content, publishedAt: now)
            state.append(item, to: channel, indexingID: !id.isEmpty)
            return .stored(item)
        }
    }

    // MARK: Recording what another instance published (Redis mode)

    /// Records an event stored in Redis on `channel`, with the id Redis gave it, and returns it to
    /// be delivered. Its sequence is this instance's next one, in the order the events reach it,
    /// except that the consecutive records of one publish (`origin`: several of its channels)
    /// share one sequence and one encoding, so a stream on several of them gets it once.
    /// `publishedTo` is every channel of the publish, in the publisher's order ([] for one).
    public func record(_ content: RecordedContent, id: String, on channel: String, publishedTo channels: [String],
                       origin: PublishOrigin, at publishedAt: ContinuousClock.Instant) -> PublishedEvent {
        state.withLock { state in
            let previous = state.lastRecorded.flatMap { $0.origin == origin && $0.event.channel != channel ? $0.event : nil }
            let sequence: UInt64
            if let previous {
                sequence = previous.sequence
            } else {
                state.sequence += 1
                sequence = state.sequence
            }
            let item: PublishedEvent
            switch content {
            case .event(var event):
                event.id = id
                item = PublishedEvent(sequence: sequence, channel: channel, event: event, publishedAt: publishedAt,
                                      sharing: previous, publishedTo: channels.count > 1 ? channels : nil, origin: origin)
            case .raw(let bytes):
                item = PublishedEvent(sequence: sequence, channel: channel, id: id, rawContent: bytes, publishedAt: publishedAt,
                                      origin: origin)
            }
            state.lastRecorded = (origin, item)
            state.append(item, to: channel, indexingID: true)
            return item
        }
    }

    /// Forgets `channel`'s history (its events' ids name nothing any more: Redis lost them, or
    /// this instance stopped following the channel); its subscribers stay. A client that resumes
    /// from one of those ids gets the reset.
    public func clearHistory(of channel: String) {
        state.withLock { state in
            guard var entry = state.channels[channel] else { return }
            entry.history.removeAll()
            state.channels[channel] = entry.subscribers > 0 || !entry.history.isEmpty ? entry : nil
        }
    }

    // MARK: Subscribing

    /// Admits a stream from `address` on `channels`, counting it, or says why not.
    public func admit(address: String, channels: [String]) -> Admission {
        state.withLock { state in
            if state.subscribers >= state.limits.maxSubscribers {
                return .refused(status: 503, reason: "too many subscribers on this server", retryAfter: 5)
            }
            if state.subscribersPerIP[address, default: 0] >= state.limits.maxSubscribersPerIP {
                return .refused(status: 429, reason: "too many streams from \(address)", retryAfter: 10)
            }
            state.subscribers += 1
            state.subscribersPerIP[address, default: 0] += 1
            let limits = state.limits
            for name in channels {
                state.channels[name, default: Channel(history: ChannelHistory(capacity: limits.historySize, ttl: limits.historyTTL))]
                    .subscribers += 1
            }
            return .admitted
        }
    }

    /// Un-counts a stream admitted with the same arguments.
    public func release(address: String, channels: [String]) {
        state.withLock { state in
            state.subscribers -= 1
            let left = state.subscribersPerIP[address, default: 1] - 1
            state.subscribersPerIP[address] = left > 0 ? left : nil
            for name in channels {
                state.channels[name]?.subscribers -= 1
            }
        }
    }

    /// What a stream on `channels` replays, given the id the client last saw (nil: a new client).
    /// A value that names no event (`.unusable`) is reset like an id the history no longer holds.
    public func replay(channels: [String], after lastEventID: LastEventID?) -> ReplayPlan {
        state.withLock { state in
            let now = state.sequence
            guard let lastEventID else {
                return ReplayPlan(reset: false, resetID: nil, cursor: nil, coveredThrough: now)
            }
            guard case .id(let id) = lastEventID, let seen = channels.compactMap({ state.sequence(ofID: id, on: $0) }).max() else {
                let newest = channels.compactMap { state.channels[$0]?.history.newest }.max { $0.sequence < $1.sequence }
                return ReplayPlan(reset: true, resetID: newest?.id, cursor: nil, coveredThrough: now)
            }
            let starts = channels.map { ReplayCursor.Start(channel: $0, after: state.start(on: $0, after: seen, of: channels)) }
            return ReplayPlan(reset: false, resetID: nil, cursor: ReplayCursor(starts: starts), coveredThrough: now)
        }
    }

    /// What a stream held through GRIP replays: for each channel with a resume id (`prev-id`),
    /// the events its history holds after that id; nothing for a channel without one or whose id
    /// is not held (there is no reset event in a raw stream), but what is published to it from now
    /// on, which comes through the cursor until it catches up.
    public func replay(resumingAfter ids: [(channel: String, id: String?)]) -> ReplayPlan {
        state.withLock { state in
            let now = state.sequence
            var resumes = false
            let starts = ids.map { channel, id in
                let seen = id.flatMap { state.sequence(ofID: $0, on: channel) }
                resumes = resumes || seen != nil
                return ReplayCursor.Start(channel: channel, after: seen ?? now)
            }
            return ReplayPlan(reset: false, resetID: nil, cursor: resumes ? ReplayCursor(starts: starts) : nil,
                              coveredThrough: now)
        }
    }

    /// The next page of `cursor`'s replay: the events of its channels after its position, in
    /// publish order and each once (an event of several of the channels comes once), as many as
    /// reach `maxBytes` (at least one); moves the cursor past them. The lock is held for one page.
    public func nextPage(_ cursor: inout ReplayCursor, maxBytes: Int) -> ReplayPage {
        state.withLock { state in
            // Each channel's part: its events after its place, as many as reach maxBytes.
            var parts: [[PublishedEvent]] = []
            parts.reserveCapacity(cursor.starts.count)
            for start in cursor.starts {
                guard let history = state.channels[start.channel]?.history else {
                    parts.append([])
                    continue
                }
                if history.droppedThrough > start.after { return .lost }
                parts.append(history.events(after: start.after, upTo: maxBytes))
            }
            guard parts.contains(where: { !$0.isEmpty }) else { return .caughtUp(coveredThrough: state.sequence) }
            guard parts.count > 1 else {
                cursor.starts[0].after = parts[0][parts[0].count - 1].sequence
                return .events(parts[0])
            }
            var page = parts.flatMap { $0 }
            // Each channel's part reaches maxBytes by itself (or is all it has), so the merged
            // prefix up to maxBytes misses no event of any channel.
            page.sort(by: Self.publishOrder(of: page))
            var previous: UInt64 = 0
            page.removeAll { event in
                defer { previous = event.sequence }
                return event.sequence == previous
            }
            var bytes = 0
            let taken = page.prefix { event in
                defer { bytes += event.bytes.count }
                return bytes < maxBytes
            }.count
            page.removeLast(page.count - taken)
            // Each channel moves past what was taken of it (a prefix of its part, in its order).
            let sent = Set(page.map(\.sequence))
            for (index, part) in parts.enumerated() {
                for event in part {
                    guard sent.contains(event.sequence) else { break }
                    cursor.starts[index].after = event.sequence
                }
            }
            return .events(page)
        }
    }

    /// How a replay on several channels orders their events: by the order Redis gave them when
    /// every one came through one Redis server (the same on every instance, whenever each began
    /// to follow its channel), else by the order they reached this instance.
    private static func publishOrder(of events: [PublishedEvent]) -> (PublishedEvent, PublishedEvent) -> Bool {
        if let shard = events[0].origin?.shard, events.allSatisfy({ $0.origin?.shard == shard }) {
            return { $0.origin!.g < $1.origin!.g }
        }
        return { $0.sequence < $1.sequence }
    }

    // MARK: Upkeep and figures

    /// Drops expired events, and channels with neither history nor subscribers.
    public func expire(at now: ContinuousClock.Instant) {
        state.withLock { state in
            for name in Array(state.channels.keys) {
                state.channels[name]!.history.trim(now: now)
                if state.channels[name]!.history.isEmpty && state.channels[name]!.subscribers <= 0 {
                    state.channels[name] = nil
                }
            }
        }
    }

    public func stats(channel: String) -> ChannelStats? {
        state.withLock { state in
            state.channels[channel].map {
                ChannelStats(subscribers: $0.subscribers, lastEventID: $0.history.newest?.id, eventsHeld: $0.history.count)
            }
        }
    }

    /// Open streams and known channels, for /metrics.
    public var totals: (subscribers: Int, channels: Int) {
        state.withLock { ($0.subscribers, $0.channels.count) }
    }
}
