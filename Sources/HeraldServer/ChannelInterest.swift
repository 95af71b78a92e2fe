import LibeventIO
import Locks

/// Which channels this instance's streams are on, across every loop, and which of them the
/// cluster engine follows (Redis mode): a stream starts once all its channels are followed, so it
/// never misses what Redis holds for them.
///
/// A stream `retain`s its channels when it opens and `release`s them when it ends. The first
/// stream on a channel asks the engine to follow it, the last one lets it go (the engine's
/// `attach`ed sink hears both and hops to its loop). The engine reports each channel it follows
/// from Redis, or stops following (a lost connection), with `setFollowed`; a stream waiting on a
/// channel is resumed on its own loop once every channel it needs is followed.
final class ChannelInterest: Sendable {
    private struct Waiter {
        let channels: [String]
        let loop: EventLoop
        let resume: @Sendable () -> Void
    }

    private struct State {
        /// Where wants and unwants go; until the engine attaches, they are only counted.
        var sink: (@Sendable (_ channels: [String], _ wanted: Bool) -> Void)?
        var streams: [String: Int] = [:]
        var followed: Set<String> = []
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
    }

    private let state = Locked(State())

    init() {}

    /// The engine starts listening: from now on `sink` hears each channel wanted (first stream)
    /// or no longer wanted (last stream gone), on the caller's thread (it hops to its loop).
    /// Returns the channels wanted already, counted before the engine was there.
    func attach(_ sink: @escaping @Sendable (_ channels: [String], _ wanted: Bool) -> Void) -> [String] {
        state.withLock { state in
            state.sink = sink
            return Array(state.streams.keys)
        }
    }

    /// Counts a stream on `channels`. Returns true when every one is followed already (start
    /// now); otherwise `resume` runs on `loop` once they are, unless `cancel` came first.
    func retain(_ channels: [String], loop: EventLoop, resume: @escaping @Sendable () -> Void) -> (ready: Bool, waiter: Int?) {
        let (ready, waiter, wanted, sink) = state.withLock { state in
            var wanted: [String] = []
            for channel in channels {
                state.streams[channel, default: 0] += 1
                if state.streams[channel] == 1 { wanted.append(channel) }
            }
            if channels.allSatisfy(state.followed.contains) { return (true, Int?.none, wanted, state.sink) }
            state.nextWaiter += 1
            state.waiters[state.nextWaiter] = Waiter(channels: channels, loop: loop, resume: resume)
            return (false, state.nextWaiter, wanted, state.sink)
        }
        if !wanted.isEmpty { sink?(wanted, true) }
        return (ready, waiter)
    }

    /// Un-counts a stream retained with the same channels; `waiter` is its pending wait, if any.
    func release(_ channels: [String], waiter: Int?) {
        let (unwanted, sink) = state.withLock { state in
            if let waiter { state.waiters[waiter] = nil }
            var unwanted: [String] = []
            for channel in channels {
                let left = state.streams[channel, default: 1] - 1
                state.streams[channel] = left > 0 ? left : nil
                if left <= 0 {
                    // No longer followed from this moment: the engine stops following it, and the
                    // next stream must wait until it has caught up again.
                    state.followed.remove(channel)
                    unwanted.append(channel)
                }
            }
            return (unwanted, state.sink)
        }
        if !unwanted.isEmpty { sink?(unwanted, false) }
    }

    /// The engine follows `channel` from now on (true), or no longer (false: its connection was
    /// lost); waiting streams whose channels are all followed resume.
    func setFollowed(_ channel: String, _ followed: Bool) {
        let ready = state.withLock { state -> [Waiter] in
            guard followed else {
                state.followed.remove(channel)
                return []
            }
            // A channel no stream wants any more stays unfollowed (a late word from the engine).
            guard state.streams[channel] != nil else { return [] }
            state.followed.insert(channel)
            let ready = state.waiters.filter { $0.value.channels.allSatisfy(state.followed.contains) }
            for key in ready.keys { state.waiters[key] = nil }
            return Array(ready.values)
        }
        for waiter in ready { waiter.loop.execute(waiter.resume) }
    }

    /// True when every channel in `channels` is followed.
    func isFollowed(_ channels: [String]) -> Bool {
        state.withLock { state in channels.allSatisfy(state.followed.contains) }
    }
}
