import Foundation
import Locks
import Testing

@Suite struct LockedTests {
    @Test func incrementsFromSeveralThreadsAreNeverLost() {
        let counter = Locked(0)
        let threads = 4
        let increments = 20_000
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<threads {
            Thread {
                for _ in 0..<increments { counter.withLock { $0 += 1 } }
                done.signal()
            }.start()
        }
        for _ in 0..<threads { done.wait() }
        #expect(counter.withLock { $0 } == threads * increments)
    }

    @Test func withLockReturnsTheBodysResultAndRethrowsItsError() {
        struct Refused: Error {}
        let queue = Locked([1, 2])
        #expect(queue.withLock { $0.removeFirst() } == 1)
        #expect(throws: Refused.self) { try queue.withLock { (_: inout [Int]) throws(Refused) in throw Refused() } }
        #expect(queue.withLock { $0 } == [2])
    }
}
