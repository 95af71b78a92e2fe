// Design note: with `urls = [...]` every channel lives on exactly one Redis server (a shard), and
// every Herald instance must pick the same one for a name, or a publish on one instance would go
// where another instance never reads. So the map depends on nothing but the name's bytes and the
// shard count: FNV-1a 64 of the UTF-8 bytes, then Lamping & Veach's jump consistent hash. Both are
// fixed published algorithms with fixed constants; changing either (or the bytes hashed) moves
// channels between shards and must be treated as a breaking change of the cluster format.
// Jump hash also keeps a resize cheap: going from n to n + 1 shards moves only about 1/(n + 1) of
// the channels, each of them to the new shard.

/// Which shard (Redis server) holds a channel, the same answer on every instance and version.
public struct ShardMap: Sendable, Equatable {
    /// How many shards there are (the length of `[redis] urls`), at least 1.
    public let shardCount: Int

    /// `shardCount` is at least 1 (config validation ensures a non-empty list of urls).
    public init(shardCount: Int) {
        precondition(shardCount >= 1 && shardCount <= Int(Int32.max), "ShardMap needs 1…Int32.max shards")
        self.shardCount = shardCount
    }

    /// The index, in `0..<shardCount`, of the shard that holds `channel`.
    public func shard(of channel: String) -> Int {
        guard shardCount > 1 else { return 0 }
        return Self.jumpHash(Self.fnv1a64(channel.utf8), buckets: shardCount)
    }

    // MARK: - The two hashes (fixed: see the design note)

    /// FNV-1a, 64 bits (offset basis 0xcbf29ce484222325, prime 0x100000001b3): a byte-at-a-time
    /// hash with good spread on short keys such as channel names.
    static func fnv1a64(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// Jump consistent hash (Lamping & Veach, 2014): walks the key's pseudo-random sequence of
    /// "jumps" (a 64-bit linear congruential generator, multiplier 2862933555777941757) and
    /// returns the last bucket below `buckets`. The division is in IEEE double, the same on
    /// every platform.
    static func jumpHash(_ key: UInt64, buckets: Int) -> Int {
        var key = key
        var bucket: Int64 = -1
        var next: Int64 = 0
        while next < Int64(buckets) {
            bucket = next
            key = key &* 2_862_933_555_777_941_757 &+ 1
            next = Int64(Double(bucket + 1) * (Double(UInt64(1) << 31) / Double((key >> 33) + 1)))
        }
        return Int(bucket)
    }
}
