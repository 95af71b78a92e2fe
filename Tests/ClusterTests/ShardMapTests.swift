import Testing
@testable import Cluster

@Suite struct ShardMapTests {
    @Test func fnv1aMatchesThePublishedTestVectors() {
        // From the FNV authors' test suite (isthe.com/chongo/tech/comp/fnv): FNV-1a 64.
        #expect(ShardMap.fnv1a64("".utf8) == 0xcbf2_9ce4_8422_2325)
        #expect(ShardMap.fnv1a64("a".utf8) == 0xaf63_dc4c_8601_ec8c)
        #expect(ShardMap.fnv1a64("foobar".utf8) == 0x8594_4171_f739_67e8)
    }

    /// The expected shards were computed once by an independent Python transcription of the two
    /// algorithms (FNV-1a 64, then the paper's jump hash in doubles); they must never change, as
    /// instances of different versions must agree on where a channel lives.
    @Test(arguments: [
        ("news", [1, 2, 3, 3, 3, 3]),
        ("user:42", [1, 1, 1, 1, 1, 15]),
        ("chat/room-1", [1, 1, 3, 4, 4, 4]),
        ("orders.eu@shop", [0, 0, 0, 4, 4, 11]),
    ])
    func aChannelMapsToTheSameShardOnEveryInstanceAndVersion(channel: String, shards: [Int]) {
        let counts = [2, 3, 4, 5, 8, 16]
        #expect(counts.map { ShardMap(shardCount: $0).shard(of: channel) } == shards)
    }

    @Test func jumpHashSendsKeyZeroToBucketZeroAndStaysInRange() {
        #expect(ShardMap.jumpHash(0, buckets: 1000) == 0)
        #expect(ShardMap.jumpHash(1, buckets: 1000) == 549)
        #expect(ShardMap.jumpHash(0xdead_beef, buckets: 1000) == 285)
    }

    @Test func oneShardHoldsEveryChannel() {
        let map = ShardMap(shardCount: 1)
        #expect((0..<1000).allSatisfy { map.shard(of: "channel-\($0)") == 0 })
    }

    @Test func tenThousandNamesSpreadEvenlyOverFourShards() {
        let map = ShardMap(shardCount: 4)
        var counts = [0, 0, 0, 0]
        for index in 0..<10_000 { counts[map.shard(of: "user:\(index)")] += 1 }
        // 2,500 each; within 3% (±75) of it.
        #expect(counts.allSatisfy { abs($0 - 2500) <= 75 }, "\(counts)")
    }

    @Test func addingAShardMovesOnlyChannelsToTheNewShardAndAboutAFifth() {
        let four = ShardMap(shardCount: 4), five = ShardMap(shardCount: 5)
        var moved = 0
        for index in 0..<10_000 {
            let channel = "room/\(index)"
            let before = four.shard(of: channel), after = five.shard(of: channel)
            if before != after {
                #expect(after == 4)
                moved += 1
            }
        }
        // 1/5 of 10,000 is 2,000; within 4%.
        #expect(abs(moved - 2000) <= 80, "\(moved) moved")
    }
}
