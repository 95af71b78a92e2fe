// One libevent event_base, run by exactly one thread.
//
// Everything registered on a loop (listeners, connections, timers) is created, used and freed on the
// loop's own thread. The one way in from another thread is `execute(_:)`: the work is queued under a
// mutex and a user event is activated, which wakes the loop; the loop then runs the queued work.

internal import CLibevent
import Synchronization

/// Thread-safe libevent locking must be turned on once, before the first event_base exists,
/// so that `event_active` from another thread wakes a loop.
private let threadingEnabled: Bool = evthread_use_pthreads() == 0

/// An event loop: a libevent `event_base` plus the hand-off queue other threads use to reach it.
public final class EventLoop: @unchecked Sendable {
    // @unchecked: only `execute(_:)` is called from other threads; it touches `pending` (a Mutex)
    // and `event_active`, which libevent makes thread-safe once threading is enabled.

    let base: OpaquePointer
    private var wakeEvent: OpaquePointer?
    private let pending = Mutex<[@Sendable () -> Void]>([])
    /// Activated when a connection first has bytes to write in a turn; it runs after every
    /// callback already active, so each connection is written once per turn.
    private var flushEvent: OpaquePointer?
    /// Connections with bytes queued, in the order they were queued, from `nextToFlush` on
    /// (touched on the loop's thread only).
    private var connectionsToFlush: [Connection] = []
    private var nextToFlush = 0
    /// Connections written per flush callback. Between slices the loop runs whatever else became
    /// active (a hand-off bringing new events), so with thousands of streams to write, events that
    /// arrive during a pass join it for every stream not yet written, instead of waiting for the
    /// whole pass to end and then for a pass of their own. 256 writes take about 2 ms here.
    static let flushSlice = 256

    /// Creates a loop with the epoll change list, which batches epoll_ctl calls of one iteration
    /// (measured here: a 10k-subscriber fan-out pass about 5× faster).
    public init() throws(LibeventError) {
        guard threadingEnabled else { throw LibeventError(operation: "evthread_use_pthreads", code: 0) }
        let config = try LibeventError.check(event_config_new(), "event_config_new")
        defer { event_config_free(config) }
        event_config_set_flag(config, Int32(EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST.rawValue))
        base = try LibeventError.check(event_base_new_with_config(config), "event_base_new_with_config")
        let arg = Unmanaged.passUnretained(self).toOpaque()
        wakeEvent = event_new(base, -1, Int16(EV_PERSIST), eventLoopWakeCallback, arg)
        if wakeEvent == nil { event_base_free(base); throw LibeventError(operation: "event_new (wake-up)") }
        flushEvent = event_new(base, -1, 0, eventLoopFlushCallback, arg)
        if flushEvent == nil {
            event_free(wakeEvent)
            event_base_free(base)
            throw LibeventError(operation: "event_new (flush)")
        }
    }

    deinit {
        if let flushEvent { event_free(flushEvent) }
        if let wakeEvent { event_free(wakeEvent) }
        event_base_free(base)
    }

    /// Runs the loop on the calling thread until `stop()`.
    public func run() {
        event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY)
    }

    /// Makes `run()` return after the current callback; call on the loop's thread.
    public func stop() {
        event_base_loopbreak(base)
    }

    /// Runs `work` on this loop's thread, soon. Safe to call from any thread.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        let wasEmpty = pending.withLock { queue in
            queue.append(work)
            return queue.count == 1
        }
        if wasEmpty, let wakeEvent { event_active(wakeEvent, EV_READ, 0) }
    }

    /// Has `connection` written at the end of this turn (on the loop's thread).
    func deferFlush(_ connection: Connection) {
        connectionsToFlush.append(connection)
        if connectionsToFlush.count - nextToFlush == 1, let flushEvent { event_active(flushEvent, EV_WRITE, 0) }
    }

    /// Fires once the callbacks active before it ran: writes the next slice of queued connections,
    /// and comes back after whatever became active meanwhile while any are left. A connection
    /// queued again after its write goes to the back.
    fileprivate func flushConnections() {
        let end = min(connectionsToFlush.count, nextToFlush + Self.flushSlice)
        while nextToFlush < end {
            let connection = connectionsToFlush[nextToFlush]
            nextToFlush += 1
            connection.flush()
        }
        if nextToFlush == connectionsToFlush.count {
            connectionsToFlush.removeAll(keepingCapacity: true)
            nextToFlush = 0
        } else {
            // Long queues shed their written front now and then, so memory follows the backlog.
            if nextToFlush >= 4096 {
                connectionsToFlush.removeFirst(nextToFlush)
                nextToFlush = 0
            }
            if let flushEvent { event_active(flushEvent, EV_WRITE, 0) }
        }
    }

    /// Fires on the loop's thread after another thread queued work.
    fileprivate func runPending() {
        let work = pending.withLock { queue in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        for item in work { item() }
    }
}

// MARK: - C callbacks

/// Fires at the end of a turn in which a connection queued bytes.
private func eventLoopFlushCallback(_ fd: Int32, _ what: Int16, _ arg: UnsafeMutableRawPointer?) {
    // SAFETY: arg is the loop, which frees this event in deinit, so it outlives every callback.
    Unmanaged<EventLoop>.fromOpaque(arg!).takeUnretainedValue().flushConnections()
}

/// Fires when `execute(_:)` activated the wake-up event.
private func eventLoopWakeCallback(_ fd: Int32, _ what: Int16, _ arg: UnsafeMutableRawPointer?) {
    // SAFETY: arg is the loop, which frees this event in deinit, so it outlives every callback.
    Unmanaged<EventLoop>.fromOpaque(arg!).takeUnretainedValue().runPending()
}
