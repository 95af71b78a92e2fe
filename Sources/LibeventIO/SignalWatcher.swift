internal import CLibevent
import Glibc

/// Delivers a POSIX signal as an ordinary callback on a loop's thread (libevent's signal events),
/// so signal handling never runs in async-signal context.
public final class SignalWatcher {
    private var event: OpaquePointer?
    private let handler: () -> Void
    /// Held so that the loop's event_base outlives the event: event_free reads the base.
    private let loop: EventLoop

    public init(loop: EventLoop, signal: Int32, _ handler: @escaping () -> Void) throws(LibeventError) {
        self.handler = handler
        self.loop = loop
        let arg = Unmanaged.passUnretained(self).toOpaque()
        event = try LibeventError.check(
            event_new(loop.base, signal, Int16(EV_SIGNAL | EV_PERSIST), signalCallback, arg), "event_new (signal)")
        try LibeventError.check(event_add(event, nil), "event_add (signal)")
    }

    deinit {
        if let event { event_free(event) }
    }

    /// Ignores SIGPIPE process-wide: a peer that goes away must surface as a write error, not kill Herald.
    public static func ignoreBrokenPipe() {
        signal(SIGPIPE, SIG_IGN)
    }

    fileprivate func fire() { handler() }
}

// MARK: - C callbacks

/// Fires on the loop's thread after the signal arrived.
private func signalCallback(_ fd: Int32, _ what: Int16, _ arg: UnsafeMutableRawPointer?) {
    // SAFETY: the watcher frees its event in deinit, so while the event exists the watcher does.
    Unmanaged<SignalWatcher>.fromOpaque(arg!).takeUnretainedValue().fire()
}
