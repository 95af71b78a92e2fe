/// The subscribers of one event loop, by channel. Not thread-safe: each loop has its own.
/// Inlinable, so the loop's module specializes it for its stream type (unspecialized, an add cost
/// a tenth of a subscribe).
public struct SubscriberRegistry<Subscriber: AnyObject> {
    @usableFromInline var channels: [String: [ObjectIdentifier: Subscriber]] = [:]

    @inlinable
    public init() {}

    @inlinable
    public mutating func add(_ subscriber: Subscriber, to names: [String]) {
        for name in names { channels[name, default: [:]][ObjectIdentifier(subscriber)] = subscriber }
    }

    @inlinable
    public mutating func remove(_ subscriber: Subscriber, from names: [String]) {
        for name in names {
            channels[name]?[ObjectIdentifier(subscriber)] = nil
            if channels[name]?.isEmpty == true { channels[name] = nil }
        }
    }

    /// The subscribers of `name` (a snapshot: delivery may remove some while iterating).
    @inlinable
    public func subscribers(of name: String) -> Dictionary<ObjectIdentifier, Subscriber>.Values? {
        channels[name]?.values
    }

    /// Every subscriber once, whatever its number of channels.
    @inlinable
    public var all: [Subscriber] {
        var seen = Set<ObjectIdentifier>()
        var result: [Subscriber] = []
        for members in channels.values {
            for (key, subscriber) in members where seen.insert(key).inserted { result.append(subscriber) }
        }
        return result
    }
}
