// A `publish` run: sends seq 1...count over `concurrency` keep-alive connections. With a rate, event
// k is due at start + (k-1)/rate and a one-shot timer wakes the run for the next one; without, an
// event goes out as soon as a connection is idle, and every event is due at the start. An event
// sent after its due time (every connection busy) is counted as late, so a server that answers
// slowly shows as a lagging publisher; `{due}` carries the due time to the subscribers, so their
// latency from it counts the wait a held-back publisher would otherwise hide.

import LibeventIO
import Glibc

/// Drives the publisher connections of one process and keeps the run's totals.
final class PublishRun {
    /// How often the run checks its duration limit.
    static let checkInterval = Duration.milliseconds(100)
    /// Connections replaced after they failed (refused, broken, a bad answer), before the run gives up.
    static let maxReconnects = 100
    /// Lag behind the schedule that counts an event as late.
    static let lateThreshold: UInt64 = 1_000_000
    /// An event this close to its due time is sent now rather than after another timer round: epoll
    /// waits in whole milliseconds and libevent arms timers from the iteration's cached time, so a
    /// timer may fire up to ~1 ms early, and re-arming for the rest would make it ~1 ms late.
    static let earlySlack: UInt64 = 1_000_000

    let loop: EventLoop
    let settings: PublishSettings
    private let headPrefix: [UInt8]
    private var idle: [PublishConnection] = []
    private var open = 0
    private var paceTimer: LoopTimer?
    private var checkTimer: LoopTimer?
    private var signalWatchers: [SignalWatcher] = []
    private var connections: [ObjectIdentifier: PublishConnection] = [:]

    /// The next sequence number to send.
    private var nextSequence: UInt64 = 1
    private var startedAtMonotonic: UInt64 = 0
    /// When pacing started (the first connection was ready); nil before.
    private var scheduleStart: UInt64?
    /// The wall clock at `scheduleStart`, for the `{due}` stamps.
    private var scheduleStartWall: UInt64 = 0

    private(set) var answered: UInt64 = 0
    private(set) var non2xx: UInt64 = 0
    /// Events sent whose answer never came (connection lost or bad response).
    private(set) var unanswered: UInt64 = 0
    private(set) var statuses: [Int: Int] = [:]
    private(set) var errors: [String: Int] = [:]
    private(set) var reconnects = 0
    private(set) var latency = LatencyHistogram()
    private(set) var lateSends: UInt64 = 0
    private(set) var maxLagNanoseconds: UInt64 = 0
    private(set) var firstSendAtWall: UInt64 = 0
    private(set) var lastSendAtWall: UInt64 = 0
    private(set) var lastAnswerAtWall: UInt64 = 0
    private(set) var finishReason: String?

    init(settings: PublishSettings, loop: EventLoop) {
        self.settings = settings
        self.loop = loop
        headPrefix = settings.headPrefix
    }

    var sent: UInt64 { nextSequence - 1 }

    /// Runs the whole thing on the calling thread and returns when it ended.
    func run() throws(LibeventError) {
        startedAtMonotonic = BenchClock.monotonicNanoseconds()
        paceTimer = LoopTimer(loop: loop) { [unowned self] in dispatch() }
        let timer = LoopTimer(loop: loop, repeating: true) { [unowned self] in check() }
        timer.schedule(after: Self.checkInterval)
        checkTimer = timer
        for signal in [SIGINT, SIGTERM] {
            signalWatchers.append(try SignalWatcher(loop: loop, signal: signal) { [unowned self] in finish("interrupted") })
        }
        for _ in 0..<settings.concurrency { openConnection() }
        // A stop() before run() is forgotten (libevent clears its break flag on entry), so a run
        // that already ended during setup must not enter the loop.
        if finishReason == nil { loop.run() }
        paceTimer = nil
        checkTimer = nil
        signalWatchers = []
        for connection in connections.values { connection.close() }
        connections = [:]
    }

    // MARK: - Connections

    private func openConnection() {
        let connection = PublishConnection(run: self)
        do {
            try connection.connect(to: settings.address, timeout: settings.connectTimeout)
            connections[ObjectIdentifier(connection)] = connection
            open += 1
        } catch {
            errors["connect: \(error)", default: 0] += 1
            if open == 0 { finish("cannot connect: \(error)") }
        }
    }

    func connectionBecameIdle(_ connection: PublishConnection) {
        idle.append(connection)
        if scheduleStart == nil {
            scheduleStart = BenchClock.monotonicNanoseconds()
            scheduleStartWall = BenchClock.wallNanoseconds()
        }
        dispatch()
    }

    /// A connection closed; `failedSequence` was sent on it and never answered.
    func connectionLost(_ connection: PublishConnection, reason: String?, failedSequence: UInt64?) {
        connections[ObjectIdentifier(connection)] = nil
        idle.removeAll { $0 === connection }
        open -= 1
        if let reason { errors[reason, default: 0] += 1 }
        if failedSequence != nil {
            unanswered += 1
            checkDone()
        }
        guard finishReason == nil else { return }
        // Closed after a complete answer (no keep-alive, as Pushpin's publish endpoint does): an
        // orderly close, replaced without spending the budget kept for failures.
        if reason == nil && failedSequence == nil {
            openConnection()
            return
        }
        guard reconnects < Self.maxReconnects else {
            if open == 0 { finish("gave up after \(reconnects) reconnects") }
            return
        }
        reconnects += 1
        openConnection()
    }

    // MARK: - Sending

    /// Sends every event that is due while a connection is idle; arms the timer for the next one.
    private func dispatch() {
        guard finishReason == nil, let start = scheduleStart else { return }
        // Bounded: each pass sends one of the `count` events or leaves.
        while nextSequence <= settings.count {
            let now = BenchClock.monotonicNanoseconds()
            var due = start
            if let rate = settings.rate {
                due = start + UInt64(Double(nextSequence - 1) * 1e9 / rate)
                if now + Self.earlySlack < due {
                    paceTimer?.schedule(after: .nanoseconds(Int64(due - now)))
                    return
                }
            }
            guard let connection = idle.popLast() else { return }
            if settings.rate != nil {
                let lag = now > due ? now - due : 0
                if lag > Self.lateThreshold { lateSends += 1 }
                maxLagNanoseconds = max(maxLagNanoseconds, lag)
            }
            let wall = BenchClock.wallNanoseconds()
            if firstSendAtWall == 0 { firstSendAtWall = wall }
            lastSendAtWall = wall
            connection.send(sequence: nextSequence, due: scheduleStartWall + (due - start),
                            headPrefix: headPrefix, template: settings.template)
            nextSequence += 1
        }
    }

    func publishAnswered(sequence: UInt64, status: Int, latency nanoseconds: UInt64) {
        answered += 1
        if !(200..<300).contains(status) { non2xx += 1 }
        statuses[status, default: 0] += 1
        latency.record(nanoseconds)
        lastAnswerAtWall = BenchClock.wallNanoseconds()
        checkDone()
    }

    // MARK: - Ending

    private func checkDone() {
        if answered + unanswered >= settings.count { finish("complete") }
    }

    /// Fires every `checkInterval`: the duration limit.
    private func check() {
        if BenchClock.monotonicNanoseconds() - startedAtMonotonic >= settings.durationLimit.nanoseconds {
            finish("duration limit")
        }
    }

    private func finish(_ reason: String) {
        guard finishReason == nil else { return }
        finishReason = reason
        loop.stop()
    }
}
