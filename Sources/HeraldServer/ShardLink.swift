// One Redis server of the cluster engine: a command connection (publishes, reads) and a
// subscriber connection (announcements of the channels followed), up together or down together.
//
//   down ──connect──▶ connecting ──both ready, scripts loaded──▶ up
//     ▲                   │                                        │
//     └── backoff (jittered, reconnect_min … reconnect_max) ◀── either connection ends
//
// While down, publishes to its channels get 503 and its channels are not followed (new streams
// wait); `ChannelTracker` keeps each channel's epoch and newest offset, so once up again every
// channel is subscribed anew and read from where it was: nothing published meanwhile is missed.

import Cluster
import EventStream
import HeraldConfig
import LibeventIO
import RedisClient

final class ShardLink {
    enum Phase {
        case down, connecting, up
    }

    /// What one script run stored: the id (assigned or given), and per channel of the group
    /// whether it was a duplicate and how many instances were following it.
    struct Stored {
        var id: String
        var duplicates: [Bool]
        var receivers: [Int]
    }

    let index: Int
    let url: RedisURL
    private let settings: RedisSettings
    private unowned let engine: ClusterEngine
    private(set) var phase = Phase.down
    private var commands: RedisConnection?
    private var subscriber: RedisConnection?
    private var publishSHA: [UInt8] = []
    private var readSHA: [UInt8] = []
    private var tracker: ChannelTracker
    private var retryDelay: Duration
    private lazy var retryTimer = LoopTimer(loop: engine.loop) { [unowned self] in self.connect() }
    /// Checks the subscriber connection while no announcement comes (a paused Redis sends
    /// nothing, and TCP would not tell for minutes).
    private lazy var pingTimer = LoopTimer(loop: engine.loop, repeating: true) { [unowned self] in self.ping() }
    private var stopped = false
    /// When each channel no stream here wants any more was let go: after `forgetAfter` its mirror
    /// is dropped (a stream that comes back soon catches up from it instead of reading it whole).
    private var unwantedSince: [String: ContinuousClock.Instant] = [:]
    private lazy var forgetTimer = LoopTimer(loop: engine.loop, repeating: true) { [unowned self] in self.forgetUnwanted() }
    /// How long an unwanted channel's mirror is kept: long enough for a page reload.
    static let forgetAfter = Duration.seconds(60)
    /// The loss was logged and counted: the failed reconnects that follow are not, each time.
    private var reportedDown = false

    init(index: Int, url: RedisURL, settings: RedisSettings, engine: ClusterEngine) {
        self.index = index
        self.url = url
        self.settings = settings
        self.engine = engine
        retryDelay = settings.reconnectMin
        tracker = ChannelTracker(readCount: engine.historySize)
    }

    var isUp: Bool { phase == .up }

    // MARK: Connecting

    func connect() {
        guard !stopped, phase == .down else { return }
        phase = .connecting
        let endpoint: RedisEndpoint = switch url.endpoint {
        case .tcp(let host, let port): .tcp(host: host, port: port)
        case .unix(let path): .unix(path: path)
        }
        let options = RedisConnectionOptions(
            endpoint: endpoint, username: url.username, password: url.password,
            database: url.database, connectTimeout: settings.connectTimeout, commandTimeout: settings.commandTimeout)
        let commands = RedisConnection(loop: engine.loop, options: options)
        let subscriber = RedisConnection(loop: engine.loop, options: options)
        self.commands = commands
        self.subscriber = subscriber
        subscriber.onMessage = { [unowned self] channel, payload in self.announced(channel, payload) }
        subscriber.onSubscribed = { [unowned self] channel in self.subscribed(channel) }
        var waiting = 2
        let ready = { [unowned self] in
            waiting -= 1
            if waiting == 0 { self.loadScripts() }
        }
        commands.connect(onReady: ready) { [unowned self, weak commands] error in
            if let commands, commands === self.commands { self.lost("commands: \(error)") }
        }
        subscriber.connect(onReady: ready) { [unowned self, weak subscriber] error in
            if let subscriber, subscriber === self.subscriber { self.lost("subscriber: \(error)") }
        }
    }

    /// SCRIPT LOAD both scripts (Redis keeps them until it restarts), then up.
    private func loadScripts() {
        guard let commands else { return }
        var loaded = 0
        for (source, isPublish) in [(PublishScript.source, true), (ReadScript.source, false)] {
            commands.send(["SCRIPT", "LOAD", source]) { [unowned self] reply in
                guard case .success(let value) = reply, let sha = value.bytes else {
                    if case .failure(let error) = reply { self.lost("SCRIPT LOAD: \(error)") }
                    return
                }
                if isPublish { publishSHA = sha } else { readSHA = sha }
                loaded += 1
                if loaded == 2 { self.becameUp() }
            }
        }
    }

    private func becameUp() {
        phase = .up
        reportedDown = false
        retryDelay = settings.reconnectMin
        engine.shardChanged(self, up: true, reason: nil)
        pingTimer.schedule(after: .seconds(1))
        perform(tracker.connected())
    }

    /// Either connection ended: both go, the channels stop being followed, and a reconnect is
    /// scheduled after a jittered backoff (instances restarting together do not reconnect in step).
    private func lost(_ reason: String) {
        // A stop closes the connections on purpose: no loss to report, no reconnect.
        guard phase != .down, !stopped else { return }
        let wasUp = phase == .up
        phase = .down
        let (commands, subscriber) = (self.commands, self.subscriber)
        self.commands = nil
        self.subscriber = nil
        commands?.close()
        subscriber?.close()
        pingTimer.cancel()
        perform(tracker.disconnected())
        if wasUp || !reportedDown {
            reportedDown = true
            engine.shardChanged(self, up: false, reason: reason)
        }
        guard !stopped else { return }
        let jittered = retryDelay * Double.random(in: 0.5...1.0)
        retryTimer.schedule(after: jittered)
        retryDelay = min(retryDelay * 2, settings.reconnectMax)
    }

    func stop() {
        stopped = true
        retryTimer.cancel()
        pingTimer.cancel()
        forgetTimer.cancel()
        commands?.close()
        subscriber?.close()
    }

    private func ping() {
        subscriber?.ping { _ in }
    }

    // MARK: Following channels

    /// The first stream on `channel` opened (true), or the last one closed (false).
    func want(_ channel: String, _ wanted: Bool) {
        if wanted {
            unwantedSince[channel] = nil
            perform(tracker.want(channel))
        } else {
            unwantedSince[channel] = .now
            if !forgetTimer.isScheduled { forgetTimer.schedule(after: Self.forgetAfter / 2) }
            perform(tracker.unwanted(channel))
        }
    }

    /// Drops the mirrors of the channels unwanted for longer than `forgetAfter`.
    private func forgetUnwanted() {
        let cutoff = ContinuousClock.now - Self.forgetAfter
        for (channel, since) in unwantedSince where since < cutoff {
            let actions = tracker.forget(channel)
            // Not forgotten while an unconfirmed SUBSCRIBE is out: tried again at the next tick.
            if !actions.isEmpty || !tracker.isTracking(channel) { unwantedSince[channel] = nil }
            perform(actions)
        }
        if unwantedSince.isEmpty { forgetTimer.cancel() }
    }

    private func subscribed(_ pubsubName: [UInt8]) {
        guard let channel = engine.clusterKeys.channel(ofPubSub: pubsubName) else { return }
        perform(tracker.subscribed(channel))
    }

    private func announced(_ pubsubName: [UInt8], _ payload: [UInt8]) {
        guard let channel = engine.clusterKeys.channel(ofPubSub: pubsubName) else { return }
        if payload == Self.closeAnnouncement { return engine.closeAsked(of: channel) }
        do {
            perform(tracker.message(channel, try ClusterEvent.decode(message: payload)))
        } catch {
            engine.log.error("undecodable announcement", metadata: ["channel": "\(channel)", "error": "\(error)"])
        }
    }

    private func perform(_ actions: [ChannelTracker.Action]) {
        for action in actions {
            switch action {
            case .subscribe(let channel):
                try? subscriber?.subscribe([Array(engine.clusterKeys.pubSub(channel).utf8)])
            case .unsubscribe(let channel):
                try? subscriber?.unsubscribe([Array(engine.clusterKeys.pubSub(channel).utf8)])
            case .read(let channel, let after, let token):
                read(channel, after: after, token: token)
            case .record(let channel, let events):
                engine.record(events, on: channel, shard: index)
            case .clearMirror(let channel):
                engine.clearMirror(of: channel)
            case .lost(let channel):
                engine.lost(channel)
            case .ready(let channel):
                engine.setFollowed(channel, true)
            case .unready(let channel):
                engine.setFollowed(channel, false)
            }
        }
    }

    /// Reads what `channel`'s stream holds after `after`, with its epoch, in one script.
    private func read(_ channel: String, after: UInt64, token: UInt64) {
        guard let commands, phase == .up else { return }
        let arguments = ReadScript.arguments(keys: engine.clusterKeys, channel: channel, after: after, count: tracker.readCount)
        let command = [Array("EVALSHA".utf8), readSHA] + arguments
        commands.send(command) { [unowned self] reply in
            switch reply {
            case .failure(let error):
                // A refused read (not a lost connection, which `lost` handles) is retried on the
                // next reconnect; say so, since the channel's streams wait meanwhile.
                engine.log.error("redis read failed", metadata: ["channel": "\(channel)", "error": "\(error)"])
            case .success(let value):
                do {
                    let result = try ReadScript.Result.decode(ScriptValue(value))
                    perform(tracker.loaded(channel, token: token, epoch: result.epoch, lastG: result.lastG, events: result.events))
                } catch {
                    engine.log.error("undecodable redis read", metadata: ["channel": "\(channel)", "error": "\(error)"])
                }
            }
        }
    }

    // MARK: Publishing

    /// What `DELETE /channels/<channel>` announces on the channel's pub/sub channel: no event's
    /// announcement starts with "!" (they start with an epoch, in base 36).
    static let closeAnnouncement = Array("!close".utf8)

    /// Announces that `channel`'s streams are to end; false when the shard is down.
    func announceClose(of channel: String) -> Bool {
        guard let commands, phase == .up else { return false }
        commands.send([Array("PUBLISH".utf8), Array(engine.clusterKeys.pubSub(channel).utf8), Self.closeAnnouncement]) { _ in }
        return true
    }

    /// Runs the publish script for `channels` (all on this shard); `id` "" has one assigned.
    func publish(_ content: ClusterEvent.Content, id: String, channels: [String], allChannels: [String],
                 answer: @escaping (Result<Stored, StoreUnavailable>) -> Void) {
        guard let commands, phase == .up else {
            return answer(.failure(StoreUnavailable(reason: "redis unreachable (shard \(index)): not stored, retry later",
                                                    retryAfterSeconds: 1)))
        }
        let command = [Array("EVALSHA".utf8), publishSHA] + PublishScript.arguments(
            keys: engine.clusterKeys, channels: channels, publishedTo: allChannels, content: content, id: id,
            historySize: engine.historySize, ttlMilliseconds: engine.historyTTLMilliseconds, epochCandidate: PublishScript.randomEpoch())
        commands.send(command) { [unowned self] reply in
            switch reply {
            case .failure(let error):
                answer(.failure(StoreUnavailable(reason: "redis did not store the event (shard \(index): \(error)): retry later",
                                                 retryAfterSeconds: 1)))
            case .success(let value):
                do {
                    let result = try PublishScript.Result.decode(ScriptValue(value), channelCount: channels.count)
                    answer(.success(Stored(id: result.id, duplicates: result.duplicates, receivers: result.receivers)))
                } catch {
                    answer(.failure(StoreUnavailable(reason: "unexpected answer from redis (shard \(index)): \(error)",
                                                     retryAfterSeconds: 1)))
                }
            }
        }
    }
}

extension ScriptValue {
    /// The client's reply as the script decoders read it.
    init(_ reply: RedisReply) {
        switch reply {
        case .status(let text): self = .bytes(Array(text.utf8))
        case .integer(let value): self = .integer(value)
        case .bulk(let bytes): self = .bytes(bytes)
        case .null: self = .null
        case .array(let items): self = .array(items.map(ScriptValue.init))
        }
    }
}
