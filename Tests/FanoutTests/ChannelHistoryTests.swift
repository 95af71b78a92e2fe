import EventStream
import Testing
@testable import Fanout

@Suite struct ChannelHistoryTests {
    private func event(_ sequence: UInt64, id: String? = nil, at instant: ContinuousClock.Instant = .now) -> PublishedEvent {
        PublishedEvent(sequence: sequence, channel: "c", event: ServerSentEvent(id: id ?? "e\(sequence)", data: "\(sequence)"),
                       publishedAt: instant)
    }

    @Test func itKeepsTheNewestEventsUpToItsCapacity() {
        var history = ChannelHistory(capacity: 3, ttl: .seconds(60))
        for sequence in 1...5 { history.append(event(UInt64(sequence))) }
        #expect(history.inOrder().map(\.sequence) == [3, 4, 5])
        #expect(history.newest?.sequence == 5)
        #expect(history.hasDropped)
        #expect(history.droppedThrough == 2)
    }

    @Test func aSmallerCapacityDropsTheOldestAndALargerOneKeepsAll() {
        var history = ChannelHistory(capacity: 4, ttl: .seconds(60))
        for sequence in 1...6 { history.append(event(UInt64(sequence), id: "p\(sequence)")) }
        history.resize(capacity: 2, ttl: .seconds(60))
        #expect(history.inOrder().map(\.sequence) == [5, 6])
        #expect(history.droppedThrough == 4)
        #expect(history.sequence(ofID: "p4") == nil)
        #expect(history.sequence(ofID: "p5") == 5)
        history.resize(capacity: 3, ttl: .seconds(60))
        for sequence in 7...9 { history.append(event(UInt64(sequence))) }
        #expect(history.inOrder().map(\.sequence) == [7, 8, 9])
        #expect(history.capacity == 3)
    }

    @Test func aShorterTTLTakesEffectAtTheNextTrim() {
        let start = ContinuousClock.now
        var history = ChannelHistory(capacity: 4, ttl: .seconds(60))
        history.append(event(1, at: start))
        history.append(event(2, at: start + .seconds(20)))
        history.resize(capacity: 4, ttl: .seconds(15))
        history.trim(now: start + .seconds(30))
        #expect(history.inOrder().map(\.sequence) == [2])
    }

    @Test func aPageOfARingStopsOnceItReachesItsBytes() {
        var history = ChannelHistory(capacity: 4, ttl: .seconds(60))
        for sequence in 1...7 { history.append(event(UInt64(sequence))) }
        let size = history.newest!.bytes.count
        #expect(history.events(after: 0, upTo: .max).map(\.sequence) == [4, 5, 6, 7])
        #expect(history.events(after: 4, upTo: 2 * size).map(\.sequence) == [5, 6])
        #expect(history.events(after: 4, upTo: 2 * size + 1).map(\.sequence) == [5, 6, 7])
        #expect(history.events(after: 5, upTo: 1).map(\.sequence) == [6])
        #expect(history.events(after: 7, upTo: .max).isEmpty)
    }

    @Test func theLatestEventWithARepeatedIdCounts() {
        var history = ChannelHistory(capacity: 10, ttl: .seconds(60))
        history.append(event(1, id: "same"))
        history.append(event(2))
        history.append(event(3, id: "same"))
        #expect(history.sequence(ofID: "same") == 3)
        #expect(history.events(after: 1).map(\.sequence) == [2, 3])
    }

    @Test func anIdIsFoundWhileAnEventWithItIsHeldAndNotAfter() {
        var history = ChannelHistory(capacity: 2, ttl: .seconds(60))
        history.append(event(1, id: "a"))
        history.append(event(2, id: "b"))
        history.append(event(3, id: "a"))  // evicts 1: "a" is still held, as 3
        #expect(history.sequence(ofID: "a") == 3)
        #expect(history.sequence(ofID: "b") == 2)
        history.append(event(4, id: "c"))  // evicts 2
        #expect(history.sequence(ofID: "b") == nil)
        history.append(event(5, id: "d"))  // evicts 3
        #expect(history.sequence(ofID: "a") == nil)
        history.trim(now: .now + .seconds(120))
        #expect(history.sequence(ofID: "c") == nil && history.sequence(ofID: "d") == nil)
    }

    @Test func expiredEventsAreTrimmed() {
        let start = ContinuousClock.now
        var history = ChannelHistory(capacity: 10, ttl: .seconds(10))
        history.append(event(1, at: start))
        history.append(event(2, at: start + .seconds(20)))
        history.trim(now: start + .seconds(25))
        #expect(history.inOrder().map(\.sequence) == [2])
        #expect(history.droppedThrough == 1)
    }

    @Test func aZeroCapacityKeepsNothing() {
        var history = ChannelHistory(capacity: 0, ttl: .seconds(10))
        history.append(event(1))
        #expect(history.isEmpty)
        #expect(history.droppedThrough == 1)
    }
}
