import Cluster
import EventStream
import Foundation
import Testing

/// The publish script run for real: each test starts its own redis-server.
@Suite struct PublishScriptTests {
    private func event(_ data: String, type: String? = nil, retry: Int? = nil) -> ClusterEvent.Content {
        .event(ServerSentEvent(id: "", event: type, data: data, retry: retry))
    }

    private func ids(_ result: ReadScript.Result) -> [String] { result.events.map(\.id) }
    private func gs(_ result: ReadScript.Result) -> [UInt64] { result.events.map(\.g) }

    @Test func aPublishWithoutAnIdIsAssignedEpochDashG() throws {
        try withRedis { server in
            let redis = try ScriptClient(server)
            let before = try redisMilliseconds(redis)
            let result = try redis.publish(["news"], event("hello"), epochCandidate: "k2x9q0ab")
            let after = try redisMilliseconds(redis)
            #expect(result == PublishScript.Result(g: 1, id: "k2x9q0ab-1", duplicates: [false], receivers: [0], epochs: ["k2x9q0ab"]))
            let read = try redis.read("news")
            #expect(read.epoch == "k2x9q0ab" && read.lastG == 1)
            let stored = try #require(read.events.first)
            #expect(stored == ClusterEvent(g: 1, previous: 0, epoch: "k2x9q0ab", time: stored.time, id: "k2x9q0ab-1",
                                           content: .event(ServerSentEvent(id: "k2x9q0ab-1", data: "hello"))))
            #expect(stored.time >= before && stored.time <= after)
            #expect(try redis.publish(["news"], event("again"), epochCandidate: "unused00").id == "k2x9q0ab-2")
        }
    }

    @Test func gIncreasesAcrossChannelsAndEachChannelChainsItsOwnPrevious() throws {
        try withRedis { server in
            let redis = try ScriptClient(server)
            #expect(try [redis.publish(["a"]).g, redis.publish(["b"]).g, redis.publish(["a"]).g] == [1, 2, 3])
            let a = try redis.read("a"), b = try redis.read("b")
            #expect(a.events.map { [$0.previous, $0.g] } == [[0, 1], [1, 3]] && a.lastG == 3)
            #expect(b.events.map { [$0.previous, $0.g] } == [[0, 2]] && b.lastG == 2)
        }
    }

    @Test func aMultiChannelPublishStoresOneIdAndOneGInEachChannel() throws {
        try withRedis { server in
            let redis = try ScriptClient(server)
            let subscriber = try Subscriber(server, channels: ["a", "b"])
            _ = try redis.publish(["c"])
            let result = try redis.publish(["a", "b"], event("both"), epochCandidate: "ep")
            #expect(result.g == 2 && result.id == "ep-2" && result.duplicates == [false, false] && result.receivers == [1, 1])
            for channel in ["a", "b"] {
                let stored = try #require(try redis.read(channel).events.first)
                #expect(stored.g == 2 && stored.id == "ep-2" && stored.channels == ["a", "b"])
                let message = try subscriber.next()
                #expect(message.channel == channel)
                #expect(try ClusterEvent.decode(message: message.payload) == stored)
            }
        }
    }

    @Test func aShardsShareOfAPublishRecordsEveryChannelOfThePublish() throws {
        try withRedis { server in
            let redis = try ScriptClient(server)
            _ = try redis.publish(["b"], id: "m1", publishedTo: ["a", "b", "c"])
            #expect(try redis.read("b").events.first?.channels == ["a", "b", "c"])
        }
    }

    @Test func aDuplicateIsFoundByIdPerChannelAndAnAllDuplicatePublishDoesNotCount() throws {
        try withRedis { server in
            let redis = try ScriptClient(server)
            #expect(try redis.publish(["a"], id: "x").g == 1)
            let partly = try redis.publish(["a", "b"], event("second"), id: "x")
            #expect(partly == PublishScript.Result(g: 2, id: "x", duplicates: [true, false], receivers: [0, 0], epochs: ["epoch001", "epoch001"]))
            #expect(try gs(redis.read("a")) == [1] && gs(redis.read("b")) == [2])
            let all = try redis.publish(["a", "b"], id: "x")
            #expect(all == PublishScript.Result(g: 0, id: "x", duplicates: [true, true], receivers: [0, 0], epochs: ["epoch001", "epoch001"]))
            #expect(try redis.integer("GET", redis.keys.sequence) == 2)
            #expect(try redis.publish(["a"], id: "y").g == 3)
        }
    }

    @Test func aChannelNamedTwiceInOnePublishIsWrittenOnce() throws {
        try withRedis { server in
            let redis = try ScriptClient(server)
            let result = try redis.publish(["a", "a"], id: "")
            #expect(result.duplicates == [false, true] && result.epochs == ["epoch001", "epoch001"])
            #expect(try redis.integer("XLEN", redis.keys.stream("a")) == 1)
        }
    }

    @Test func theHistoryIsTrimmedToItsSizeAndTheIdIndexFollows() throws {
        try withRedis { server in
            let redis = try ScriptClient(server)
            for index in 1...5 { _ = try redis.publish(["a"], id: "e\(index)", historySize: 3) }
            #expect(try redis.integer("XLEN", redis.keys.stream("a")) == 3)
            #expect(try redis.hashKeys(redis.keys.ids("a")) == ["e3", "e4", "e5"])
            #expect(try ids(redis.read("a")) == ["e3", "e4", "e5"])
            // e1 left the history, so it is no longer a duplicate.
            #expect(try redis.publish(["a"], id: "e1", historySize: 3).duplicates == [false])
            #expect(try redis.hashKeys(redis.keys.ids("a")) == ["e1", "e4", "e5"])
        }
    }

    @Test func historySizeZeroStoresNothingButTheChainStillMoves() throws {
        try withRedis { server in
            let redis = try ScriptClient(server)
            let subscriber = try Subscriber(server, channels: ["a"])
            _ = try redis.publish(["a"], id: "kept", historySize: 10)
            _ = try subscriber.next()
            _ = try redis.publish(["a"], id: "z1", historySize: 0)
            _ = try redis.publish(["a"], id: "z2", historySize: 0)
            #expect(try redis.integer("XLEN", redis.keys.stream("a")) == 0)
            #expect(try redis.integer("HLEN", redis.keys.ids("a")) == 0)
            let read = try redis.read("a")
            #expect(read.epoch == "epoch001" && read.lastG == 3 && read.events.isEmpty)
            let messages = try [subscriber.next(), subscriber.next()].map { try ClusterEvent.decode(message: $0.payload) }
            #expect(messages.map { [$0.previous, $0.g] } == [[1, 2], [2, 3]] && messages.map(\.id) == ["z1", "z2"])
            // Nothing is held, so nothing is a duplicate.
            #expect(try redis.publish(["a"], id: "z1", historySize: 0).duplicates == [false])
        }
    }

    @Test func anEntryOlderThanTheTTLLeavesByItsTimeWhileTheKeysLive() throws {
        try withRedis { server in
            let redis = try ScriptClient(server)
            _ = try redis.publish(["a"], id: "old", ttlMilliseconds: 60_000)
            // Redis's clock moves at least 100 ms: "old" is then older than the next publish's 20 ms TTL.
            usleep(100_000)
            let result = try redis.publish(["a"], id: "new", ttlMilliseconds: 20)
            #expect(result.epochs == ["epoch001"])
            #expect(try redis.integer("XLEN", redis.keys.stream("a")) == 1)
            #expect(try redis.hashKeys(redis.keys.ids("a")) == ["new"])
            let read = try redis.read("a")
            // Same epoch, chained to the trimmed entry: the keys had not expired, the entry was trimmed.
            #expect(read.events.map { [$0.previous, $0.g] } == [[1, 2]] && ids(read) == ["new"])
        }
    }

    @Test func everyKeyOfAChannelExpiresAfterTheTTL() throws {
        try withRedis { server in
            let redis = try ScriptClient(server)
            _ = try redis.publish(["a"], id: "x", ttlMilliseconds: 60_000)
            for key in [redis.keys.stream("a"), redis.keys.meta("a"), redis.keys.ids("a")] {
                let remaining = try redis.integer("PTTL", key)
                #expect(remaining > 0 && remaining <= 60_000, "\(key): \(remaining)")
            }
        }
    }

    @Test func theEpochIsCreatedOnceAndRenewedWhenRedisLostTheChannel() throws {
        try withRedis { server in
            let redis = try ScriptClient(server)
            #expect(try redis.publish(["a"], id: "k", epochCandidate: "first001").epochs == ["first001"])
            #expect(try redis.publish(["a"], epochCandidate: "second01").epochs == ["first001"])
            _ = try redis.connection.command("FLUSHALL")
            let result = try redis.publish(["a"], id: "k", epochCandidate: "third001")
            #expect(result.duplicates == [false] && result.epochs == ["third001"] && result.g == 1)
            let read = try redis.read("a")
            #expect(read.epoch == "third001" && ids(read) == ["k"] && read.events.first?.previous == 0)
        }
    }

    @Test func aLostMetaHashStartsANewEpochAndDropsTheStaleHistory() throws {
        try withRedis { server in
            let redis = try ScriptClient(server)
            _ = try redis.publish(["a"], id: "k")
            _ = try redis.publish(["a"], id: "l")
            _ = try redis.connection.command("DEL", redis.keys.meta("a"))
            let result = try redis.publish(["a"], id: "k", epochCandidate: "fresh001")
            #expect(result.duplicates == [false] && result.epochs == ["fresh001"] && result.g == 3)
            let read = try redis.read("a")
            #expect(ids(read) == ["k"] && read.events.first?.previous == 0 && read.epoch == "fresh001")
            #expect(try redis.hashKeys(redis.keys.ids("a")) == ["k"])
        }
    }

    @Test func theCounterPassesAChannelsNewestGWhenItWasLost() throws {
        try withRedis { server in
            let redis = try ScriptClient(server)
            for _ in 1...3 { _ = try redis.publish(["a"]) }
            _ = try redis.connection.command("DEL", redis.keys.sequence)
            let result = try redis.publish(["b", "a"])
            #expect(result.g == 4)
            #expect(try redis.integer("GET", redis.keys.sequence) == 4)
            #expect(try redis.read("a").events.last.map { [$0.previous, $0.g] } == [3, 4])
        }
    }

    @Test func argumentsThatDoNotMatchTheLayoutAreRefusedBeforeAnyWrite() throws {
        try withRedis { server in
            let redis = try ScriptClient(server)
            var tail = PublishScript.arguments(keys: redis.keys, channels: ["a"], content: event("x"), id: "", historySize: 10,
                                               ttlMilliseconds: 1000, epochCandidate: "e")
            tail.removeLast()
            #expect(throws: RESPError.self) { try redis.connection.command([Array("EVAL".utf8), Array(PublishScript.source.utf8)] + tail) }
            #expect(try redis.integer("EXISTS", redis.keys.sequence) == 0)
        }
    }

    private func redisMilliseconds(_ redis: ScriptClient) throws -> Int64 {
        guard case .array(let parts) = try redis.connection.command("TIME"), parts.count == 2,
              case .bytes(let seconds) = parts[0], case .bytes(let micros) = parts[1],
              let s = Int64(String(decoding: seconds, as: UTF8.self)), let us = Int64(String(decoding: micros, as: UTF8.self)) else {
            throw RESPError(message: "TIME")
        }
        return s * 1000 + us / 1000
    }
}
