/// The subscribers of one event loop, by channel. Not thread-safe: each loop has its own.
public struct SubscriberRegistry<Subscriber: AnyObject> {
    private var channels: [String: [ObjectIdentifier: Subscriber]] = [:]

    public init() {}

    public mutating func add(_ subscriber: Subscriber, to names: [String]) {
        for name in names { channels[name, default: [:]][ObjectIdentifier(subscriber)] = subscriber }
    }

    public mutating func remove(_ subscriber: Subscriber, from names: [String]) {
        for name in names {
            channels[name]?[ObjectIdentifier(subscriber)] = nil
            if channels[name]?.isEmpty == true { channels[name] = nil }
        }
    }

    /// The subscribers of `name` (a snapshot: delivery may remove some while iterating).
    public func subscribers(of name: String) -> Dictionary<ObjectIdentifier, Subscriber>.Values? {
        channels[name]?.values
    }

    /// Every subscriber once, whatever its number of channels.
    public var all: [Subscriber] {
        var seen = Set<ObjectIdentifier>()
        var result: [Subscriber] = []
        for members in channels.values {
            for (key, subscriber) in members where seen.insert(key).inserted { result.append(subscriber) }
        }
        return result
    }
}
