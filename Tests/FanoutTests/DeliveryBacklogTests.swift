import EventStream
import Testing
@testable import Fanout

@Suite struct DeliveryBacklogTests {
    /// A subscriber that records what it was given, skipping what it already covers (as streams do).
    final class Subscriber {
        let channels: [String]
        var coveredThrough: UInt64
        var received: [UInt64] = []
        var batches: [EventBatch] = []

        init(_ channels: [String], coveredThrough: UInt64 = 0) {
            self.channels = channels
            self.coveredThrough = coveredThrough
        }

        func take(_ events: some Sequence<PublishedEvent>) {
            for event in events where event.sequence > coveredThrough && channels.contains(event.channel) {
                coveredThrough = event.sequence
                received.append(event.sequence)
            }
        }
    }

    private var registry = StreamRegistry<Subscriber>()
    private var backlog = DeliveryBacklog<Subscriber>()
    /// The sequences of each `.delivered` step, in order.
    private var delivered: [[UInt64]] = []

    private func event(_ sequence: UInt64, _ channel: String) -> PublishedEvent {
        PublishedEvent(sequence: sequence, channel: channel, event: ServerSentEvent(id: "\(sequence)", data: "d"),
                       publishedAt: .now)
    }

    @discardableResult
    private mutating func subscribe(_ channels: [String], coveredThrough: UInt64 = 0) -> Subscriber {
        let subscriber = Subscriber(channels, coveredThrough: coveredThrough)
        registry.add(subscriber, to: channels)
        return subscriber
    }

    /// Runs up to `limit` visits (as the worker does, one channel or every channel's events);
    /// returns how many were made.
    @discardableResult
    private mutating func step(_ limit: Int = .max) -> Int {
        var visits = 0
        while visits < limit {
            switch backlog.next(in: registry) {
            case .visit(let subscriber):
                visits += 1
                if subscriber.channels.count == 1 {
                    if let batch = backlog.batch(after: subscriber.coveredThrough) {
                        subscriber.batches.append(batch)
                        subscriber.take(batch.events)
                    }
                } else {
                    subscriber.take(backlog.events(after: subscriber.coveredThrough))
                }
            case .delivered(let events):
                delivered.append(events.map(\.sequence))
            case .idle:
                return visits
            }
        }
        return visits
    }

    @Test mutating func everySubscriberGetsItsChannelsEventsOnceInOrder() {
        let a = subscribe(["a"])
        let b = subscribe(["b"])
        let both = subscribe(["a", "b"])
        backlog.append([event(1, "a"), event(2, "b"), event(3, "a")])
        step()
        #expect(a.received == [1, 3])
        #expect(b.received == [2])
        #expect(both.received == [1, 2, 3])
        #expect(delivered == [[1, 2, 3]])
        #expect(backlog.isEmpty)
        #expect(step() == 0)
    }

    @Test mutating func subscribersAtTheSamePointShareOneBatch() {
        let first = subscribe(["a"])
        let second = subscribe(["a"])
        backlog.append([event(1, "a"), event(2, "a")])
        step()
        #expect(first.batches.count == 1)
        #expect(first.batches[0] === second.batches[0])
        #expect(first.batches[0].events.map(\.sequence) == [1, 2])
    }

    @Test mutating func eventsArrivingMidSweepJoinItForTheSubscribersNotYetVisited() {
        let subscribers = (0..<4).map { _ in subscribe(["a"]) }
        backlog.append([event(1, "a")])
        #expect(step(2) == 2)
        backlog.append([event(2, "a")])
        step()
        let early = subscribers.filter { $0.batches.count == 2 }
        let late = subscribers.filter { $0.batches.count == 1 }
        #expect(early.count == 2 && late.count == 2)
        // the later ones had both in one write; the earlier ones got the second from a second sweep
        for subscriber in late { #expect(subscriber.batches[0].events.map(\.sequence) == [1, 2]) }
        for subscriber in early { #expect(subscriber.batches.map { $0.events.map(\.sequence) } == [[1], [2]]) }
        for subscriber in subscribers { #expect(subscriber.received == [1, 2]) }
        // the first sweep ended with only event 1 behind every subscriber
        #expect(delivered == [[1], [2]])
        #expect(backlog.isEmpty)
    }

    @Test mutating func aSweepOnlyRemovesWhatWasThereWhenItBegan() {
        subscribe(["a"])
        let b = subscribe(["b"])
        backlog.append([event(1, "a")])
        #expect(step(1) == 1)
        backlog.append([event(2, "b")])
        #expect(step(1) == 1)  // channel b joined the sweep under way
        #expect(b.received == [2])
        #expect(delivered.isEmpty)
        step()
        #expect(delivered == [[1], [2]])
    }

    @Test mutating func aSubscriberJoiningMidSweepGetsOnlyWhatCameAfterItsCover() {
        subscribe(["a"])
        subscribe(["a"])
        backlog.append([event(1, "a")])
        step(1)
        let late = subscribe(["a"], coveredThrough: 1)  // admitted after event 1 was published
        backlog.append([event(2, "a")])
        step()
        #expect(late.received == [2])
    }

    @Test mutating func aSubscriberCoveredByItsReplaySkipsThoseEventsAndStillSharesTheRest() {
        let replayed = subscribe(["a"], coveredThrough: 2)
        let fresh = subscribe(["a"])
        backlog.append([event(1, "a"), event(2, "a"), event(3, "a")])
        step()
        #expect(replayed.received == [3])
        #expect(fresh.received == [1, 2, 3])
        #expect(replayed.batches[0].events.map(\.sequence) == [3])
    }

    @Test mutating func onePublishOnTwoChannelsReachesAStreamOnBothOnce() {
        let both = subscribe(["a", "b"])
        backlog.append([event(1, "a"), event(1, "b"), event(2, "b")])
        step()
        #expect(both.received == [1, 2])
    }

    @Test mutating func aChannelWithoutSubscribersIsStillDelivered() {
        backlog.append([event(1, "nobody")])
        #expect(step() == 0)
        #expect(delivered == [[1]])
        #expect(backlog.isEmpty)
    }
}
