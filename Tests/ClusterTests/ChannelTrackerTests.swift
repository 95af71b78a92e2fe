import EventStream
import Testing
@testable import Cluster

/// The tracker's rules, driven by hand: no Redis, no sockets.
@Suite struct ChannelTrackerTests {
    private func event(_ g: UInt64, after previous: UInt64, epoch: String = "e1") -> ClusterEvent {
        ClusterEvent(g: g, previous: previous, epoch: epoch, time: 0, id: "\(epoch)-\(g)",
                     content: .event(ServerSentEvent(id: "", data: "\(g)")))
    }

    /// A tracker following `channel` live with the mirror at `lastG` (epoch e1), after the first
    /// read's token 1.
    private func live(_ channel: String = "c", lastG: UInt64 = 5) -> ChannelTracker {
        var tracker = ChannelTracker(readCount: 100)
        _ = tracker.connected()
        _ = tracker.want(channel)
        _ = tracker.subscribed(channel)
        _ = tracker.loaded(channel, token: 1, epoch: "e1", lastG: lastG, events: [])
        return tracker
    }

    @Test func theFirstWantSubscribesAndTheReadWaitsForTheConfirmation() {
        var tracker = ChannelTracker(readCount: 100)
        _ = tracker.connected()
        #expect(tracker.want("c") == [.subscribe("c")])
        #expect(tracker.want("c") == [])
        #expect(tracker.subscribed("c") == [.read("c", after: 0, token: 1)])
    }

    @Test func aLoadRecordsTheHistoryThenTheChannelIsReady() {
        var tracker = ChannelTracker(readCount: 100)
        _ = tracker.connected()
        _ = tracker.want("c")
        _ = tracker.subscribed("c")
        let history = [event(3, after: 0), event(7, after: 3)]
        #expect(tracker.loaded("c", token: 1, epoch: "e1", lastG: 7, events: history)
            == [.record("c", history), .ready("c")])
        #expect(tracker.message("c", event(9, after: 7)) == [.record("c", [event(9, after: 7)])])
    }

    @Test func announcementsDuringTheLoadAreHeldThenRecordedWithoutWhatTheReadHad() {
        var tracker = ChannelTracker(readCount: 100)
        _ = tracker.connected()
        _ = tracker.want("c")
        _ = tracker.subscribed("c")
        #expect(tracker.message("c", event(7, after: 3)) == [])
        #expect(tracker.message("c", event(8, after: 7)) == [])
        let actions = tracker.loaded("c", token: 1, epoch: "e1", lastG: 7, events: [event(3, after: 0), event(7, after: 3)])
        #expect(actions == [.record("c", [event(3, after: 0), event(7, after: 3)]), .record("c", [event(8, after: 7)]), .ready("c")])
    }

    @Test func anAnnouncementAlreadyRecordedIsDropped() {
        var tracker = live(lastG: 5)
        #expect(tracker.message("c", event(5, after: 2)) == [])
        #expect(tracker.message("c", event(4, after: 2)) == [])
    }

    @Test func aGapIsFilledFromTheStreamBeforeAnythingLater() {
        var tracker = live(lastG: 5)
        #expect(tracker.message("c", event(9, after: 8)) == [.read("c", after: 5, token: 2)])
        #expect(tracker.message("c", event(10, after: 9)) == [])
        let missing = [event(8, after: 5), event(9, after: 8)]
        #expect(tracker.loaded("c", token: 2, epoch: "e1", lastG: 9, events: missing)
            == [.record("c", missing), .record("c", [event(10, after: 9)])])
    }

    @Test func anAnswerToAnOlderReadIsIgnored() {
        var tracker = live(lastG: 5)
        _ = tracker.message("c", event(9, after: 8))
        #expect(tracker.loaded("c", token: 1, epoch: "e1", lastG: 9, events: [event(8, after: 5)]) == [])
    }

    @Test func aNewEpochClearsTheMirrorAndReadsTheNewHistoryWhole() {
        var tracker = live(lastG: 5)
        #expect(tracker.message("c", event(2, after: 1, epoch: "e2")) == [.read("c", after: 5, token: 2)])
        #expect(tracker.loaded("c", token: 2, epoch: "e2", lastG: 2, events: []) == [.clearMirror("c"), .read("c", after: 0, token: 3)])
        let fresh = [event(1, after: 0, epoch: "e2"), event(2, after: 1, epoch: "e2")]
        #expect(tracker.loaded("c", token: 3, epoch: "e2", lastG: 2, events: fresh) == [.record("c", fresh)])
        #expect(tracker.message("c", event(3, after: 2, epoch: "e2")) == [.record("c", [event(3, after: 2, epoch: "e2")])])
    }

    @Test func aLateAnnouncementOfAnOldEpochCostsOneReadAndRecordsNothingTwice() {
        var tracker = ChannelTracker(readCount: 100)
        _ = tracker.connected()
        _ = tracker.want("c")
        _ = tracker.subscribed("c")
        let current = [event(1, after: 0, epoch: "e2")]
        _ = tracker.loaded("c", token: 1, epoch: "e2", lastG: 1, events: current)
        // An announcement of the epoch before, processed after the read that saw e2.
        #expect(tracker.message("c", event(40, after: 39, epoch: "e1")) == [.read("c", after: 1, token: 2)])
        #expect(tracker.loaded("c", token: 2, epoch: "e2", lastG: 1, events: []) == [])
        #expect(tracker.message("c", event(2, after: 1, epoch: "e2")) == [.record("c", [event(2, after: 1, epoch: "e2")])])
    }

    @Test func aChannelRedisHeldNothingOfStartsItsChainWithTheFirstAnnouncement() {
        var tracker = ChannelTracker(readCount: 100)
        _ = tracker.connected()
        _ = tracker.want("c")
        _ = tracker.subscribed("c")
        #expect(tracker.loaded("c", token: 1, epoch: nil, lastG: 0, events: []) == [.ready("c")])
        #expect(tracker.message("c", event(4, after: 0)) == [.record("c", [event(4, after: 0)])])
        #expect(tracker.message("c", event(6, after: 4)) == [.record("c", [event(6, after: 4)])])
    }

    @Test func unwantedUnsubscribesAndWantingAgainCatchesUpFromTheKeptMirror() {
        var tracker = live(lastG: 5)
        #expect(tracker.unwanted("c") == [.unsubscribe("c")])
        #expect(tracker.message("c", event(6, after: 5)) == [])
        #expect(tracker.want("c") == [.subscribe("c")])
        #expect(tracker.subscribed("c") == [.read("c", after: 5, token: 2)])
        #expect(tracker.loaded("c", token: 2, epoch: "e1", lastG: 6, events: [event(6, after: 5)])
            == [.record("c", [event(6, after: 5)]), .ready("c")])
    }

    @Test func aKeptMirrorOfAnotherEpochIsClearedWhenCaughtUp() {
        var tracker = live(lastG: 5)
        _ = tracker.unwanted("c")
        _ = tracker.want("c")
        _ = tracker.subscribed("c")
        #expect(tracker.loaded("c", token: 2, epoch: "e2", lastG: 1, events: [event(1, after: 0, epoch: "e2")])
            == [.clearMirror("c"), .read("c", after: 0, token: 3)])
    }

    @Test func theReadWaitsForEverySubscribeSentWhenWantedAgainQuickly() {
        var tracker = ChannelTracker(readCount: 100)
        _ = tracker.connected()
        _ = tracker.want("c")
        #expect(tracker.unwanted("c") == [.unsubscribe("c")])
        #expect(tracker.want("c") == [.subscribe("c")])
        // The first SUBSCRIBE's confirmation comes before the UNSUBSCRIBE takes effect: only the
        // second one's may start the read.
        #expect(tracker.subscribed("c") == [])
        #expect(tracker.subscribed("c") == [.read("c", after: 0, token: 1)])
    }

    @Test func disconnectingMakesEveryReadyChannelUnreadyAndConnectingCatchesEachUp() {
        var tracker = live("a", lastG: 5)
        _ = tracker.want("b")
        _ = tracker.subscribed("b")
        _ = tracker.loaded("b", token: 2, epoch: "e1", lastG: 3, events: [])
        #expect(tracker.disconnected() == [.unready("a"), .unready("b")])
        #expect(tracker.want("c") == [])
        #expect(tracker.connected() == [.subscribe("a"), .subscribe("b"), .subscribe("c")])
        #expect(tracker.subscribed("a") == [.read("a", after: 5, token: 3)])
        #expect(tracker.subscribed("c") == [.read("c", after: 0, token: 4)])
    }

    @Test func entriesTrimmedBeforeTheyCouldBeReadAreReportedLost() {
        var tracker = live(lastG: 5)
        _ = tracker.disconnected()
        _ = tracker.connected()
        _ = tracker.subscribed("c")
        let left = [event(9, after: 8)]
        #expect(tracker.loaded("c", token: 2, epoch: "e1", lastG: 9, events: left) == [.lost("c"), .record("c", left), .ready("c")])
    }

    @Test func aLongHistoryIsReadInPiecesBeforeGoingLive() {
        var tracker = ChannelTracker(readCount: 2)
        _ = tracker.connected()
        _ = tracker.want("c")
        _ = tracker.subscribed("c")
        let first = [event(1, after: 0), event(2, after: 1)]
        #expect(tracker.loaded("c", token: 1, epoch: "e1", lastG: 3, events: first) == [.record("c", first), .read("c", after: 2, token: 2)])
        #expect(tracker.loaded("c", token: 2, epoch: "e1", lastG: 3, events: [event(3, after: 2)])
            == [.record("c", [event(3, after: 2)]), .ready("c")])
    }

    @Test func heldAnnouncementsPastTheBoundAreDroppedAndReadAgain() {
        var tracker = ChannelTracker(readCount: 100_000)
        _ = tracker.connected()
        _ = tracker.want("c")
        _ = tracker.subscribed("c")
        for g in 1...UInt64(ChannelTracker.maxHeld + 1) { _ = tracker.message("c", event(g, after: g - 1)) }
        let actions = tracker.loaded("c", token: 1, epoch: "e1", lastG: 0, events: [])
        #expect(actions == [.read("c", after: 0, token: 2)])
    }

    @Test func unwantedWhileLoadingDropsTheLoadsAnswer() {
        var tracker = ChannelTracker(readCount: 100)
        _ = tracker.connected()
        _ = tracker.want("c")
        _ = tracker.subscribed("c")
        #expect(tracker.unwanted("c") == [.unsubscribe("c")])
        #expect(tracker.loaded("c", token: 1, epoch: "e1", lastG: 1, events: [event(1, after: 0)]) == [])
    }

    @Test func aChannelNoStreamWantsIsForgottenAndReadWholeWhenWantedAgain() {
        var tracker = live(lastG: 5)
        #expect(tracker.forget("c") == [])
        _ = tracker.unwanted("c")
        #expect(tracker.forget("c") == [.clearMirror("c")])
        #expect(tracker.forget("c") == [])
        #expect(tracker.want("c") == [.subscribe("c")])
        #expect(tracker.subscribed("c") == [.read("c", after: 0, token: 2)])
    }

    @Test func aChannelWantedAgainBeforeItsUnsubscribeIsConfirmedIsNotForgotten() {
        var tracker = ChannelTracker(readCount: 100)
        _ = tracker.connected()
        _ = tracker.want("c")
        _ = tracker.unwanted("c")
        // Its SUBSCRIBE is still unconfirmed: forgetting it would lose count of the confirmations.
        #expect(tracker.forget("c") == [])
    }
}
