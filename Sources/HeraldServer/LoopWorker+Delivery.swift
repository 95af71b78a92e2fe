import Fanout
import LibeventIO

// Delivery on one loop: handed-off events join the backlog, and a sweep delivers them to the
// loop's streams a slice at a time (the words: README.md, "Architecture").

extension LoopWorker {
    /// Fires on this loop when the hand-off brings published events. They join the backlog; a
    /// sweep not already under way starts at once.
    func receive(handedOff events: [PublishedEvent]) {
        backlog.append(events)
        if !sliceTimer.isScheduled { deliverSlice() }
    }

    /// Delivers the backlog to the next `EventLoop.flushSlice` streams (their writes follow at the
    /// end of this turn), then lets the loop run (read publishes, answer requests) before the next
    /// slice: a zero-delay timer fires only after the loop has polled its sockets again. Every
    /// stream gets what is for it in publish order, as shared bytes.
    func deliverSlice(all: Bool = false) {
        var visited = 0
        var delivered = 0
        sweep: while all || visited < EventLoop.flushSlice {
            switch backlog.next(in: streams) {
            case .visit(let stream):
                backlog.prefetchUpcoming()
                guard stream.takesEvents else { continue }
                visited += 1
                delivered += backlog.deliverDue(to: stream)
            case .delivered(let events):
                recordPublishToWrite(of: events)
            case .idle:
                break sweep
            }
        }
        if delivered > 0 { metrics.eventsDelivered.increment(by: delivered) }
        if !backlog.isEmpty && !all { sliceTimer.schedule(after: .zero) }
    }

    /// The publish-to-write latency of events that have reached every stream of this loop.
    private func recordPublishToWrite(of events: ArraySlice<PublishedEvent>) {
        let now = ContinuousClock.now
        for event in events {
            let (seconds, attoseconds) = (now - event.publishedAt).components
            metrics.publishToWrite.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        }
    }

    /// Delivers the whole backlog now (before streams are ended on purpose, so none misses an
    /// event published before).
    func deliverBacklog() {
        sliceTimer.cancel()
        deliverSlice(all: true)
    }
}
