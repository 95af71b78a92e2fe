// The publish script's interface. `arguments` returns what follows the script in the command:
//
//   EVALSHA <sha> | EVAL <source>   numkeys  KEYS…  ARGV…
//
//   KEYS = [P seq, then per channel: P s:<c>, P m:<c>, P i:<c>]                  (numkeys = 1 + 3n)
//   ARGV = [epochCandidate, historySize, ttlMs, kind (e | r), id ("" = assign),
//           type ("" = none, else "+" and the type, so an empty type stays apart from none),
//           data, retry ("" = none, else decimal ms), channels ("" = one, else joined by " "),
//           then per channel: P c:<c>]                                          (9 + n)
//
// The reply: {g, id, {duplicate 0/1 per channel}, {PUBLISH receivers per channel, 0 for a
// duplicate}, {epoch per channel}}; g is 0 when every channel was a duplicate (nothing written).

/// The Lua script that publishes to some channels of one shard, and its arguments and reply.
public enum PublishScript {
    /// `channels` are the channels of this shard to write, in the publisher's order; `publishedTo`
    /// is every channel of the publish (default: `channels`), recorded in each entry when it holds
    /// more than one. `content`'s event id is not read: `id` is the publish's ("" = the script
    /// assigns `<epoch>-<g>`). `epochCandidate` (`randomEpoch`) becomes the epoch of any channel
    /// the publish creates: scripts cannot draw good random numbers, so the caller does.
    public static func arguments(keys: ClusterKeys, channels: [String], publishedTo: [String]? = nil,
                                 content: ClusterEvent.Content, id: String, historySize: Int,
                                 ttlMilliseconds: Int64, epochCandidate: String) -> [[UInt8]] {
        let all = publishedTo ?? channels
        let (kind, type, data, retry): (String, [UInt8], [UInt8], String)
        switch content {
        case .event(let event):
            kind = ClusterEvent.eventKind
            type = event.event.map { [UInt8(ascii: "+")] + Array($0.utf8) } ?? []
            data = Array(event.data.utf8)
            retry = event.retry.map(String.init) ?? ""
        case .raw(let bytes):
            (kind, type, data, retry) = (ClusterEvent.rawKind, [], bytes, "")
        }
        var tail: [[UInt8]] = []
        tail.reserveCapacity(1 + 3 * channels.count + 9 + channels.count)
        tail.append(Array(String(1 + 3 * channels.count).utf8))
        tail.append(Array(keys.sequence.utf8))
        for channel in channels {
            tail.append(Array(keys.stream(channel).utf8))
            tail.append(Array(keys.meta(channel).utf8))
            tail.append(Array(keys.ids(channel).utf8))
        }
        tail.append(Array(epochCandidate.utf8))
        tail.append(Array(String(historySize).utf8))
        tail.append(Array(String(ttlMilliseconds).utf8))
        tail.append(Array(kind.utf8))
        tail.append(Array(id.utf8))
        tail.append(type)
        tail.append(data)
        tail.append(Array(retry.utf8))
        tail.append(all.count > 1 ? Array(all.joined(separator: " ").utf8) : [])
        for channel in channels {
            tail.append(Array(keys.pubSub(channel).utf8))
        }
        return tail
    }

    /// Characters of an epoch: lower-case base 36, as readable in `redis-cli` as in a log.
    static let epochAlphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
    /// 36^8 ≈ 2.8 × 10^12 epochs: two lifetimes of one channel drawing the same one is negligible.
    public static let epochLength = 8

    /// A fresh epoch candidate: `epochLength` random base-36 characters.
    public static func randomEpoch(using generator: inout some RandomNumberGenerator) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(epochLength)
        for _ in 0..<epochLength {
            bytes.append(epochAlphabet[Int.random(in: 0..<epochAlphabet.count, using: &generator)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func randomEpoch() -> String {
        var generator = SystemRandomNumberGenerator()
        return randomEpoch(using: &generator)
    }

    /// What a publish did, channel by channel in the order of `arguments`' `channels`.
    public struct Result: Sendable, Equatable {
        /// The publish's place in the shard's order; 0 when every channel was a duplicate.
        public var g: UInt64
        /// The publish's id: the publisher's, or the one the script assigned.
        public var id: String
        /// True for a channel that already held `id` (nothing written there).
        public var duplicates: [Bool]
        /// How many pub/sub connections received the announcement (0 for a duplicate).
        public var receivers: [Int]
        /// Each channel's epoch after the publish ("" for a duplicate of a channel Redis lacks,
        /// which cannot happen: a duplicate needs the id in the channel's index).
        public var epochs: [String]

        public init(g: UInt64, id: String, duplicates: [Bool], receivers: [Int], epochs: [String]) {
            self.g = g
            self.id = id
            self.duplicates = duplicates
            self.receivers = receivers
            self.epochs = epochs
        }

        /// The script's reply to a publish to `channelCount` channels.
        public static func decode(_ reply: ScriptValue, channelCount: Int) throws(ClusterError) -> Result {
            let what = "publish script reply"
            let parts = try reply.array(what, count: 5)
            let g = try parts[0].unsigned("\(what): g")
            let id = try parts[1].bytes("\(what): id")
            var duplicates: [Bool] = []
            for flag in try parts[2].array("\(what): duplicates", count: channelCount) {
                switch try flag.integer("\(what): a duplicate flag") {
                case 0: duplicates.append(false)
                case 1: duplicates.append(true)
                case let other: throw ClusterError(reason: "\(what): a duplicate flag is \(other), expected 0 or 1")
                }
            }
            var receivers: [Int] = []
            for count in try parts[3].array("\(what): receivers", count: channelCount) {
                receivers.append(Int(clamping: try count.unsigned("\(what): a receiver count")))
            }
            var epochs: [String] = []
            for epoch in try parts[4].array("\(what): epochs", count: channelCount) {
                epochs.append(String(decoding: try epoch.bytes("\(what): an epoch"), as: UTF8.self))
            }
            guard g > 0 || duplicates.allSatisfy({ $0 }) else {
                throw ClusterError(reason: "\(what): g is 0 but not every channel was a duplicate")
            }
            return Result(g: g, id: String(decoding: id, as: UTF8.self), duplicates: duplicates, receivers: receivers, epochs: epochs)
        }
    }
}
