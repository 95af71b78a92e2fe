import Fanout

/// The one way published events reach the loops: each loop's share is queued with
/// `EventLoop.execute`, which wakes that loop; the loop then writes to its own streams.
/// Events arrive at every loop in publish order, several publishes per wake-up when busy.
final class LoopHandOff: Sendable {
    private let workers: [LoopWorker]

    init(workers: [LoopWorker]) {
        self.workers = workers
    }

    func deliver(_ events: [PublishedEvent]) {
        for worker in workers {
            worker.loop.execute { worker.deliver(events) }
        }
    }

    func closeStreams(of channel: String) {
        for worker in workers {
            worker.loop.execute { worker.closeStreams(of: channel) }
        }
    }
}
