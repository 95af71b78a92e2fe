import EventStream
import Testing
@testable import Fanout

/// Redis mode's side of the hub: events recorded as Redis gives them, in the order they arrive.
@Suite struct HubRecordTests {
    private func hub() -> Hub {
        Hub(limits: HubLimits(historySize: 100, historyTTL: .seconds(60)), instance: "t")
    }

    @discardableResult
    private func record(_ hub: Hub, _ id: String, on channel: String, g: UInt64, shard: Int = 0,
                        publishedTo channels: [String] = []) -> PublishedEvent {
        hub.record(.event(ServerSentEvent(id: "", data: id)), id: id, on: channel, publishedTo: channels,
                   origin: PublishOrigin(shard: shard, g: g), at: .now)
    }

    private func replayed(_ hub: Hub, _ channels: [String], after id: String) -> [String] {
        let plan = hub.replay(channels: channels, after: .id(id))
        guard var cursor = plan.cursor else { return plan.reset ? ["reset"] : [] }
        guard case .events(let events) = hub.nextPage(&cursor, maxBytes: .max) else { return [] }
        return events.map(\.id)
    }

    @Test func recordKeepsTheIdRedisGaveAndAGrowingSequence() {
        let hub = hub()
        let first = record(hub, "e1-1", on: "c", g: 1)
        let second = record(hub, "e1-2", on: "c", g: 2)
        #expect(first.id == "e1-1")
        #expect(String(decoding: first.bytes.array, as: UTF8.self) == "id: e1-1\ndata: e1-1\n\n")
        #expect(second.sequence > first.sequence)
        #expect(replayed(hub, ["c"], after: "e1-1") == ["e1-2"])
    }

    @Test func theRecordsOfOnePublishOnSeveralChannelsShareOneSequenceAndTheirBytes() {
        let hub = hub()
        let a = record(hub, "x", on: "a", g: 7, publishedTo: ["a", "b"])
        let b = record(hub, "x", on: "b", g: 7, publishedTo: ["a", "b"])
        let next = record(hub, "y", on: "a", g: 8)
        #expect(a.sequence == b.sequence)
        #expect(a.bytes === b.bytes)
        #expect(next.sequence == a.sequence + 1)
        // The same origin from another shard is another publish.
        #expect(record(hub, "z", on: "b", g: 8, shard: 1).sequence == next.sequence + 1)
    }

    @Test func aChannelFollowedLaterResumesFromWhereThePublishOrderSaysNotTheArrivalOrder() {
        let hub = hub()
        // "a" was followed first; "b" was read from Redis later, so its older events arrive last.
        record(hub, "a1", on: "a", g: 1)
        record(hub, "a3", on: "a", g: 3)
        record(hub, "b2", on: "b", g: 2)
        record(hub, "b4", on: "b", g: 4)
        // A client on both that saw a3 (g 3) has seen b2 (g 2), not b4.
        #expect(replayed(hub, ["a", "b"], after: "a3") == ["b4"])
        // One that saw b2 has not seen a3.
        #expect(replayed(hub, ["a", "b"], after: "b2") == ["a3", "b4"])
    }

    @Test func clearingAHistoryTurnsItsIdsIntoAReset() {
        let hub = hub()
        record(hub, "e1-1", on: "c", g: 1)
        record(hub, "e1-2", on: "c", g: 2)
        hub.clearHistory(of: "c")
        #expect(replayed(hub, ["c"], after: "e1-1") == ["reset"])
        #expect(hub.stats(channel: "c") == nil)
    }

    @Test func aReplayOnSeveralChannelsComesInTheOrderRedisGaveThemWhateverTheOrderTheyArrived() {
        let hub = hub()
        record(hub, "a1", on: "a", g: 1)
        record(hub, "a3", on: "a", g: 3)
        // "b" was read from Redis after "a": its events reached this instance last.
        record(hub, "b2", on: "b", g: 2)
        record(hub, "b4", on: "b", g: 4)
        #expect(replayed(hub, ["a", "b"], after: "a1") == ["b2", "a3", "b4"])
    }

    @Test func aReplayOnSeveralChannelsReadInSmallPagesSendsEachEventOnceInOrder() {
        let hub = hub()
        record(hub, "a1", on: "a", g: 1)
        for g in stride(from: UInt64(3), through: 19, by: 2) { record(hub, "a\(g)", on: "a", g: g) }
        for g in stride(from: UInt64(2), through: 20, by: 2) { record(hub, "b\(g)", on: "b", g: g) }
        record(hub, "ab21", on: "a", g: 21, publishedTo: ["a", "b"])
        record(hub, "ab21", on: "b", g: 21, publishedTo: ["a", "b"])
        var cursor = hub.replay(channels: ["a", "b"], after: .id("a1")).cursor!
        var ids: [String] = []
        while case .events(let events) = hub.nextPage(&cursor, maxBytes: 40) { ids += events.map(\.id) }
        #expect(ids == (2...20).map { $0 % 2 == 0 ? "b\($0)" : "a\($0)" } + ["ab21"])
    }
}
