/// What a publish answers for each event it made: `{"channel":…,"id":…,"subscribers":…}`, with
/// `"duplicate":true` added when the channel already held the id (nothing stored or delivered).
/// A new event's answer keeps its shape, so publishers that compare it whole are not broken.
///
/// Written by hand rather than with JSONSerialization, which cost more than the rest of the
/// publish (BENCHMARKS.md, "Why the hot paths look as they do").
public struct PublishResult: Sendable, Equatable {
    public var channel: String
    public var id: String
    /// Subscribers of the channel when it was published (for a duplicate: when it was refused).
    public var subscribers: Int
    /// The channel's history already held this id: neither stored nor delivered again.
    public var duplicate: Bool
    /// Redis mode: how many Herald instances follow the channel (received the event); nil
    /// without Redis. `subscribers` counts this instance's streams only.
    public var instances: Int?

    public init(channel: String, id: String, subscribers: Int, duplicate: Bool = false, instances: Int? = nil) {
        self.channel = channel
        self.id = id
        self.subscribers = subscribers
        self.duplicate = duplicate
        self.instances = instances
    }

    /// The JSON object, keys in sorted order as in Herald's other answers.
    public var json: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(48 + channel.utf8.count + id.utf8.count)
        append(to: &bytes)
        return bytes
    }

    /// A JSON array of `results`.
    public static func json(_ results: [PublishResult]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, result) in results.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            result.append(to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
        return bytes
    }

    private func append(to bytes: inout [UInt8]) {
        bytes += #"{"channel":"#.utf8
        JSONString.append(channel, to: &bytes)
        if duplicate { bytes += #","duplicate":true"#.utf8 }
        bytes += #","id":"#.utf8
        JSONString.append(id, to: &bytes)
        if let instances {
            bytes += #","instances":"#.utf8
            bytes += String(instances).utf8
        }
        bytes += #","subscribers":"#.utf8
        bytes += String(subscribers).utf8
        bytes.append(UInt8(ascii: "}"))
    }
}
