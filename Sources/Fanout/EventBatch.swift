/// Events of one channel that a stream takes in one write, in publish order.
///
/// A stream on that channel alone takes them as one shared buffer: one reference in its output
/// instead of one per event (libevent gives each reference a chain of at least 1 KiB, so per-event
/// references would cost far more memory than the events themselves), and one write for them all.
public final class EventBatch {
    public let channel: String
    public let events: [PublishedEvent]

    public init(channel: String, events: [PublishedEvent]) {
        self.channel = channel
        self.events = events
    }

    /// The batch's bytes as a stream on this one channel receives them, concatenated once.
    public private(set) lazy var bytes: EventBytes =
        events.count == 1 ? events[0].bytes : EventBytes(concatenating: events.map(\.bytes))

    /// True when an item of Pushpin's format is among the events: Herald's own streams, which skip
    /// those, cannot take `bytes` whole.
    public private(set) lazy var containsRawContent: Bool = events.contains(where: \.isRawContent)
}
