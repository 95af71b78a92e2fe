/// What one publish did on one channel: stored there (and to be delivered), or recognised as a
/// duplicate, because the channel's history already holds an event with its id (a webhook sender
/// retrying after a timeout), and neither stored nor delivered again.
public enum PublishOutcome: Sendable {
    case stored(PublishedEvent)
    case duplicate(channel: String, id: String)

    public var channel: String {
        switch self {
        case .stored(let event): event.channel
        case .duplicate(let channel, _): channel
        }
    }

    public var id: String {
        switch self {
        case .stored(let event): event.id
        case .duplicate(_, let id): id
        }
    }

    /// The event to deliver; nil for a duplicate.
    public var event: PublishedEvent? {
        if case .stored(let event) = self { return event }
        return nil
    }

    public var isDuplicate: Bool { event == nil }
}
