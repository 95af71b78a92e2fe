import EventStream
import Testing
@testable import Fanout

@Suite struct HubTests {
    private func hub(historySize: Int = 100, maxSubscribers: Int = 10, perIP: Int = 5) -> Hub {
        Hub(limits: HubLimits(historySize: historySize, historyTTL: .seconds(60), maxSubscribers: maxSubscribers,
                              maxSubscribersPerIP: perIP), instance: "t")
    }

    @discardableResult
    private func publish(_ hub: Hub, _ data: String, to channels: [String], id: String = "") -> [PublishedEvent] {
        hub.publish(ServerSentEvent(id: id, data: data), to: channels, at: .now).compactMap(\.event)
    }

    @Test func assignedIdsIncreaseAndCarryTheInstance() {
        let hub = hub()
        #expect(publish(hub, "a", to: ["c"])[0].id == "t-1")
        #expect(publish(hub, "b", to: ["c"])[0].id == "t-2")
        #expect(publish(hub, "c", to: ["c"], id: "mine")[0].id == "mine")
    }

    @Test func onePublishToSeveralChannelsIsOneSequenceSharingItsBytes() {
        let events = publish(hub(), "x", to: ["a", "b"])
        #expect(events.map(\.channel) == ["a", "b"])
        #expect(events[0].sequence == events[1].sequence)
        #expect(events[0].bytes === events[1].bytes)
        #expect(String(decoding: events[1].bytes(forStreamOn: ["b", "c"]).array, as: UTF8.self).contains("event: b\n"))
    }

    @Test func aStreamOnSeveralChannelsOfOnePublishIsToldEachOfThemInThePublishersOrder() {
        let events = publish(hub(), "x", to: ["news", "orders", "user:1"])
        let text = String(decoding: events[1].bytes(forStreamOn: ["user:1", "orders", "other"]).array, as: UTF8.self)
        #expect(text == "id: t-1\nevent: orders\nchannel: orders\nchannel: user:1\ndata: x\n\n")
        // one shared channel: the event's own multi-channel bytes; one channel: the plain bytes
        #expect(events[0].bytes(forStreamOn: ["news", "other"]) === events[0].bytesNamingChannel)
        #expect(events[0].bytes(forStreamOn: ["news"]) === events[0].bytes)
    }

    @Test func replayReturnsWhatCameAfterTheIdInPublishOrderAcrossChannels() {
        let hub = hub()
        publish(hub, "1", to: ["a"], id: "one")
        publish(hub, "2", to: ["b"])
        publish(hub, "3", to: ["a", "b"])
        publish(hub, "4", to: ["c"])
        let plan = hub.replay(channels: ["a", "b"], after: "one")
        #expect(!plan.reset)
        #expect(plan.events.map(\.sequence) == [2, 3])
        #expect(plan.coveredThrough == 4)
    }

    @Test func anUnknownOrEvictedIdAsksForAReset() {
        let hub = hub(historySize: 2)
        publish(hub, "1", to: ["a"], id: "old")
        publish(hub, "2", to: ["a"])
        publish(hub, "3", to: ["a"], id: "newest")
        let plan = hub.replay(channels: ["a"], after: "old")
        #expect(plan.reset)
        #expect(plan.resetID == "newest")
        #expect(plan.events.isEmpty)
    }

    @Test func aNewSubscriberReplaysNothingAndSkipsWhatWasAlreadyPublished() {
        let hub = hub()
        publish(hub, "1", to: ["a"])
        let plan = hub.replay(channels: ["a"], after: nil)
        #expect(plan.events.isEmpty && !plan.reset)
        #expect(plan.coveredThrough == 1)
    }

    @Test func admissionCountsPerAddressAndInTotal() {
        let hub = hub(maxSubscribers: 3, perIP: 2)
        #expect(hub.admit(address: "1.1.1.1", channels: ["a"]) == .admitted)
        #expect(hub.admit(address: "1.1.1.1", channels: ["a"]) == .admitted)
        guard case .refused(429, _, _) = hub.admit(address: "1.1.1.1", channels: ["a"]) else {
            Issue.record("expected 429")
            return
        }
        #expect(hub.admit(address: "2.2.2.2", channels: ["b"]) == .admitted)
        guard case .refused(503, _, _) = hub.admit(address: "3.3.3.3", channels: ["b"]) else {
            Issue.record("expected 503")
            return
        }
        #expect(hub.stats(channel: "a")?.subscribers == 2)
        hub.release(address: "1.1.1.1", channels: ["a"])
        #expect(hub.stats(channel: "a")?.subscribers == 1)
        #expect(hub.admit(address: "3.3.3.3", channels: ["b"]) == .admitted)
    }

    @Test func publishingToAChannelNobodyListensToFillsItsHistory() {
        let hub = hub()
        publish(hub, "1", to: ["quiet"], id: "q1")
        #expect(hub.stats(channel: "quiet") == ChannelStats(subscribers: 0, lastEventID: "q1", eventsHeld: 1))
    }

    @Test func aSweepForgetsChannelsWithNothingLeft() {
        let hub = Hub(limits: HubLimits(historySize: 10, historyTTL: .milliseconds(1)), instance: "t")
        publish(hub, "1", to: ["a"])
        hub.sweep(at: .now + .seconds(1))
        #expect(hub.stats(channel: "a") == nil)
        #expect(hub.totals.channels == 0)
    }
}

@Suite struct HubRawContentTests {
    private func hub() -> Hub {
        Hub(limits: HubLimits(historySize: 100, historyTTL: .seconds(60), maxSubscribers: 10, maxSubscribersPerIP: 5), instance: "t")
    }

    @Test func aPushpinItemSharesTheOrderAndHistoryOfEventsAndKeepsItsBytes() throws {
        let hub = hub()
        let event = try #require(hub.publish(ServerSentEvent(id: "", data: "e"), to: ["c"], at: .now)[0].event)
        let item = try #require(hub.publish(rawContent: Array("raw\n".utf8), id: "", to: "c", at: .now).event)
        #expect(item.sequence == event.sequence + 1)
        #expect(item.id == "t-2")
        #expect(item.isRawContent && !event.isRawContent)
        #expect(item.bytes.array == Array("raw\n".utf8))
        #expect(item.bytes(forStreamOn: ["c", "d"]).array == Array("raw\n".utf8))
        #expect(hub.stats(channel: "c")?.eventsHeld == 2)
    }

    @Test func aHeldStreamReplaysEachChannelAfterItsOwnResumeID() {
        let hub = hub()
        for (id, channel) in [("a1", "a"), ("b1", "b"), ("a2", "a"), ("b2", "b"), ("a3", "a")] {
            _ = hub.publish(rawContent: Array(id.utf8), id: id, to: channel, at: .now)
        }
        let plan = hub.replay(resumingAfter: [("a", "a1"), ("b", "b1")])
        #expect(plan.events.map(\.id) == ["a2", "b2", "a3"])
        #expect(plan.coveredThrough == 5)
        #expect(!plan.reset)
        #expect(hub.replay(resumingAfter: [("a", nil), ("b", "unknown")]).events.isEmpty)
    }

    @Test func aBatchKnowsWhenItHoldsPushpinItems() throws {
        let hub = hub()
        let event = try #require(hub.publish(ServerSentEvent(id: "", data: "e"), to: ["c"], at: .now)[0].event)
        #expect(!EventBatch(channel: "c", events: [event]).containsRawContent)
        let item = try #require(hub.publish(rawContent: [1], id: "", to: "c", at: .now).event)
        #expect(EventBatch(channel: "c", events: [event, item]).containsRawContent)
    }
}

@Suite struct HubDuplicateTests {
    private func hub(historySize: Int = 100) -> Hub {
        Hub(limits: HubLimits(historySize: historySize, historyTTL: .seconds(60)), instance: "t")
    }

    private func publish(_ hub: Hub, _ data: String, to channels: [String], id: String) -> [PublishOutcome] {
        hub.publish(ServerSentEvent(id: id, data: data), to: channels, at: .now)
    }

    @Test func aRepeatedIdIsADuplicateNeitherStoredNorGivenASequence() throws {
        let hub = hub()
        let first = try #require(publish(hub, "once", to: ["c"], id: "msg-1")[0].event)
        let again = publish(hub, "retry", to: ["c"], id: "msg-1")
        #expect(again.map(\.isDuplicate) == [true])
        #expect(again[0].channel == "c" && again[0].id == "msg-1")
        #expect(hub.stats(channel: "c")?.eventsHeld == 1)
        // Nothing new to replay after the first: the retry was not stored.
        #expect(hub.replay(channels: ["c"], after: "msg-1").events.isEmpty)
        let next = try #require(publish(hub, "new", to: ["c"], id: "msg-2")[0].event)
        #expect(next.sequence == first.sequence + 1)
    }

    @Test func assignedIdsAreNeverDuplicates() {
        let hub = hub()
        for _ in 0..<3 { #expect(publish(hub, "same", to: ["c"], id: "").map(\.isDuplicate) == [false]) }
        #expect(hub.stats(channel: "c")?.eventsHeld == 3)
    }

    @Test func eachChannelOfAPublishIsJudgedOnItsOwn() throws {
        let hub = hub()
        _ = publish(hub, "on a", to: ["a"], id: "x")
        let outcomes = publish(hub, "on a and b", to: ["a", "b"], id: "x")
        #expect(outcomes.map(\.channel) == ["a", "b"])
        #expect(outcomes.map(\.isDuplicate) == [true, false])
        let stored = try #require(outcomes[1].event)
        // The stored copy names only the channel it went to, not the one that refused it.
        #expect(stored.bytes(forStreamOn: ["a", "b"]) === stored.bytesNamingChannel)
        #expect(hub.stats(channel: "a")?.eventsHeld == 1)
        #expect(hub.stats(channel: "b")?.eventsHeld == 1)
        #expect(publish(hub, "again", to: ["a", "b"], id: "x").map(\.isDuplicate) == [true, true])
    }

    @Test func anIdTheHistoryNoLongerHoldsIsNewAgain() {
        let hub = hub(historySize: 1)
        _ = publish(hub, "1", to: ["c"], id: "old")
        _ = publish(hub, "2", to: ["c"], id: "newer")
        #expect(publish(hub, "3", to: ["c"], id: "old").map(\.isDuplicate) == [false])
    }

    @Test func aPushpinItemWithAHeldIdIsADuplicateToo() {
        let hub = hub()
        _ = publish(hub, "event", to: ["c"], id: "p1")
        #expect(hub.publish(rawContent: [1], id: "p1", to: "c", at: .now).isDuplicate)
        #expect(!hub.publish(rawContent: [1], id: "p2", to: "c", at: .now).isDuplicate)
        #expect(hub.publish(rawContent: [1], id: "p2", to: "c", at: .now).isDuplicate)
        #expect(!hub.publish(rawContent: [1], id: "", to: "c", at: .now).isDuplicate)
        #expect(hub.stats(channel: "c")?.eventsHeld == 3)
    }

    @Test func concurrentIdenticalPublishesLandOnce() async {
        let hub = hub()
        let stored = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { hub.publish(ServerSentEvent(id: "race", data: "d"), to: ["c"], at: .now).filter { !$0.isDuplicate }.count }
            }
            return await group.reduce(0, +)
        }
        #expect(stored == 1)
        #expect(hub.stats(channel: "c")?.eventsHeld == 1)
    }
}
