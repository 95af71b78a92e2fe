/// A timeout that is moved far more often than it fires: a connection's idle timeout, pushed back
/// by every request, or a response timeout that nearly every response beats.
///
/// Arming it only writes down a deadline; the loop's timer is moved only when the new deadline
/// comes before the one it is armed for. When the loop's timer fires early (the deadline was
/// pushed back since), it is armed again for the rest; when it fires after a disarm, nothing runs.
/// So a request costs two clock reads instead of adding and removing two events in libevent's
/// timer heap, and the handler still runs at its deadline, never before.
///
/// The clock is the kernel's coarse monotonic one (libevent's own): reading it costs a fraction of
/// the precise one, and a deadline set from it adds its resolution (a few milliseconds), so a
/// reading that lags behind the true time can only make the handler late by that much, not early.
public final class DeadlineTimer {
    private var timer: LoopTimer!
    /// Runs on the loop's thread when an armed deadline passes (set after init by an owner that
    /// holds the timer in a constant and whose handler captures the owner).
    public var handler: () -> Void
    /// When the handler is due, in `MonotonicClock` nanoseconds; nil when disarmed.
    private var deadline: UInt64?
    /// When the loop's timer fires; nil when it is not armed.
    private var armedFor: UInt64?
    /// The last delay armed, in nanoseconds (the same few delays come back every request).
    private var lastDelay: Duration = .zero
    private var lastDelayNanoseconds: UInt64 = 0

    /// `handler` runs on the loop's thread when an armed deadline passes.
    public init(loop: EventLoop, _ handler: @escaping () -> Void = {}) {
        self.handler = handler
        timer = LoopTimer(loop: loop) { [unowned self] in self.loopTimerFired() }
    }

    /// The handler runs `delay` from now, unless the timer is armed again or disarmed before.
    public func arm(after delay: Duration) {
        if delay != lastDelay {
            lastDelay = delay
            lastDelayNanoseconds = MonotonicClock.nanoseconds(delay) + MonotonicClock.coarseResolution
        }
        let due = MonotonicClock.coarseNanoseconds() + lastDelayNanoseconds
        deadline = due
        if let armedFor, armedFor <= due { return }
        armedFor = due
        timer.schedule(after: .nanoseconds(lastDelayNanoseconds))
    }

    /// The handler does not run until the timer is armed again.
    public func disarm() {
        deadline = nil
    }

    private func loopTimerFired() {
        armedFor = nil
        guard let deadline else { return }
        let now = MonotonicClock.coarseNanoseconds()
        if deadline > now {
            armedFor = deadline
            timer.schedule(after: .nanoseconds(deadline - now))
            return
        }
        self.deadline = nil
        handler()
    }
}
