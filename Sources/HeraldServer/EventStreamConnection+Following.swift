// Redis mode: a stream starts only once the cluster engine follows every one of its channels,
// so its replay is planned from a mirror that holds what Redis holds. Until then it is registered
// (heartbeats flow) and skips live events; a stream opened while Redis is unreachable waits so,
// and is never refused. Without Redis it starts at once.

import LibeventIO

extension EventStreamConnection {
    /// Registers the stream (heartbeats flow from now on) and runs `begin` (which plans the
    /// replay) once the engine follows every channel of the stream: at once without Redis or
    /// when they are followed already, else when Redis has given them (a stream opened while
    /// Redis is unreachable waits, heartbeating, and is never refused: EventSource gives up on
    /// an error status). Live events are skipped until then (`coveredThrough` .max).
    func whenFollowed(_ begin: @escaping () -> Void) {
        worker.register(self)
        registered = true
        coveredThrough = .max
        guard let interest = worker.interest else { return begin() }
        following = true
        let resume = UncheckedStream(self, begin)
        let (ready, waiter) = interest.retain(channels, loop: worker.loop) { resume.run() }
        if ready { return begin() }
        followWaiter = waiter
    }

    /// The wait is over: `begin` runs unless the stream closed meanwhile.
    func followed(_ begin: () -> Void) {
        guard followWaiter != nil, !downstream.isClosed else { return }
        followWaiter = nil
        begin()
    }

    /// The stream closed: it no longer counts in `ChannelInterest`, nor waits.
    func stopFollowing() {
        guard following else { return }
        following = false
        worker.interest?.release(channels, waiter: followWaiter)
        followWaiter = nil
    }
}

/// Carries a waiting stream to its loop's thread, where alone it is touched (`EventLoop.execute`
/// runs the resume there).
private final class UncheckedStream: @unchecked Sendable {
    private let stream: EventStreamConnection
    private let begin: () -> Void

    init(_ stream: EventStreamConnection, _ begin: @escaping () -> Void) {
        self.stream = stream
        self.begin = begin
    }

    func run() {
        stream.followed(begin)
    }
}
