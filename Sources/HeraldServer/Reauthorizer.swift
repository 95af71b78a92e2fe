import Fanout
import LibeventIO

/// Re-authorizes a loop's authorized streams every `events.reauthorize_every`, spread over the
/// interval by `ReauthorizationSchedule` (a slice of the streams each tick, never a burst), with
/// at most `maxInFlight` auth requests out at once. Used on its loop's thread only.
final class Reauthorizer {
    /// Re-authorizations in flight per loop: enough for 100,000 streams every 5 minutes (about
    /// 330 checks a second) at 100 ms per answer, few enough not to take all of the app's workers;
    /// checks beyond it wait for the next ticks.
    static let maxInFlight = 64

    /// Streams are known by a serial of their own: an `ObjectIdentifier` may come back for a new
    /// stream at a freed stream's address while the old one's queue entry still waits.
    private var schedule: ReauthorizationSchedule<UInt64>
    private var serials: [ObjectIdentifier: UInt64] = [:]
    private var streams: [UInt64: EventStreamConnection] = [:]
    private var nextSerial: UInt64 = 0
    private var inFlight = Set<UInt64>()
    private var timer: LoopTimer?

    init(loop: EventLoop, interval: Duration) {
        schedule = ReauthorizationSchedule(interval: interval)
        let timer = LoopTimer(loop: loop, repeating: true) { [unowned self] in self.tick() }
        timer.schedule(after: schedule.tick)
        self.timer = timer
    }

    /// A reload changed `events.reauthorize_every`: the streams are spread over the new interval
    /// (checks in flight finish as they are).
    func change(interval: Duration) {
        guard interval != schedule.interval else { return }
        schedule = ReauthorizationSchedule(interval: interval)
        for id in streams.keys.sorted() { schedule.add(id) }
        timer?.schedule(after: schedule.tick)
    }

    /// A stream opened with an auth request.
    func add(_ stream: EventStreamConnection) {
        nextSerial += 1
        serials[ObjectIdentifier(stream)] = nextSerial
        streams[nextSerial] = stream
        schedule.add(nextSerial)
    }

    func remove(_ stream: EventStreamConnection) {
        guard let id = serials.removeValue(forKey: ObjectIdentifier(stream)) else { return }
        streams[id] = nil
        inFlight.remove(id)
        schedule.remove(id)
    }

    /// Fires every `schedule.tick`: starts the checks that are due, as many as slots are free.
    private func tick() {
        for id in schedule.due(limit: Self.maxInFlight - inFlight.count) {
            // A check slower than a whole cycle is not doubled: its stream waits for the next turn.
            guard let stream = streams[id], !inFlight.contains(id) else { continue }
            inFlight.insert(id)
            // Weak: a reload that turns re-authorization off lets this go before the answer comes.
            let sent = stream.reauthorize { [weak self] in _ = self?.inFlight.remove(id) }
            if !sent { inFlight.remove(id) }
        }
    }

    func stop() {
        timer = nil
    }
}
