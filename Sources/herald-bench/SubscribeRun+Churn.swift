// Reconnects and progress lines of a `subscribe` run (benchmarks/soak.sh uses both).
//
// Churn: every check, `reconnect-percent` of the subscribers per second (spread over the checks)
// are picked at random among those streaming, not yet complete and with an id to resume from
// (only an id too long to keep makes a reconnect without one); each closes its stream and opens
// another with its Last-Event-ID, as a browser does after a network change. Their sequence counts
// go on across connections, so an event the server failed to replay shows as lost and one it
// replayed twice as duplicated.
//
// Progress: every `progress-interval`, one line `PROGRESS {json}` on stdout with the totals so far
// and the latency buckets of the interval, which a script merges over processes exactly.

import Foundation
import LibeventIO

extension SubscribeRun {
    /// Picks at most this many subscribers per reconnect owed, so that a run whose subscribers are
    /// mostly complete or gone does not search long.
    private static let picksPerReconnect = 8

    /// Starts the reconnects owed since the last check.
    func churn() {
        guard settings.reconnectPercentPerSecond > 0, readyAtWall != nil else { return }
        let perCheck = Double(settings.connections) * settings.reconnectPercentPerSecond / 100
            * (Self.checkInterval / .seconds(1))
        churnCredit = min(churnCredit + perCheck, Double(settings.connections))
        // Bounded: each pass spends one credit.
        while churnCredit >= 1 {
            churnCredit -= 1
            guard let subscriber = pickStreaming() else { break }
            reconnect(subscriber)
        }
    }

    private func pickStreaming() -> Subscriber? {
        for _ in 0..<Self.picksPerReconnect {
            let subscriber = subscribers[Int.random(in: 0..<subscribers.count)]
            // A stream that has dispatched no event with an id yet has nothing to resume from: a
            // browser reconnecting then would miss what was published meanwhile, and so would this.
            if case .streaming = subscriber.state, !subscriber.isDone, !subscriber.lastEventID.isEmpty {
                return subscriber
            }
        }
        return nil
    }

    private func reconnect(_ subscriber: Subscriber) {
        let id = subscriber.lastEventID
        let text = id.text
        if text == nil { reconnectsWithoutID += 1 }
        reconnects += 1
        subscriber.reconnect(to: settings.address, from: source(for: subscriber.index), timeout: settings.connectTimeout,
                             request: settings.request(lastEventID: text))
    }

    func subscriberResumed(_ subscriber: Subscriber, startedAt: UInt64) {
        resumed += 1
        resumeLatency.record(BenchClock.monotonicNanoseconds() &- startedAt)
    }

    // MARK: - Progress

    func startProgress() {
        guard let interval = settings.progressInterval else { return }
        intervalStartedAt = BenchClock.wallNanoseconds()
        let timer = LoopTimer(loop: loop, repeating: true) { [unowned self] in printProgress() }
        timer.schedule(after: interval.duration)
        progressTimer = timer
    }

    private func printProgress() {
        let now = BenchClock.wallNanoseconds()
        var line = ProgressLine(label: settings.label, atNs: now,
                                elapsedSeconds: Double(BenchClock.monotonicNanoseconds() - startedAtMonotonic) / 1e9,
                                intervalSeconds: Double(now &- intervalStartedAt) / 1e9, established: established,
                                events: events, reconnects: reconnects, resumed: resumed,
                                reconnectsWithoutId: reconnectsWithoutID, dropped: dropped, lostInGaps: 0, duplicates: 0,
                                latency: HistogramReport(intervalLatency))
        for subscriber in subscribers {
            line.lostInGaps += subscriber.sequence.lostInGaps
            line.duplicates += subscriber.sequence.duplicates
        }
        if let json = try? ReportFile.encode(line) {
            StandardStream.out("PROGRESS " + String(decoding: json, as: UTF8.self))
        }
        intervalLatency = LatencyHistogram()
        intervalStartedAt = now
    }
}

/// One `PROGRESS` line: totals since the start, latency of the interval since the last line.
struct ProgressLine: Codable {
    var label: String
    var atNs: UInt64
    var elapsedSeconds: Double
    var intervalSeconds: Double
    var established: Int
    var events: UInt64
    var reconnects: UInt64
    var resumed: UInt64
    var reconnectsWithoutId: UInt64
    var dropped: Int
    /// Numbers missing below each subscriber's highest seq (an event still in flight counts too).
    var lostInGaps: UInt64
    var duplicates: UInt64
    var latency: HistogramReport
}
