/// The names of a shard's keys and pub/sub channels, all under one prefix (`key_prefix`, default
/// `herald:`), so several Herald deployments can share a Redis server and every key Herald
/// writes can be found (or deleted) by its prefix.
///
/// Channel names (`[A-Za-z0-9-_.:@/]{1,200}`) are used as they are: they hold no space or
/// control byte, so a key never needs escaping and a channel list joins with spaces.
public struct ClusterKeys: Sendable, Equatable {
    public let prefix: String
    /// `P c:` as bytes, which `channel(ofPubSub:)` matches once per message received.
    private let pubSubHead: [UInt8]

    public init(prefix: String = "herald:") {
        self.prefix = prefix
        pubSubHead = Array((prefix + "c:").utf8)
    }

    /// `P seq`: the shard's publish counter; its value `g` orders every publish on the shard.
    public var sequence: String { prefix + "seq" }

    /// `P s:<c>`: the channel's history, a Redis stream whose entry ids are `<g>-0`.
    public func stream(_ channel: String) -> String { prefix + "s:" + channel }

    /// `P m:<c>`: hash of `e` (the channel's epoch) and `g` (the g of its newest publish).
    public func meta(_ channel: String) -> String { prefix + "m:" + channel }

    /// `P i:<c>`: hash of event id → g for every id the stream holds (duplicates, resume).
    public func ids(_ channel: String) -> String { prefix + "i:" + channel }

    /// `P c:<c>`: the pub/sub channel every publish to the channel is announced on.
    public func pubSub(_ channel: String) -> String { prefix + "c:" + channel }

    /// The channel a pub/sub name (as a message names it) announces, or nil when the name is not
    /// `P c:` followed by at least one byte: another deployment's prefix, or not Herald's.
    public func channel(ofPubSub name: some Collection<UInt8>) -> String? {
        guard name.count > pubSubHead.count, name.starts(with: pubSubHead) else { return nil }
        return String(decoding: name.dropFirst(pubSubHead.count), as: UTF8.self)
    }
}
