// A loop's events must be freed before its event_base: event_free reads the base. An owner whose
// last reference to the loop went first (a LoopWorker's UpstreamPool did, at shutdown) had its
// timers free their events into a freed base, which valgrind's memcheck caught (scripts/leak-check).

import Glibc
import LibeventIO
import Testing

@Suite struct LoopLifetimeTests {
    /// A timer keeps its loop alive until the timer is gone.
    @Test func aTimerHoldsItsLoopUntilItIsFreed() throws {
        var loop: EventLoop? = try EventLoop()
        weak let weakLoop = loop
        do {
            let timer = LoopTimer(loop: loop!) {}
            timer.schedule(after: .seconds(60))
            loop = nil
            #expect(weakLoop != nil)
            withExtendedLifetime(timer) {}
        }
        #expect(weakLoop == nil)
    }

    /// So does a signal watcher.
    @Test func aSignalWatcherHoldsItsLoopUntilItIsFreed() throws {
        var loop: EventLoop? = try EventLoop()
        weak let weakLoop = loop
        do {
            let watcher = try SignalWatcher(loop: loop!, signal: SIGUSR2) {}
            loop = nil
            #expect(weakLoop != nil)
            withExtendedLifetime(watcher) {}
        }
        #expect(weakLoop == nil)
    }
}
