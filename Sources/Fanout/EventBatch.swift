/// Events of one channel that a stream takes in one write, in publish order.
///
/// A stream on that channel alone takes them as one shared buffer: one reference in its output
/// instead of one per event (libevent gives each reference a chain of at least 1 KiB, so per-event
/// references would cost far more memory than the events themselves), and one write for them all.
public final class EventBatch {
    public let channel: String
    public let events: [PublishedEvent]

    /// The batch's bytes as a stream on this one channel receives them, concatenated once.
    public let bytes: EventBytes
    /// True when an item of Pushpin's format is among the events: Herald's own streams, which skip
    /// those, cannot take `bytes` whole.
    public let containsRawContent: Bool

    /// Made only when a subscriber asks for these events, which it nearly always takes whole, so
    /// the bytes are joined at once: constants, read in each visit of a sweep, where lazy
    /// properties cost a check and a retain per read.
    public init(channel: String, events: [PublishedEvent]) {
        self.channel = channel
        self.events = events
        bytes = events.count == 1 ? events[0].bytes : EventBytes(concatenating: events.map(\.bytes))
        containsRawContent = events.contains(where: \.isRawContent)
    }
}
