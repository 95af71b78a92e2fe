import Testing
@testable import Fanout

@Suite struct SlowSubscriberBoundTests {
    @Test func aStreamIsCutOnlyPastTheBound() {
        let bound = SlowSubscriberBound(maxBytes: 4096)
        #expect(!bound.isExceeded(by: 4096))
        #expect(bound.isExceeded(by: 4097))
    }

    @Test func eachUnsentReferenceCountsAKibibyte() {
        let bound = SlowSubscriberBound(maxBytes: 4096)
        #expect(bound.unsent(bytes: 10, references: 0) == 10)
        #expect(bound.unsent(bytes: 10, references: 3) == 10 + 3 * 1024)
        // Five tiny events behind: 5 KiB as the bound counts them, past 4 KiB.
        #expect(bound.isExceeded(by: bound.unsent(bytes: 5, references: 5)))
    }

    @Test func theRoomIsWhatTheBoundLeaves() {
        let bound = SlowSubscriberBound(maxBytes: 4096)
        #expect(bound.room(beside: 1000) == 3096)
        #expect(bound.room(beside: 5000) <= 0)
    }
}
