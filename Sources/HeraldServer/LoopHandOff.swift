import Fanout
import Locks
import Publishing
import Synchronization

/// The one way published events reach the loops. Each loop has an inbox; a publish appends its
/// events to every inbox and wakes a loop (`EventLoop.execute`) only when its inbox was empty.
/// A loop busy with a long pass finds every publish that arrived meanwhile in its inbox and
/// takes them together, so each stream gets one write for all of them.
final class LoopHandOff: Sendable {
    private final class Inbox: Sendable {
        let worker: LoopWorker
        let events = Locked<[PublishedEvent]>([])

        init(worker: LoopWorker) {
            self.worker = worker
        }

        /// Fires on the worker's loop: hands everything queued so far to the worker.
        func takeAll() {
            let batch = events.withLock { queued in
                defer { queued.removeAll(keepingCapacity: true) }
                return queued
            }
            worker.receive(handedOff: batch)
        }
    }

    private let inboxes: [Inbox]
    /// `limits.max_pending_events` (a reload changes it).
    let maxPending: Atomic<Int>

    init(workers: [LoopWorker], maxPending: Int) {
        inboxes = workers.map(Inbox.init)
        self.maxPending = Atomic(maxPending)
    }

    /// `refusal(adding:)` for `requests`: an event per request and channel.
    func refusal(for requests: [PublishRequest]) -> StoreUnavailable? {
        refusal(adding: requests.reduce(0) { $0 + $1.channels.count })
    }

    /// Why `count` more events cannot be handed off now: a loop has not taken `maxPending` of those
    /// already handed to it. Nil when they can; always when no loop is behind, so a publish of
    /// more events than the bound still goes through an idle server.
    func refusal(adding count: Int) -> StoreUnavailable? {
        let limit = maxPending.load(ordering: .relaxed)
        let behind = inboxes.map { inbox in inbox.events.withLock { $0.count } }.max() ?? 0
        guard behind > 0, behind + count > limit else { return nil }
        return StoreUnavailable(reason: "the event loops are \(behind) events behind (limits.max_pending_events = \(limit))",
                                retryAfterSeconds: 1)
    }

    /// Queues `events` (in publish order) for every loop. Called on the publish loop.
    func handOff(_ events: [PublishedEvent]) {
        for inbox in inboxes {
            let wasEmpty = inbox.events.withLock { queued in
                defer { queued += events }
                return queued.isEmpty
            }
            if wasEmpty { inbox.worker.loop.execute { inbox.takeAll() } }
        }
    }

    func closeStreams(of channel: String) {
        for inbox in inboxes {
            let worker = inbox.worker
            worker.loop.execute { worker.closeStreams(of: channel) }
        }
    }
}
