// DeadlineTimer on a real loop: moved far more often than it fires, it must still run its handler
// once per deadline, never before the last deadline armed, and never after a disarm.

import LibeventIO
import Testing

@Suite(.serialized) struct DeadlineTimerTests {
    /// Armed again before it fires (the deadline pushed back): the handler runs once, no sooner
    /// than the new delay after the re-arm.
    @Test func aPushedBackDeadlineRunsOnceAndNotBeforeIt() throws {
        let loop = try EventLoop()
        var fired: [ContinuousClock.Instant] = []
        let timer = DeadlineTimer(loop: loop)
        timer.handler = { fired.append(.now) }
        timer.arm(after: .milliseconds(40))
        var rearmedAt = ContinuousClock.now
        let push = LoopTimer(loop: loop) {
            rearmedAt = .now
            timer.arm(after: .milliseconds(60))
        }
        push.schedule(after: .milliseconds(20))
        // Well past the pushed-back deadline: a second run would show by then.
        let stop = LoopTimer(loop: loop) { loop.stop() }
        stop.schedule(after: .milliseconds(400))

        #expect(run(loop))
        #expect(fired.count == 1)
        if let first = fired.first { #expect(first - rearmedAt >= .milliseconds(60)) }
    }

    /// Disarmed before its deadline: the handler never runs.
    @Test func aDisarmedTimerDoesNotRun() throws {
        let loop = try EventLoop()
        var fired = 0
        let timer = DeadlineTimer(loop: loop) { fired += 1 }
        timer.arm(after: .milliseconds(20))
        timer.disarm()
        let stop = LoopTimer(loop: loop) { loop.stop() }
        stop.schedule(after: .milliseconds(200))

        #expect(run(loop))
        #expect(fired == 0)
    }

    /// Armed for later, then for sooner: the loop's timer moves forward, so the handler runs at
    /// the sooner deadline (within the run's limit, far before the later one); armed again after
    /// it ran, it runs again.
    @Test func aSoonerDeadlineMovesTheTimerForwardAndItRunsAgainWhenReArmed() throws {
        let loop = try EventLoop()
        var fired = 0
        let timer = DeadlineTimer(loop: loop)
        timer.handler = { [unowned timer] in
            fired += 1
            if fired == 1 { timer.arm(after: .milliseconds(10)) } else { loop.stop() }
        }
        timer.arm(after: .seconds(60))
        timer.arm(after: .milliseconds(20))

        #expect(run(loop, limit: .seconds(5)), "the sooner deadline did not run before the run's limit")
        #expect(fired == 2)
    }
}
