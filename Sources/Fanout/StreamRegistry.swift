/// The streams of one event loop, by channel. Not thread-safe: each loop has its own.
/// Inlinable, so the loop's module specializes it for its stream type (BENCHMARKS.md).
public struct StreamRegistry<Stream: AnyObject> {
    @usableFromInline var channels: [String: [ObjectIdentifier: Stream]] = [:]

    @inlinable
    public init() {}

    @inlinable
    public mutating func add(_ stream: Stream, to names: [String]) {
        for name in names { channels[name, default: [:]][ObjectIdentifier(stream)] = stream }
    }

    @inlinable
    public mutating func remove(_ stream: Stream, from names: [String]) {
        for name in names {
            channels[name]?[ObjectIdentifier(stream)] = nil
            if channels[name]?.isEmpty == true { channels[name] = nil }
        }
    }

    /// The streams on `name` (a snapshot: delivery may remove some while iterating).
    @inlinable
    public func streams(on name: String) -> Dictionary<ObjectIdentifier, Stream>.Values? {
        channels[name]?.values
    }

    /// Every stream once, whatever its number of channels.
    @inlinable
    public var all: [Stream] {
        var seen = Set<ObjectIdentifier>()
        var result: [Stream] = []
        for members in channels.values {
            for (key, stream) in members where seen.insert(key).inserted { result.append(stream) }
        }
        return result
    }
}
