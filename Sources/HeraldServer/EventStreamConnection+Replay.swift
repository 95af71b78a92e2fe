// A stream's replay: the events of its channels after the client's Last-Event-ID, read from the
// shared history a page at a time as the socket takes them (a `ReplayCursor`), up to
// `events.max_buffered_bytes` queued, like a live stream's bound. Live events are skipped
// meanwhile (`coveredThrough` is .max); the cursor reads them from the history in their turn. A
// replay that sits at the bound for a whole heartbeat interval without the socket taking a byte is
// cut (`heartbeatTick`), whatever its channels do: the client reconnects with its Last-Event-ID
// when it reads again. One the history's bounds overtake is cut too, and the reconnect gets the
// reset.

import Fanout
import LibeventIO

extension EventStreamConnection {
    /// A replay under way: its cursor, and its progress since the last heartbeat tick.
    final class Replay {
        var cursor: ReplayCursor
        /// A drain came since the last heartbeat tick, and the output's size at that tick:
        /// whether the socket took anything in an interval.
        var drainedSinceTick = false
        var outputAtTick = Int.max

        init(_ cursor: ReplayCursor) {
            self.cursor = cursor
        }
    }

    // MARK: Replay (on the loop's thread)

    /// Replays what the plan's cursor reads, then goes live; without a cursor, live at once.
    func startReplay(_ plan: ReplayPlan) {
        guard let cursor = plan.cursor else {
            coveredThrough = plan.coveredThrough
            return
        }
        coveredThrough = .max
        replay = Replay(cursor)
        continueReplay()
    }

    /// Queues pages of the replay until `events.max_buffered_bytes` are unsent (the drain brings
    /// the next ones), or the replay caught up (the stream goes live), or lost events (cut: the
    /// client's reconnect gets a reset).
    func continueReplay() {
        guard let replay else { return }
        while true {
            let room = worker.slowSubscriberBound.room(beside: unsentBytes)
            guard room > 0 else { return }
            switch worker.hub.nextPage(&replay.cursor, maxBytes: min(room, Self.replayPageBytes)) {
            case .events(let events):
                queueReplayed(events)
            case .caughtUp(let sequence):
                self.replay = nil
                coveredThrough = sequence
                return
            case .lost:
                self.replay = nil
                cut("replay lost events to the history's bounds", unsent: unsentBytes, end: .replayLost)
                return
            }
        }
    }

    /// A page's bytes, read by the hub's lock held once; small events are copied into one buffer,
    /// big ones queued by reference (shared with the history and every other stream).
    static let replayPageBytes = 64 << 10
    /// Events at least this big go by reference: a copy would cost more than the chain libevent
    /// gives a reference (`SlowSubscriberBound.referenceCost`).
    static let replayReferenceBytes = 16 << 10

    /// Queues one page in the stream's form, in order: small events joined, big ones by reference.
    private func queueReplayed(_ events: [PublishedEvent]) {
        var run: [EventBytes] = []
        func queueRun() {
            guard !run.isEmpty else { return }
            queueReference(run.count == 1 ? run[0] : EventBytes(concatenating: run), events: run.count)
            run.removeAll()
        }
        for event in events {
            let bytes: EventBytes
            switch kind {
            case .serverSentEvents:
                guard !event.isRawContent else { continue }
                bytes = event.bytes(forStreamOn: channels)
            case .grip:
                bytes = event.bytes
            }
            if bytes.count >= Self.replayReferenceBytes {
                queueRun()
                queueReference(bytes, events: 1)
            } else {
                run.append(bytes)
            }
        }
        queueRun()
    }

    /// Queues `bytes` for the end of the turn's flush (whose drain brings the next page).
    private func queueReference(_ bytes: EventBytes, events: Int) {
        wroteSinceTick = true
        downstream.write(retaining: bytes, bytes: wire(bytes))
        eventsQueued += events
        unsentEvents += events
        unsentReferences += 1
    }

    /// At a heartbeat tick: true when a replay is under way and the socket took nothing of it
    /// since the last tick (no drain, and no less unsent); notes the tick otherwise.
    func replayStalledSinceLastTick() -> Bool {
        guard let replay else { return false }
        let left = downstream.outputCount
        if !replay.drainedSinceTick && left > 0 && left >= replay.outputAtTick { return true }
        replay.drainedSinceTick = false
        replay.outputAtTick = left
        return false
    }
}
