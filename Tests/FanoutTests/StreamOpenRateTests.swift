import Testing
@testable import Fanout

@Suite struct StreamOpenRateTests {
    @Test func aBurstUpToTheRatePassesAndTheRestIsRefusedUntilTheBucketRefills() {
        var rate = StreamOpenRate(perSecond: 100)
        let start = ContinuousClock.now
        let admitted = (0..<150).filter { _ in rate.admit(at: start) }.count
        #expect(admitted == 100)
        let early = rate.admit(at: start + .milliseconds(5))
        // 10 ms refill one open at 100 per second.
        let refilled = rate.admit(at: start + .milliseconds(15))
        let again = rate.admit(at: start + .milliseconds(16))
        #expect(!early && refilled && !again)
    }

    @Test func theBucketHoldsAtMostOneSecondOfTheRate() {
        var rate = StreamOpenRate(perSecond: 10)
        let start = ContinuousClock.now
        _ = rate.admit(at: start)
        let later = start + .seconds(60)
        let admitted = (0..<20).filter { _ in rate.admit(at: later) }.count
        #expect(admitted == 10)
    }

    @Test func zeroIsNoLimit() {
        var rate = StreamOpenRate(perSecond: 0)
        let now = ContinuousClock.now
        let admitted = (0..<10_000).filter { _ in rate.admit(at: now) }.count
        #expect(admitted == 10_000)
    }

    @Test func theRetryAfterIsSpreadOverOneToFiveSeconds() {
        let values = Set((0..<500).map { _ in StreamOpenRate.retryAfter() })
        #expect(values == Set(1...5))
    }
}
