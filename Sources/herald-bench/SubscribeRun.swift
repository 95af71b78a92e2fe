// A `subscribe` run: opens the subscribers at most `connectConcurrency` at a time, prints
// `READY <n>` once each has its answer, then counts events until every subscriber is complete, the
// stream goes quiet, or the duration limit passes.
//
//   start → subscribe storm (window of connects) → READY → events → finish → report

import LibeventIO
import Glibc

/// Drives the subscribers of one process on one loop and keeps the run's totals.
final class SubscribeRun {
    /// How often the run checks its deadline and quiet period.
    static let checkInterval = Duration.milliseconds(100)

    let loop: EventLoop
    let settings: SubscribeSettings
    private let request: [UInt8]
    private(set) var subscribers: [Subscriber] = []
    private var inFlight = 0
    private var checkTimer: LoopTimer?
    private var signalWatchers: [SignalWatcher] = []

    // Subscribe storm.
    private(set) var established = 0
    private(set) var failed = 0
    /// Why subscribes failed, with counts (a few distinct reasons).
    private(set) var failures: [String: Int] = [:]
    private(set) var subscribeLatency = LatencyHistogram()
    private(set) var startedAtWall: UInt64 = 0
    private(set) var startedAtMonotonic: UInt64 = 0
    /// Wall-clock time when every subscribe had its answer (READY).
    private(set) var readyAtWall: UInt64?
    private(set) var readyAfterNanoseconds: UInt64?
    private(set) var residentKiBAtStart = 0
    private(set) var residentKiBAtReady = 0
    /// CPU seconds (user, system) used by this process at READY and at the end.
    private(set) var cpuAtReady = (user: 0.0, system: 0.0)
    private(set) var cpuAtEnd = (user: 0.0, system: 0.0)

    // Events.
    private(set) var latency = LatencyHistogram()
    /// Receive time less the `due=` stamp: the latency from the publisher's schedule, which counts
    /// the time a server made the publisher wait too.
    private(set) var latencyFromDue = LatencyHistogram()
    private(set) var events: UInt64 = 0
    private(set) var stampedEvents: UInt64 = 0
    /// Stamps later than their receive time (clock trouble); counted as 0 ms.
    private(set) var futureStamps: UInt64 = 0
    private(set) var firstEventAt: UInt64 = 0
    private(set) var lastEventAt: UInt64 = 0

    // Reconnects (SubscribeRun+Churn.swift).
    /// Reconnects owed but not yet started: the per-second rate is spread over the checks.
    var churnCredit = 0.0
    var reconnects: UInt64 = 0
    var resumed: UInt64 = 0
    /// Reconnects sent without Last-Event-ID: the id was too long to keep.
    var reconnectsWithoutID: UInt64 = 0
    /// From a reconnect's connect to its `200` head.
    var resumeLatency = LatencyHistogram()
    /// Latency of the events since the last PROGRESS line.
    var intervalLatency = LatencyHistogram()
    var intervalStartedAt: UInt64 = 0
    var progressTimer: LoopTimer?

    // Ending.
    private(set) var complete = 0
    private(set) var dropped = 0
    private(set) var drops: [String: Int] = [:]
    /// Subscribers counted as complete or dropped, whichever came first.
    private var done = 0
    private(set) var finishReason: String?
    private(set) var finishedAtWall: UInt64 = 0

    init(settings: SubscribeSettings, loop: EventLoop) {
        self.settings = settings
        self.loop = loop
        request = settings.request
    }

    /// Runs the whole thing on the calling thread and returns when it ended.
    func run() throws(LibeventError) {
        residentKiBAtStart = ProcessUsage.residentKiB()
        startedAtWall = BenchClock.wallNanoseconds()
        startedAtMonotonic = BenchClock.monotonicNanoseconds()
        let timer = LoopTimer(loop: loop, repeating: true) { [unowned self] in check() }
        timer.schedule(after: Self.checkInterval)
        checkTimer = timer
        startProgress()
        for signal in [SIGINT, SIGTERM] {
            signalWatchers.append(try SignalWatcher(loop: loop, signal: signal) { [unowned self] in finish("interrupted") })
        }
        subscribers.reserveCapacity(settings.connections)
        fillConnectWindow()
        // A stop() before run() is forgotten (libevent clears its break flag on entry), so a run
        // that already ended during setup must not enter the loop.
        if finishReason == nil { loop.run() }
        finishedAtWall = BenchClock.wallNanoseconds()
        cpuAtEnd = ProcessUsage.cpuSeconds()
        checkTimer = nil
        progressTimer = nil
        signalWatchers = []
        for subscriber in subscribers { subscriber.close() }
    }

    // MARK: - Subscribe storm

    /// Starts connects until `connectConcurrency` are in flight or all were started.
    private func fillConnectWindow() {
        // Bounded: each pass starts one of the `connections` subscribers.
        while inFlight < settings.connectConcurrency && subscribers.count < settings.connections {
            let index = subscribers.count
            let subscriber = Subscriber(index: index, run: self)
            subscribers.append(subscriber)
            do {
                try subscriber.start(to: settings.address, from: source(for: index), timeout: settings.connectTimeout, request: request)
                inFlight += 1
            } catch {
                countFailure(error.description)
            }
        }
        checkReady()
    }

    /// The local address subscriber `index` binds (the sources are used in turn).
    func source(for index: Int) -> SocketAddress? {
        settings.sources.isEmpty ? nil : settings.sources[index % settings.sources.count]
    }

    func subscriberEstablished(_ subscriber: Subscriber, startedAt: UInt64) {
        established += 1
        inFlight -= 1
        subscribeLatency.record(BenchClock.monotonicNanoseconds() &- startedAt)
        fillConnectWindow()
    }

    func subscriberFailed(_ subscriber: Subscriber, reason: String) {
        inFlight -= 1
        countFailure(reason)
        fillConnectWindow()
    }

    private func countFailure(_ reason: String) {
        failed += 1
        failures[reason, default: 0] += 1
    }

    /// Announces READY once every subscribe has its answer.
    private func checkReady() {
        guard readyAtWall == nil, established + failed == settings.connections else { return }
        readyAtWall = BenchClock.wallNanoseconds()
        readyAfterNanoseconds = BenchClock.monotonicNanoseconds() - startedAtMonotonic
        residentKiBAtReady = ProcessUsage.residentKiB()
        cpuAtReady = ProcessUsage.cpuSeconds()
        StandardStream.out("READY \(established)")
        if failed > 0 {
            let reasons = failures.sorted { $0.value > $1.value }.prefix(3).map { "\($0.key) ×\($0.value)" }
            StandardStream.err("\(settings.label): \(failed) of \(settings.connections) subscribes failed: \(reasons.joined(separator: ", "))")
        }
        checkDone()
    }

    // MARK: - Events

    /// Counts one dispatched event; `receivedAt` is CLOCK_REALTIME when its bytes were read.
    @inline(__always)
    func eventReceived(_ stamp: EventStamp, at receivedAt: UInt64) {
        events &+= 1
        if firstEventAt == 0 { firstEventAt = receivedAt }
        lastEventAt = receivedAt
        guard let timestamp = stamp.timestamp else { return }
        stampedEvents &+= 1
        if timestamp > receivedAt { futureStamps &+= 1 }
        let delay = receivedAt > timestamp ? receivedAt - timestamp : 0
        latency.record(delay)
        if progressTimer != nil { intervalLatency.record(delay) }
        if let due = stamp.due { latencyFromDue.record(receivedAt > due ? receivedAt - due : 0) }
    }

    /// Whether a subscriber with these counts has all it was expected to get: seq=M and nothing
    /// missing just below it (still possibly in flight), or M events when they carry no seq.
    func isComplete(received: UInt64, sequence: SequenceTracker) -> Bool {
        let expected = settings.expectEvents
        guard expected > 0 else { return false }
        guard sequence.highest > 0 else { return received >= expected }
        return sequence.highest >= expected && sequence.windowIsComplete
    }

    func subscriberCompleted(_ subscriber: Subscriber) {
        complete += 1
        if subscriber.markDone() { done += 1 }
        checkDone()
    }

    func subscriberDropped(_ subscriber: Subscriber, reason: String) {
        dropped += 1
        drops[reason, default: 0] += 1
        if subscriber.markDone() { done += 1 }
        checkDone()
    }

    // MARK: - Ending

    /// Ends the run once every established subscriber is complete or gone.
    private func checkDone() {
        guard readyAtWall != nil, done == established else { return }
        if established == 0 { return finish("no subscriber established") }
        if settings.expectEvents > 0 || dropped == established {
            finish(complete == established ? "complete" : "all subscribers ended")
        }
    }

    /// Fires every `checkInterval`: the duration limit and the quiet exit.
    private func check() {
        let elapsed = BenchClock.monotonicNanoseconds() - startedAtMonotonic
        if elapsed >= settings.durationLimit.nanoseconds { return finish("duration limit") }
        churn()
        let quiet = settings.quietExit.nanoseconds
        if quiet > 0, lastEventAt > 0, BenchClock.wallNanoseconds() &- lastEventAt >= quiet {
            finish("quiet for \(settings.quietExit)")
        }
    }

    private func finish(_ reason: String) {
        guard finishReason == nil else { return }
        finishReason = reason
        loop.stop()
    }
}
