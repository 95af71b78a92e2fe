import EventStream

/// Where an event recorded from Redis was published: its shard and the shard's publish number.
/// The records of one publish on several channels carry the same origin.
public struct PublishOrigin: Sendable, Equatable {
    public var shard: Int
    public var g: UInt64

    public init(shard: Int, g: UInt64) {
        self.shard = shard
        self.g = g
    }
}

/// What an event recorded from Redis holds: an SSE event (its id is given apart) or an item of
/// Pushpin's format (raw http-stream content).
public enum RecordedContent: Sendable {
    case event(ServerSentEvent)
    case raw([UInt8])
}
