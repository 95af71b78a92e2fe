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

    @Test func streamsOnTheSameChannelsOfOnePublishShareOneEncoding() {
        let events = publish(hub(), "x", to: ["news", "orders", "user:1"])
        let first = events[1].bytes(forStreamOn: ["user:1", "orders"])
        // another stream on those channels (in any order, with others), through any of the events
        #expect(events[1].bytes(forStreamOn: ["orders", "user:1", "other"]) === first)
        #expect(events[2].bytes(forStreamOn: ["user:1", "orders"]) === first)
        #expect(events[0].bytes(forStreamOn: ["news", "orders"]) !== first)
    }

    @Test func channelSetsPastTheBoundAreEncodedPerStreamAndStillRight() {
        let channels = (0..<8).map { "c\($0)" }
        let events = publish(hub(), "x", to: channels)
        // 8 channels have far more than 16 subsets of two or more: past the bound, fresh bytes
        var pairs: [[String]] = []
        for a in 0..<8 { for b in (a + 1)..<8 { pairs.append([channels[a], channels[b]]) } }
        for pair in pairs { _ = events[0].bytes(forStreamOn: pair) }
        let last = pairs[pairs.count - 1]
        let again = events[0].bytes(forStreamOn: last)
        #expect(again !== events[0].bytes(forStreamOn: last))
        #expect(String(decoding: again.array, as: UTF8.self) == "id: t-1\nevent: c6\nchannel: c6\nchannel: c7\ndata: x\n\n")
    }

    @Test func replayReturnsWhatCameAfterTheIdInPublishOrderAcrossChannels() {
        let hub = hub()
        publish(hub, "1", to: ["a"], id: "one")
        publish(hub, "2", to: ["b"])
        publish(hub, "3", to: ["a", "b"])
        publish(hub, "4", to: ["c"])
        let plan = hub.replay(channels: ["a", "b"], after: .id("one"))
        #expect(!plan.reset)
        #expect(pages(hub, plan).flatMap { $0.map(\.sequence) } == [2, 3])
    }

    /// Every page of `plan`'s replay (`maxBytes` each), and the sequence it caught up at.
    private func pages(_ hub: Hub, _ plan: ReplayPlan, maxBytes: Int = .max,
                       caughtUp: UInt64? = nil) -> [[PublishedEvent]] {
        guard var cursor = plan.cursor else { return [] }
        var pages: [[PublishedEvent]] = []
        for _ in 0..<100 {
            switch hub.nextPage(&cursor, maxBytes: maxBytes) {
            case .events(let events): pages.append(events)
            case .caughtUp(let sequence):
                if let caughtUp { #expect(sequence == caughtUp) }
                return pages
            case .lost:
                Issue.record("lost")
                return pages
            }
        }
        Issue.record("no end")
        return pages
    }

    @Test func aReplayIsReadInPagesOfAboutMaxBytesEachEventOnce() {
        let hub = hub()
        publish(hub, "0", to: ["a"], id: "start")
        var sizes: Set<Int> = []
        for number in 1...9 {
            let events = publish(hub, "\(number)", to: number % 3 == 0 ? ["a", "b"] : [number % 2 == 0 ? "a" : "b"], id: "e\(number)")
            sizes.insert(events[0].bytes.count)
        }
        publish(hub, "x", to: ["c"])
        publish(hub, "y", to: ["c"])
        #expect(sizes.count == 1)
        let size = sizes.first!
        let plan = hub.replay(channels: ["a", "b"], after: .id("start"))
        let read = pages(hub, plan, maxBytes: 2 * size, caughtUp: 12)
        #expect(read.map { $0.map(\.sequence) } == [[2, 3], [4, 5], [6, 7], [8, 9], [10]])
    }

    @Test func aPageSeesWhatWasPublishedSinceTheReplayBegan() {
        let hub = hub()
        publish(hub, "1", to: ["a"], id: "start")
        let plan = hub.replay(channels: ["a"], after: .id("start"))
        var cursor = plan.cursor!
        publish(hub, "2", to: ["a"])
        guard case .events(let events) = hub.nextPage(&cursor, maxBytes: .max) else { Issue.record("no page"); return }
        #expect(events.map(\.sequence) == [2])
        guard case .caughtUp(2) = hub.nextPage(&cursor, maxBytes: .max) else { Issue.record("not caught up"); return }
    }

    @Test func aReplayOverrunByTheHistoryHasLostEvents() {
        let hub = hub(historySize: 3)
        publish(hub, "1", to: ["a"], id: "start")
        publish(hub, "2", to: ["a"])
        let plan = hub.replay(channels: ["a"], after: .id("start"))
        var cursor = plan.cursor!
        guard case .events = hub.nextPage(&cursor, maxBytes: 1) else { Issue.record("no page"); return }
        for number in 3...5 { publish(hub, "\(number)", to: ["a"]) }  // evicts 1 and 2: both sent
        guard case .events(let events) = hub.nextPage(&cursor, maxBytes: 1), events[0].sequence == 3 else {
            Issue.record("3 not read"); return
        }
        for number in 6...7 { publish(hub, "\(number)", to: ["a"]) }  // evicts 3 (sent) and 4 (not)
        guard case .lost = hub.nextPage(&cursor, maxBytes: .max) else { Issue.record("not lost"); return }
    }

    @Test func anIdHeraldAssignedIsFoundByTheSequenceItNames() {
        let hub = hub(historySize: 3)
        for number in 1...5 { publish(hub, "\(number)", to: ["a"]) }  // t-1 … t-5; t-3 … t-5 held
        #expect(hub.replay(channels: ["a"], after: .id("t-4")).cursor != nil)
        #expect(hub.replay(channels: ["a"], after: .id("t-2")).reset)  // evicted
        for unheld in ["t-0", "t-", "t-+4", "t-99", "u-4", "t-18446744073709551616"] {
            #expect(hub.replay(channels: ["a"], after: .id(unheld)).reset, "\(unheld)")
        }
        // A publisher's own id of that form is its own event's, the newest with it
        publish(hub, "mine", to: ["a"], id: "t-5")
        var cursor = hub.replay(channels: ["a"], after: .id("t-5")).cursor!
        guard case .caughtUp = hub.nextPage(&cursor, maxBytes: .max) else {
            Issue.record("resumed before the publisher's t-5")
            return
        }
    }

    @Test func anUnknownOrEvictedIdAsksForAReset() {
        let hub = hub(historySize: 2)
        publish(hub, "1", to: ["a"], id: "old")
        publish(hub, "2", to: ["a"])
        publish(hub, "3", to: ["a"], id: "newest")
        let plan = hub.replay(channels: ["a"], after: .id("old"))
        #expect(plan.reset)
        #expect(plan.resetID == "newest")
        #expect(plan.cursor == nil)
    }

    @Test func aValueThatNamesNoEventAsksForAReset() {
        let hub = hub()
        publish(hub, "1", to: ["a"], id: "held")
        let plan = hub.replay(channels: ["a"], after: .unusable(shown: "%ZZ"))
        #expect(plan.reset && plan.resetID == "held" && plan.cursor == nil)
    }

    @Test func aNewSubscriberReplaysNothingAndSkipsWhatWasAlreadyPublished() {
        let hub = hub()
        publish(hub, "1", to: ["a"])
        let plan = hub.replay(channels: ["a"], after: nil)
        #expect(plan.cursor == nil && !plan.reset)
        #expect(plan.coveredThrough == 1)
    }

    @Test func changedLimitsApplyToEveryHistoryAndToTheNextAdmission() {
        let hub = hub(historySize: 5, maxSubscribers: 10, perIP: 1)
        for n in 1...5 { publish(hub, "\(n)", to: ["a"]) }
        #expect(hub.admit(address: "1.1.1.1", channels: ["a"]) == .admitted)
        #expect(hub.admit(address: "1.1.1.1", channels: ["a"]) != .admitted)
        hub.change(limits: HubLimits(historySize: 2, historyTTL: .seconds(60), maxSubscribers: 10, maxSubscribersPerIP: 2))
        #expect(hub.stats(channel: "a")?.eventsHeld == 2)
        #expect(hub.limits.maxSubscribersPerIP == 2)
        #expect(hub.admit(address: "1.1.1.1", channels: ["a"]) == .admitted)
        // A new channel's history has the new size too.
        for n in 1...3 { publish(hub, "\(n)", to: ["b"]) }
        #expect(hub.stats(channel: "b")?.eventsHeld == 2)
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
        hub.expire(at: .now + .seconds(1))
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
        let plan = hub.replay(resumingAfter: [("a", "a1"), ("b", "b1"), ("c", nil)])
        var cursor = plan.cursor!
        _ = hub.publish(rawContent: Array("c1".utf8), id: "c1", to: "c", at: .now)
        guard case .events(let events) = hub.nextPage(&cursor, maxBytes: .max) else { Issue.record("no page"); return }
        // c has no resume id: only what was published to it after the stream began
        #expect(events.map(\.id) == ["a2", "b2", "a3", "c1"])
        #expect(!plan.reset)
        #expect(hub.replay(resumingAfter: [("a", nil), ("b", "unknown")]).cursor == nil)
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
        var cursor = try #require(hub.replay(channels: ["c"], after: .id("msg-1")).cursor)
        guard case .caughtUp = hub.nextPage(&cursor, maxBytes: .max) else {
            Issue.record("the duplicate was stored")
            return
        }
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
