import LibeventIO

/// Runs `loop` until something stops it or `limit` passes; false when the limit ended it, so no
/// socket test can hang the suite.
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
