import LibeventIO

/// Runs `loop` until something stops it or `limit` passes; false when the limit ended it, so no
/// test can hang the suite.
func run(_ loop: EventLoop, limit: Duration = .seconds(10)) -> Bool {
    var timedOut = false
    let timer = LoopTimer(loop: loop) {
        timedOut = true
        loop.stop()
    }
    timer.schedule(after: limit)
    loop.run()
    timer.cancel()
    return !timedOut
}

/// Runs `work` on `loop` after `delay`, unless the timer returned is freed before.
func after(_ delay: Duration, on loop: EventLoop, _ work: @escaping () -> Void) -> LoopTimer {
    let timer = LoopTimer(loop: loop, work)
    timer.schedule(after: delay)
    return timer
}
