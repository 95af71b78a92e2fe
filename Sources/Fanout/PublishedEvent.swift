import EventStream
import Locks

/// An event after publishing: its place in the instance-wide order, and its wire bytes, encoded
/// once and shared by every subscriber.
public final class PublishedEvent: Sendable {
    /// Publish order across every channel of this instance; replay and de-duplication use it.
    public let sequence: UInt64
    public let channel: String
    /// The id sent to browsers: the publisher's own, or one Herald assigned.
    public let id: String
    /// When the publish arrived (for the publish→write latency histogram and the history TTL).
    public let publishedAt: ContinuousClock.Instant
    /// The event as published.
    public let bytes: EventBytes
    /// For streams on several channels: the same event with a `channel: <channel>` line, and with
    /// `event: <channel>` when the publisher gave no type, so the page can tell channels apart.
    public let bytesNamingChannel: EventBytes
    /// The publish this event came from, when it named several channels (shared by its events).
    private let publish: MultiChannelPublish?
    /// Redis mode: where the event was published (its shard and place in the shard's order), the
    /// same on every instance; nil for an event published here without Redis.
    public let origin: PublishOrigin?
    /// True for an item published in Pushpin's format: `bytes` are its http-stream content, written
    /// as they are to streams held through GRIP and never to Herald's own event streams, whose
    /// every event is an SSE event with an id.
    public let isRawContent: Bool

    /// `sharing` is the same publish on another channel: its bytes are reused, not encoded again.
    /// `publishedTo` is every channel of the publish, in the publisher's order.
    public init(sequence: UInt64, channel: String, event: ServerSentEvent, publishedAt: ContinuousClock.Instant,
                sharing other: PublishedEvent? = nil, publishedTo channels: [String]? = nil, origin: PublishOrigin? = nil) {
        self.sequence = sequence
        self.origin = origin
        self.channel = channel
        id = event.id
        self.publishedAt = publishedAt
        bytes = other?.bytes ?? EventBytes(EventEncoder.encode(event))
        bytesNamingChannel = EventBytes(EventEncoder.encode(event, typeOverride: channel, channels: [channel]))
        if let publish = other?.publish {
            self.publish = publish
        } else if let channels, channels.count > 1 {
            publish = MultiChannelPublish(event: event, channels: channels)
        } else {
            publish = nil
        }
        isRawContent = false
    }

    /// An item of Pushpin's format: `content` goes as it is to GRIP streams (`isRawContent`).
    public init(sequence: UInt64, channel: String, id: String, rawContent content: [UInt8], publishedAt: ContinuousClock.Instant,
                origin: PublishOrigin? = nil) {
        self.sequence = sequence
        self.origin = origin
        self.channel = channel
        self.id = id
        self.publishedAt = publishedAt
        bytes = EventBytes(content)
        bytesNamingChannel = bytes
        publish = nil
        isRawContent = true
    }

    /// The bytes for a stream on `streamChannels`. A stream on several of the channels this
    /// event was published to gets it once (`Hub.replay` and the delivery skip the copies of one
    /// sequence) naming each of them, so client.js hands it to the tabs of every one; that case
    /// is encoded once per publish and set of channels, and shared like the others.
    public func bytes(forStreamOn streamChannels: [String]) -> EventBytes {
        guard streamChannels.count > 1 else { return bytes }
        guard let publish else { return bytesNamingChannel }
        let shared = publish.channelsInOrder(of: streamChannels)
        guard shared.count > 1 else { return bytesNamingChannel }
        return publish.bytes(naming: shared)
    }
}

/// One publish to several channels, as the events of each of them refer to it.
private final class MultiChannelPublish: Sendable {
    let event: ServerSentEvent
    /// Each channel's place in the publisher's list.
    private let order: [String: Int]
    /// The event encoded naming several of the channels, by those channels (in the publisher's
    /// order); shared by every stream on them, on every loop.
    private let encodings = Locked<[[String]: EventBytes]>([:])
    /// Most channel sets kept encoded: streams on further sets of this publish's channels get
    /// bytes of their own, so a publish to many channels cannot hold one encoding per subset.
    static let maxEncodings = 16

    init(event: ServerSentEvent, channels: [String]) {
        self.event = event
        var order: [String: Int] = [:]
        for (index, channel) in channels.enumerated() where order[channel] == nil { order[channel] = index }
        self.order = order
    }

    /// The event naming `channels` (two or more of this publish's, in the publisher's order).
    func bytes(naming channels: [String]) -> EventBytes {
        encodings.withLock { encodings in
            if let bytes = encodings[channels] { return bytes }
            let bytes = EventBytes(EventEncoder.encode(event, typeOverride: channels[0], channels: channels))
            if encodings.count < Self.maxEncodings { encodings[channels] = bytes }
            return bytes
        }
    }

    /// Those of `channels` that this publish named, in the publisher's order.
    func channelsInOrder(of channels: [String]) -> [String] {
        channels.compactMap { channel in order[channel].map { (channel, $0) } }.sorted { $0.1 < $1.1 }.map(\.0)
    }
}
