internal import CLibevent

/// A one-shot (or repeating) timer on a loop. Freed with its owner: deinit removes the event,
/// so the callback never fires after the owner is gone.
public final class LoopTimer {
    private var event: OpaquePointer?
    /// Held so that the loop's event_base outlives the event: event_free reads the base.
    private let loop: EventLoop
    private let handler: () -> Void
    private var lastDelay: Duration = .zero
    private var lastTime = timeval()

    /// `handler` runs on the loop's thread each time the timer fires.
    public init(loop: EventLoop, repeating: Bool = false, _ handler: @escaping () -> Void) {
        self.handler = handler
        self.loop = loop
        let flags = repeating ? Int16(EV_PERSIST) : 0
        event = event_new(loop.base, -1, flags, timerCallback, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        if let event { event_free(event) }
    }

    /// Arms the timer to fire after `delay` (re-arming replaces an earlier deadline).
    public func schedule(after delay: Duration) {
        guard let event else { return }
        // Timers are re-armed with the same few delays (one per request): convert once.
        if delay != lastDelay {
            lastDelay = delay
            lastTime = timeval(delay)
        }
        // A copy (libevent keeps its own): passing the property itself is an access checked at run time.
        var time = lastTime
        event_add(event, &time)
    }

    /// Disarms the timer.
    public func cancel() {
        guard let event else { return }
        event_del(event)
    }

    /// True while armed.
    public var isScheduled: Bool {
        guard let event else { return false }
        return event_pending(event, Int16(EV_TIMEOUT), nil) != 0
    }

    fileprivate func fire() { handler() }
}

extension timeval {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}

// MARK: - C callbacks

/// Fires when a timer's deadline passes.
private func timerCallback(_ fd: Int32, _ what: Int16, _ arg: UnsafeMutableRawPointer?) {
    // SAFETY: the timer frees its event in deinit, so while the event exists the timer does.
    Unmanaged<LoopTimer>.fromOpaque(arg!).takeUnretainedValue().fire()
}
