import Fanout
import LibeventIO

// What the sweep does at each stream it visits, kept out of `LoopWorker.deliverSlice` so that the
// sweep reads as the design: visit a stream, deliver what is due to it, count what reached every
// stream. Same module as the sweep, so all of it is inlined there.

extension DeliveryBacklog where Stream == EventStreamConnection {
    /// Delivers to `stream` (the one `.visit` just named) the backlog's events it has not had, and
    /// returns how many it took. A stream on the sweep's channel alone takes that channel's shared
    /// batch; a stream on several channels takes the events one by one, so that its order across
    /// channels is the publish order and an event published to two of them comes once.
    @inline(__always)
    mutating func deliverDue(to stream: EventStreamConnection) -> Int {
        if !stream.isMultiChannel {
            guard let batch = batch(after: stream.coveredThrough) else { return 0 }
            return stream.deliver(batch)
        }
        var delivered = 0
        for event in events(after: stream.coveredThrough)
        where stream.channels.contains(event.channel) && stream.deliver(event) {
            delivered += 1
        }
        return delivered
    }

    /// Cache hints for the streams visited next: the next one's connection (that stream itself was
    /// hinted one visit ago) and the one after. Why: BENCHMARKS.md, "Why the hot paths look as
    /// they do".
    @inline(__always)
    mutating func prefetchUpcoming() {
        withUpcoming(1) { $0.prefetchConnection() }
        withUpcoming(2) { prefetch($0) }
    }
}
