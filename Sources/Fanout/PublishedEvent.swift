import EventStream

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

    /// `sharing` is the same publish on another channel: its bytes are reused, not encoded again.
    public init(sequence: UInt64, channel: String, event: ServerSentEvent, publishedAt: ContinuousClock.Instant,
                sharing other: PublishedEvent? = nil) {
        self.sequence = sequence
        self.channel = channel
        id = event.id
        self.publishedAt = publishedAt
        bytes = other?.bytes ?? EventBytes(EventEncoder.encode(event))
        bytesNamingChannel = EventBytes(EventEncoder.encode(event, typeOverride: channel, channel: channel))
    }

    /// The bytes for a stream subscribed to one channel, or to several.
    public func bytes(multiChannel: Bool) -> EventBytes {
        multiChannel ? bytesNamingChannel : bytes
    }
}
