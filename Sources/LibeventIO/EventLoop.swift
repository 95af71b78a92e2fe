// One libevent event_base, run by exactly one thread.
//
// Everything registered on a loop (listeners, connections, timers) is created, used and freed on the
// loop's own thread. The one way in from another thread is `execute(_:)`: the work is queued under a
// mutex and an eventfd is written, which wakes the loop; the loop then runs the queued work. So the
// event_base needs no lock of its own (EVENT_BASE_FLAG_NOLOCK): with libevent's threading on, every
// event_add, event_del and event_active took and released a mutex, a dozen times per request.

internal import CLibevent
import Glibc
import Locks

/// An event loop: a libevent `event_base` plus the hand-off queue other threads use to reach it.
public final class EventLoop: @unchecked Sendable {
    // @unchecked: only `execute(_:)` is called from other threads; it touches `pending` (a `Locked`)
    // and writes the eventfd.

    let base: OpaquePointer
    /// Written by `execute(_:)` to wake the loop; read (reset) by the loop.
    private let wakeFD: Int32
    private var wakeEvent: OpaquePointer?
    private let pending = Locked<[@Sendable () -> Void]>([])
    /// Activated when a connection first has bytes to write in a turn; it runs after every
    /// callback already active, so each connection is written once per turn.
    private var flushEvent: OpaquePointer?
    /// Connections with bytes queued, in the order they were queued, from `nextToFlush` on; each
    /// holds a +1 on its connection, which its flush takes over (so queueing and flushing count
    /// one retain and one release, and emptying the list none).
    /// Touched on the loop's thread only, and never across a call that could touch them again, so
    /// exclusivity is not checked at run time (the checks cost more than the pass itself).
    @exclusivity(unchecked) private var connectionsToFlush: [Unmanaged<Connection>] = []
    @exclusivity(unchecked) private var nextToFlush = 0
    /// Connections written per slice: between slices the loop runs the callbacks that became
    /// active meanwhile. A fan-out sweep visits as many streams per turn. 256 writes take about
    /// 2 ms here.
    public static let flushSlice = 256
    /// Where a connection whose input is empty reads a small message (`Connection.readable`): its
    /// owner reads it from here during the read callback, and only what is left then is copied
    /// into the connection's input buffer. On the loop's thread only, one read at a time.
    let readScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: ConnectionInput.minReadSize, alignment: 16)
    /// Blocks of `ConnectionOutput.stagingBlockSize` bytes that connections stage a turn's output in
    /// (`ConnectionOutput`), kept for the next turns: at most `maxFreeStagingBlocks` of them
    /// (256 KiB; a turn's connections beyond that allocate and free theirs).
    @exclusivity(unchecked) private var freeStagingBlocks: [UnsafeMutableRawPointer] = []
    static let maxFreeStagingBlocks = 64

    /// Creates a loop with the epoll change list, which batches epoll_ctl calls of one iteration
    /// (measured here: a 10k-subscriber fan-out pass about 5× faster).
    public init() throws(LibeventError) {
        let config = try LibeventError.check(event_config_new(), "event_config_new")
        defer { event_config_free(config) }
        event_config_set_flag(config, Int32(EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST.rawValue | EVENT_BASE_FLAG_NOLOCK.rawValue))
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        try LibeventError.check(fd, "eventfd")
        guard let created = event_base_new_with_config(config) else {
            _ = Glibc.close(fd)
            throw LibeventError(operation: "event_base_new_with_config")
        }
        base = created
        wakeFD = fd
        let arg = Unmanaged.passUnretained(self).toOpaque()
        wakeEvent = event_new(base, fd, Int16(EV_READ | EV_PERSIST), eventLoopWakeCallback, arg)
        flushEvent = event_new(base, -1, 0, eventLoopFlushCallback, arg)
        guard let wakeEvent, flushEvent != nil else {
            throw LibeventError(operation: "event_new")  // deinit frees what was made
        }
        event_add(wakeEvent, nil)
    }

    deinit {
        for connection in connectionsToFlush[nextToFlush...] { connection.release() }
        readScratch.deallocate()
        for block in freeStagingBlocks { block.deallocate() }
        if let flushEvent { event_free(flushEvent) }
        if let wakeEvent { event_free(wakeEvent) }
        event_base_free(base)
        _ = Glibc.close(wakeFD)
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
        if wasEmpty {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, MemoryLayout<UInt64>.size)
        }
    }

    /// A staging block for a connection's output (on the loop's thread).
    func takeStagingBlock() -> UnsafeMutableRawPointer {
        freeStagingBlocks.popLast() ?? UnsafeMutableRawPointer.allocate(byteCount: ConnectionOutput.stagingBlockSize, alignment: 16)
    }

    /// Gives back a block from `takeStagingBlock`, once its bytes are sent or moved.
    func returnStagingBlock(_ block: UnsafeMutableRawPointer) {
        if freeStagingBlocks.count < Self.maxFreeStagingBlocks {
            freeStagingBlocks.append(block)
        } else {
            block.deallocate()
        }
    }

    /// Has `connection` written at the end of this turn (on the loop's thread).
    func deferFlush(_ connection: Connection) {
        connectionsToFlush.append(Unmanaged.passRetained(connection))
        if connectionsToFlush.count - nextToFlush == 1, let flushEvent { event_active(flushEvent, EV_WRITE, 0) }
    }

    /// Fires once the callbacks active before it ran: writes the next slice of queued connections,
    /// and comes back after whatever became active meanwhile while any are left. A connection
    /// queued again after its write goes to the back.
    fileprivate func flushConnections() {
        let end = min(connectionsToFlush.count, nextToFlush + Self.flushSlice)
        while nextToFlush < end {
            let connection = connectionsToFlush[nextToFlush].takeRetainedValue()
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
        var count: UInt64 = 0
        _ = Glibc.read(wakeFD, &count, MemoryLayout<UInt64>.size)
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

/// Fires when `execute(_:)` wrote the wake-up eventfd.
private func eventLoopWakeCallback(_ fd: Int32, _ what: Int16, _ arg: UnsafeMutableRawPointer?) {
    // SAFETY: arg is the loop, which frees this event in deinit, so it outlives every callback.
    Unmanaged<EventLoop>.fromOpaque(arg!).takeUnretainedValue().runPending()
}
