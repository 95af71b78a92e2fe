// What one instance knows of the channels it follows on one shard, and what to do when Redis
// says something: a state machine without IO (the engine's `ShardLink` performs its actions).
//
// The rule that keeps every event: a channel's entries form a chain (each names the g of the one
// before it in its epoch), and the mirror records an entry only right after its predecessor. An
// announcement whose predecessor the mirror has not seen means something was missed (a lost
// connection, a subscription that was not yet in place): the channel goes back to loading, reads
// the stream from its last g, and holds the announcements that come meanwhile. A read is sent
// only once the SUBSCRIBE is confirmed, so nothing published between the two can fall through.
//
//   idle/stale ──want──▶ subscribing ──subscribed──▶ loading ──loaded──▶ live
//        ▲                    │                        ▲   │               │
//        └──unwanted/disconnected──────────────────────┘   └─gap, epoch────┘

/// The channels of one shard that this instance follows, each with its epoch and newest g.
public struct ChannelTracker: Sendable {
    /// What the engine is to do.
    public enum Action: Sendable, Equatable {
        case subscribe(String)
        case unsubscribe(String)
        /// Read the channel's stream after g `after`, with its epoch; answer with `loaded(…)`,
        /// passing `token` back (an answer to an older read is ignored).
        case read(String, after: UInt64, token: UInt64)
        /// Record these events of the channel, in order, and deliver them.
        case record(String, [ClusterEvent])
        /// The channel's history in Redis started over (a new epoch): forget the mirror's ids.
        case clearMirror(String)
        /// Events of the channel were lost before this instance could read them (trimmed from
        /// the stream while it was disconnected): its streams must reconnect, to be told.
        case lost(String)
        /// The channel is followed: streams waiting on it may start.
        case ready(String)
        /// The channel is no longer followed (the connection was lost): new streams wait.
        case unready(String)
    }

    /// What the mirror holds of a channel: its epoch (nil: Redis held nothing of it) and the g
    /// of its newest entry.
    struct Mirror: Sendable, Equatable {
        var epoch: String?
        var lastG: UInt64
    }

    enum Phase: Sendable, Equatable {
        /// Not subscribed (never, or no longer wanted, or disconnected); the mirror, if any, is
        /// kept to catch up from. Accepts: want, connected. Announcements are dropped.
        case stale(Mirror?)
        /// SUBSCRIBEs sent, not all confirmed. Accepts: subscribed, message (held), unwanted,
        /// disconnected.
        case subscribing(Mirror?, held: [ClusterEvent])
        /// The read `token` is under way. Accepts: loaded (→ live, or another read), message
        /// (held), unwanted, disconnected.
        case loading(Mirror?, held: [ClusterEvent], token: UInt64, overflowed: Bool)
        /// Following: announcements are recorded in chain order. Accepts: message (→ record, or
        /// loading on a gap or a new epoch), unwanted, disconnected.
        case live(Mirror)
    }

    struct Channel: Sendable, Equatable {
        var phase = Phase.stale(nil)
        var wanted = false
        /// SUBSCRIBEs sent and not yet confirmed: the read waits for the last.
        var subscribing = 0
        /// Streams were told it is followed (`ready`), and not told otherwise since.
        var ready = false
    }

    /// Announcements held per channel while it loads: past this, they are dropped and the
    /// stream read again after the load (nothing is lost, the stream has them), so a channel
    /// that loads slowly under a flood cannot hold unbounded memory.
    public static let maxHeld = 10_000

    private(set) var channels: [String: Channel] = [:]
    private(set) var isConnected = false
    private var nextToken: UInt64 = 0
    /// The reads ask for at most this many entries (`events.history_size`, at least 1).
    public let readCount: Int

    public init(readCount: Int) {
        self.readCount = max(1, readCount)
    }

    /// Whether the tracker holds anything of `channel`.
    public func isTracking(_ channel: String) -> Bool { channels[channel] != nil }

    // MARK: Events

    /// The first stream on `channel` opened here.
    public mutating func want(_ channel: String) -> [Action] {
        var entry = channels[channel] ?? Channel()
        defer { channels[channel] = entry }
        entry.wanted = true
        guard isConnected, case .stale(let mirror) = entry.phase else { return [] }
        entry.phase = .subscribing(mirror, held: [])
        entry.subscribing += 1
        return [.subscribe(channel)]
    }

    /// The last stream on `channel` here closed: unsubscribe, keep the mirror to catch up from.
    public mutating func unwanted(_ channel: String) -> [Action] {
        guard var entry = channels[channel] else { return [] }
        defer { channels[channel] = entry }
        entry.wanted = false
        entry.ready = false
        switch entry.phase {
        case .stale:
            return []
        case .subscribing(let mirror, _), .loading(let mirror, _, _, _):
            entry.phase = .stale(mirror)
        case .live(let mirror):
            entry.phase = .stale(mirror)
        }
        return isConnected ? [.unsubscribe(channel)] : []
    }

    /// Redis confirmed a SUBSCRIBE to `channel`: once the last is, read what was missed.
    public mutating func subscribed(_ channel: String) -> [Action] {
        guard var entry = channels[channel] else { return [] }
        defer { channels[channel] = entry }
        entry.subscribing = max(0, entry.subscribing - 1)
        guard entry.subscribing == 0, case .subscribing(let mirror, _) = entry.phase else { return [] }
        return startLoading(&entry, channel, mirror)
    }

    /// A read answered: the channel's epoch (nil: Redis holds nothing of it), its newest g, and
    /// its entries after the g asked for (at most `readCount`).
    public mutating func loaded(_ channel: String, token: UInt64, epoch: String?, lastG: UInt64, events: [ClusterEvent]) -> [Action] {
        guard var entry = channels[channel],
              case .loading(let mirror, let held, let expected, let overflowed) = entry.phase, token == expected else { return [] }
        defer { channels[channel] = entry }
        var actions: [Action] = []
        // The history started over since the mirror was made: what it holds names nothing.
        if let mirror, mirror.epoch != nil, mirror.epoch != epoch {
            actions.append(.clearMirror(channel))
            return actions + startLoading(&entry, channel, nil)
        }
        var current = mirror ?? Mirror(epoch: epoch, lastG: 0)
        current.epoch = epoch
        let fresh = events.filter { $0.g > current.lastG }
        // Entries after the mirror's last g left the stream (trimmed while this instance could
        // not read): its streams missed them, and must reconnect to be told.
        if let first = fresh.first, mirror != nil, current.lastG > 0, first.previous != current.lastG {
            actions.append(.lost(channel))
        }
        if !fresh.isEmpty {
            actions.append(.record(channel, fresh))
            current.lastG = fresh[fresh.count - 1].g
        }
        if events.count >= readCount, lastG > current.lastG {
            // More than one read's worth: read on before going live.
            return actions + startLoading(&entry, channel, current)
        }
        // Nothing more is held (history_size 0 stores no entries, but the chain still moves).
        current.lastG = max(current.lastG, lastG)
        if overflowed { return actions + startLoading(&entry, channel, current) }
        entry.phase = .live(current)
        for event in held {
            actions += receive(&entry, channel, event)
        }
        if case .live = entry.phase, !entry.ready {
            entry.ready = true
            actions.append(.ready(channel))
        }
        return actions
    }

    /// An announcement on `channel`'s pub/sub channel.
    public mutating func message(_ channel: String, _ event: ClusterEvent) -> [Action] {
        // Taken out while it changes, so a held list is appended to in place, not copied.
        guard var entry = channels.removeValue(forKey: channel) else { return [] }
        defer { channels[channel] = entry }
        return receive(&entry, channel, event)
    }

    /// The connection to the shard was lost: nothing is subscribed any more, reads will not be
    /// answered, and streams not yet started wait.
    public mutating func disconnected() -> [Action] {
        isConnected = false
        var actions: [Action] = []
        for name in channels.keys.sorted() {
            var entry = channels[name]!
            switch entry.phase {
            case .stale: break
            case .subscribing(let mirror, _), .loading(let mirror, _, _, _): entry.phase = .stale(mirror)
            case .live(let mirror): entry.phase = .stale(mirror)
            }
            entry.subscribing = 0
            if entry.ready {
                entry.ready = false
                actions.append(.unready(name))
            }
            channels[name] = entry
        }
        return actions
    }

    /// Connected (again): every wanted channel is subscribed anew and read from its last g.
    public mutating func connected() -> [Action] {
        isConnected = true
        var actions: [Action] = []
        for name in channels.keys.sorted() where channels[name]!.wanted {
            actions += want(name)
        }
        return actions
    }

    /// Lets go of `channel` if no stream here wants it: its mirror is cleared and its entry
    /// dropped, so a channel followed once does not cost memory for ever. A stream that wants it
    /// later reads its history whole. Nothing when it is wanted again meanwhile.
    public mutating func forget(_ channel: String) -> [Action] {
        guard let entry = channels[channel], !entry.wanted, entry.subscribing == 0, case .stale = entry.phase else { return [] }
        channels[channel] = nil
        return [.clearMirror(channel)]
    }

    // MARK: Rules

    /// Sends a read after the mirror's last g. What was held is dropped: it was announced before
    /// the read runs, so the read returns it (or it is of an older epoch, and must not count).
    private mutating func startLoading(_ entry: inout Channel, _ channel: String, _ mirror: Mirror?) -> [Action] {
        nextToken += 1
        entry.phase = .loading(mirror, held: [], token: nextToken, overflowed: false)
        return [.read(channel, after: mirror?.lastG ?? 0, token: nextToken)]
    }

    /// One announcement (or one held since): hold it, record it, drop it, or go back to loading.
    private mutating func receive(_ entry: inout Channel, _ channel: String, _ event: ClusterEvent) -> [Action] {
        switch entry.phase {
        case .stale:
            return []
        case .subscribing(let mirror, var held):
            entry.phase = .stale(nil)  // lets go of the list, so the append below does not copy it
            if held.count >= Self.maxHeld {
                // Confirmed subscriptions read after the mirror's g anyway; what was held is there.
                held.removeAll()
            }
            held.append(event)
            entry.phase = .subscribing(mirror, held: held)
            return []
        case .loading(let mirror, var held, let token, var overflowed):
            entry.phase = .stale(nil)  // lets go of the list, so the append below does not copy it
            if held.count >= Self.maxHeld {
                held.removeAll()
                overflowed = true
            } else {
                held.append(event)
            }
            entry.phase = .loading(mirror, held: held, token: token, overflowed: overflowed)
            return []
        case .live(var mirror):
            if event.epoch != mirror.epoch {
                // Redis had nothing of the channel, and this is its first entry: the chain starts.
                if mirror.epoch == nil && event.previous == 0 {
                    mirror = Mirror(epoch: event.epoch, lastG: event.g)
                    entry.phase = .live(mirror)
                    return [.record(channel, [event])]
                }
                // A new epoch, or a late word of an old one: the read says which (`loaded`
                // clears the mirror only when Redis's epoch is not the mirror's).
                return startLoading(&entry, channel, mirror)
            }
            if event.g <= mirror.lastG { return [] }
            if event.previous > mirror.lastG {
                // A gap: read what was missed, this event and anything after it.
                return startLoading(&entry, channel, mirror)
            }
            mirror.lastG = event.g
            entry.phase = .live(mirror)
            return [.record(channel, [event])]
        }
    }
}
