import Testing
@testable import Fanout

@Suite struct ReauthorizationScheduleTests {
    @Test func theTickIsATenthOfTheIntervalAndNeverMoreThanASecond() {
        #expect(ReauthorizationSchedule<Int>(interval: .seconds(1)).tick == .milliseconds(100))
        #expect(ReauthorizationSchedule<Int>(interval: .seconds(300)).tick == .seconds(1))
    }

    @Test func everyStreamIsCheckedOncePerIntervalInEvenSlices() {
        var schedule = ReauthorizationSchedule<Int>(interval: .seconds(10))  // 10 ticks per interval
        for id in 0..<100 { schedule.add(id) }
        var seen: [Int] = []
        for _ in 0..<10 {
            let due = schedule.due(limit: 1000)
            #expect(due.count == 10, "a tenth of the streams per tick, never a burst")
            seen += due
        }
        #expect(seen == Array(0..<100), "each once, in the order they opened")
        #expect(schedule.due(limit: 1000) == Array(0..<10), "then the next round begins")
    }

    @Test func aLoneStreamIsCheckedOncePerIntervalNotOnEveryTick() {
        var schedule = ReauthorizationSchedule<String>(interval: .seconds(5))  // 10 ticks of 500 ms
        schedule.add("only")
        var checks: [Int] = []
        for tick in 1...150 where !schedule.due(limit: 64).isEmpty { checks.append(tick) }
        #expect(checks == Array(stride(from: 10, through: 150, by: 10)))
    }

    @Test func checksHeldBackByTheLimitComeOnTheNextTicks() {
        var schedule = ReauthorizationSchedule<Int>(interval: .seconds(10))
        for id in 0..<100 { schedule.add(id) }
        #expect(schedule.due(limit: 4) == [0, 1, 2, 3])
        #expect(schedule.due(limit: 100) == Array(4..<20), "what was owed comes with this tick's share")
    }

    @Test func aRemovedStreamIsNeverReturnedAndCostsNoTurn() {
        var schedule = ReauthorizationSchedule<Int>(interval: .seconds(10))
        for id in 0..<20 { schedule.add(id) }
        schedule.remove(0)
        schedule.remove(1)
        #expect(schedule.count == 18)
        var seen: [Int] = []
        for _ in 0..<10 { seen += schedule.due(limit: 100) }
        #expect(seen == Array(2..<20))
    }

    @Test func aStreamAddedLaterWaitsBehindThoseBeforeIt() {
        var schedule = ReauthorizationSchedule<Int>(interval: .seconds(10))
        for id in 0..<10 { schedule.add(id) }
        #expect(schedule.due(limit: 100) == [0])
        schedule.add(99)
        var seen: [Int] = []
        for _ in 0..<10 { seen += schedule.due(limit: 100) }
        // the ten before it come first, then it: checked within one interval of joining
        #expect(seen.prefix(11) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 99])
    }

    @Test func emptyingTheScheduleForgetsWhatWasOwed() {
        var schedule = ReauthorizationSchedule<Int>(interval: .seconds(10))
        schedule.add(1)
        for _ in 0..<9 { _ = schedule.due(limit: 1) }
        schedule.remove(1)
        #expect(schedule.due(limit: 1).isEmpty)
        schedule.add(2)
        #expect(schedule.due(limit: 1).isEmpty, "a new stream waits its interval, it does not inherit a credit")
    }
}
