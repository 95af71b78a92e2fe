// Redis mode: many Herald instances that behave as one.
//
// A publish goes to Redis first (one Lua script per shard appends it to each channel's stream and
// announces it), and is answered 202 only once Redis has stored it. Every instance follows, over
// one subscriber connection per shard, the channels its streams are on: what the announcements
// bring is recorded in its hub and handed to its loops like a local publish, encoded once. A
// `ChannelTracker` per shard keeps each followed channel's epoch and newest offset, so a gap (a
// lost connection, an announcement missed) is filled from the stream before anything later, and
// an epoch that changed (Redis lost its data) clears what the mirror held.
//
// Everything here runs on the publish loop. Streams reach it through `ChannelInterest` (which
// channels are wanted) and get back `setFollowed` (their replay may be planned).

import Cluster
import EventStream
import Fanout
import Foundation
import HeraldConfig
import LibeventIO
import Logging
import Publishing
import RedisClient

final class ClusterEngine: PublishStore, @unchecked Sendable {
    // @unchecked: every member is touched on `loop`'s thread only; other threads reach it through
    // `loop.execute` (ChannelInterest's sink).

    let loop: EventLoop
    private let settings: RedisSettings
    /// `[events]`, for the history bounds written with each publish; a reload replaces it.
    var events: EventsSettings
    private let hub: Hub
    private let handOff: LoopHandOff
    private let interest: ChannelInterest
    private let health: ServiceHealth
    private let metrics: HeraldMetrics
    private let logger: Logger
    private let keys: ClusterKeys
    private let shardMap: ShardMap
    private var shards: [ShardLink] = []

    init(loop: EventLoop, settings: RedisSettings, events: EventsSettings, hub: Hub, handOff: LoopHandOff,
         interest: ChannelInterest, health: ServiceHealth, metrics: HeraldMetrics, logger: Logger) {
        self.loop = loop
        self.settings = settings
        self.events = events
        self.hub = hub
        self.handOff = handOff
        self.interest = interest
        self.health = health
        self.metrics = metrics
        self.logger = logger
        keys = ClusterKeys(prefix: settings.keyPrefix)
        shardMap = ShardMap(shardCount: settings.urls.count)
    }

    /// Connects every shard and starts following the channels streams want (on `loop`).
    func start() {
        shards = settings.shards.enumerated().map { index, url in
            ShardLink(index: index, url: url, settings: settings, engine: self)
        }
        health.setRedisUnavailable(unavailableReason)
        for shard in shards {
            metrics.setRedisUp(shard: shard.index, false)
            shard.connect()
        }
        let wanted = interest.attach { [self] channels, wanted in
            loop.execute { [self] in
                for channel in channels { shard(of: channel).want(channel, wanted) }
            }
        }
        for channel in wanted { shard(of: channel).want(channel, true) }
    }

    /// Closes every connection (the process is stopping).
    func stop() {
        for shard in shards { shard.stop() }
    }

    private func shard(of channel: String) -> ShardLink {
        shards[shardMap.shard(of: channel)]
    }

    // MARK: PublishStore

    var unavailableReason: String? {
        let down = shards.filter { !$0.isUp }
        guard !down.isEmpty else { return nil }
        return "redis unreachable: " + down.map { "shard \($0.index) (\($0.url))" }.joined(separator: ", ")
    }

    func publish(_ requests: [PublishRequest], answer: @escaping (Result<[PublishResult], StoreUnavailable>) -> Void) {
        // This instance's loops are behind: refused before Redis stores what they could not deliver.
        if let refusal = handOff.refusal(for: requests) { return answer(.failure(refusal)) }
        let batch = PublishBatch(count: requests.count) { [self] outcome in
            if case .success(let results) = outcome { count(results, channelsPerPublish: requests.map(\.channels.count)) }
            answer(outcome)
        }
        for (index, request) in requests.enumerated() {
            publish(.event(request.event), id: request.event.id, to: request.channels) { batch.finished(index, $0) }
        }
    }

    func publish(_ items: [PushpinItem], answer: @escaping (Result<[PublishResult], StoreUnavailable>) -> Void) {
        if let refusal = handOff.refusal(adding: items.count) { return answer(.failure(refusal)) }
        let batch = PublishBatch(count: items.count) { [self] outcome in
            if case .success(let results) = outcome { count(results, channelsPerPublish: items.map { _ in 1 }) }
            answer(outcome)
        }
        for (index, item) in items.enumerated() {
            publish(.raw(item.content), id: item.id, to: [item.channel]) { batch.finished(index, $0) }
        }
    }

    /// Tells every instance following `channel` to end its streams (an announcement they all
    /// hear); this one's end at once when the shard cannot be told.
    func closeStreams(of channel: String) {
        if !shard(of: channel).announceClose(of: channel) { handOff.closeStreams(of: channel) }
    }

    /// An instance asked (`DELETE /channels/<channel>`): this one's streams of `channel` end.
    func closeAsked(of channel: String) {
        handOff.closeStreams(of: channel)
    }

    /// Counts the publishes stored (on at least one of their channels) and the duplicates, as
    /// `LocalPublishStore` does; `results` hold each publish's channels in turn.
    private func count(_ results: [PublishResult], channelsPerPublish: [Int]) {
        var stored = 0
        var offset = 0
        for count in channelsPerPublish {
            if results[offset..<offset + count].contains(where: { !$0.duplicate }) { stored += 1 }
            offset += count
        }
        let duplicates = results.filter(\.duplicate).count
        if duplicates > 0 { metrics.duplicatePublishes.increment(by: duplicates) }
        metrics.eventsPublished.increment(by: stored)
    }

    /// Publishes one event to `channels`: one script per shard they live on. Without an id, the
    /// first shard's script assigns one and the others store that same id, so the event has one
    /// id everywhere (those shards are asked one after the other; one shard is one round trip).
    private func publish(_ content: ClusterEvent.Content, id: String, to channels: [String],
                         answer: @escaping (Result<[PublishResult], StoreUnavailable>) -> Void) {
        var groups: [(shard: ShardLink, channels: [String])] = []
        for channel in channels {
            let link = shard(of: channel)
            if let at = groups.firstIndex(where: { $0.shard === link }) {
                groups[at].channels.append(channel)
            } else {
                groups.append((link, [channel]))
            }
        }
        var results: [String: PublishResult] = [:]
        func next(_ remaining: ArraySlice<(shard: ShardLink, channels: [String])>, id: String) {
            guard let (link, group) = remaining.first else {
                return answer(.success(channels.map { results[$0]! }))
            }
            link.publish(content, id: id, channels: group, allChannels: channels) { [self] outcome in
                switch outcome {
                case .failure(let unavailable):
                    answer(.failure(unavailable))
                case .success(let stored):
                    for (offset, channel) in group.enumerated() {
                        results[channel] = PublishResult(
                            channel: channel, id: stored.id, subscribers: hub.stats(channel: channel)?.subscribers ?? 0,
                            duplicate: stored.duplicates[offset], instances: stored.receivers[offset])
                    }
                    next(remaining.dropFirst(), id: stored.id)
                }
            }
        }
        next(groups[...], id: id)
    }

    // MARK: From the shards (on the loop)

    /// Records what a shard's tracker says arrived for `channel`, and hands it to the loops.
    func record(_ received: [ClusterEvent], on channel: String, shard: Int) {
        guard !received.isEmpty else { return }
        let now = ContinuousClock.now
        let wallNow = Int64(Date().timeIntervalSince1970 * 1000)
        var delivered: [PublishedEvent] = []
        delivered.reserveCapacity(received.count)
        for event in received {
            // The publish→write latency counts from when Redis stored the event.
            let age = Duration.milliseconds(max(0, wallNow - event.time))
            let content: RecordedContent
            switch event.content {
            case .event(let sse): content = .event(sse)
            case .raw(let bytes): content = .raw(bytes)
            }
            delivered.append(hub.record(content, id: event.id, on: channel, publishedTo: event.channels,
                                        origin: PublishOrigin(shard: shard, g: event.g), at: now - age))
        }
        handOff.handOff(delivered)
    }

    /// The mirror of `channel` holds ids Redis no longer knows (a new epoch): forget them.
    func clearMirror(of channel: String) {
        hub.clearHistory(of: channel)
    }

    /// Events of `channel` left Redis before this instance could read them: its streams here are
    /// closed, so their clients reconnect and are told (a reset) instead of missing them silently.
    func lost(_ channel: String) {
        logger.warning("events lost to the history's bounds while redis was unreachable", metadata: ["channel": "\(channel)"])
        // The mirror's ids stop before the loss: a client resuming from one gets the reset.
        hub.clearHistory(of: channel)
        handOff.closeStreams(of: channel)
    }

    /// `channel` is followed (its streams may plan their replay), or no longer.
    func setFollowed(_ channel: String, _ followed: Bool) {
        interest.setFollowed(channel, followed)
    }

    func shardChanged(_ shard: ShardLink, up: Bool, reason: String?) {
        metrics.setRedisUp(shard: shard.index, up)
        health.setRedisUnavailable(unavailableReason)
        if up {
            logger.notice("redis connected", metadata: ["shard": "\(shard.index)", "redis": "\(shard.url)"])
        } else {
            metrics.redisDisconnects.increment()
            logger.warning("redis unreachable", metadata: ["shard": "\(shard.index)", "redis": "\(shard.url)",
                                                           "reason": "\(reason ?? "unknown")"])
        }
    }

    var historySize: Int { events.historySize }
    var historyTTLMilliseconds: Int64 { events.historyTTL.wholeMilliseconds }
    var clusterKeys: ClusterKeys { keys }
    var log: Logger { logger }
}

/// The answers to the publishes of one request, gathered in order: 202 once all are stored, 503
/// as soon as one could not be.
private final class PublishBatch {
    private var results: [[PublishResult]?]
    private var left: Int
    private var answer: ((Result<[PublishResult], StoreUnavailable>) -> Void)?

    init(count: Int, answer: @escaping (Result<[PublishResult], StoreUnavailable>) -> Void) {
        results = Array(repeating: nil, count: count)
        left = count
        self.answer = answer
        if count == 0 { finish(.success([])) }
    }

    func finished(_ index: Int, _ outcome: Result<[PublishResult], StoreUnavailable>) {
        switch outcome {
        case .failure(let unavailable):
            finish(.failure(unavailable))
        case .success(let made):
            results[index] = made
            left -= 1
            if left == 0 { finish(.success(results.flatMap { $0 ?? [] })) }
        }
    }

    private func finish(_ outcome: Result<[PublishResult], StoreUnavailable>) {
        guard let answer else { return }
        self.answer = nil
        answer(outcome)
    }
}
