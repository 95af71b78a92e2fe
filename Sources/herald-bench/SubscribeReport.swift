/// What a `subscribe` run found, as written to `--report` (snake_case JSON) and merged by
/// benchmarks/sse.sh. Wall-clock fields (`…_at_ns`) are CLOCK_REALTIME, comparable across processes.
struct SubscribeReport: Codable {
    struct Storm: Codable {
        var startedAtNs: UInt64
        var readyAtNs: UInt64?
        /// From the first connect to the last answer (the subscribe-storm figure).
        var establishSeconds: Double?
        /// From each connect to its `200` head.
        var subscribeLatency: HistogramReport
    }

    struct Events: Codable {
        /// Events dispatched, all subscribers together (deliveries).
        var total: UInt64
        /// Those that carried `ts=` (and so a latency).
        var stamped: UInt64
        var futureStamps: UInt64
        var firstAtNs: UInt64
        var lastAtNs: UInt64
        var windowSeconds: Double
        /// `total` over the window from the first to the last event received.
        var deliveriesPerSecond: Double
    }

    struct SubscriberRow: Codable {
        var index: Int
        var received: UInt64
        var highestSeq: UInt64
        var lost: UInt64
        var duplicates: UInt64
        var reordered: UInt64
        var state: String
    }

    struct Subscribers: Codable {
        var expectEvents: UInt64
        var complete: Int
        var dropped: Int
        var drops: [ReasonCount]
        var withLoss: Int
        var withDuplicates: Int
        var lostTotal: UInt64
        var lostInGaps: UInt64
        /// Expected numbers above the highest each subscriber saw (needs `expect_events`).
        var lostAtEnd: UInt64
        var duplicatesTotal: UInt64
        /// Events that arrived after a higher seq (several publisher connections race).
        var reorderedTotal: UInt64
        /// Events more than 64 behind the highest seq: lost earlier and late, or repeats.
        var farBehindTotal: UInt64
        var maxLost: UInt64
        var minReceived: UInt64
        var maxReceived: UInt64
        /// Up to `worstRows` subscribers with the most lost and duplicated events.
        var worst: [SubscriberRow]
    }

    struct Memory: Codable {
        var rssStartKib: Int
        var rssReadyKib: Int
        /// RSS growth from start to READY per established connection (this tool's side only).
        var bytesPerConnection: Int
    }

    /// Streams closed by the run and opened again with Last-Event-ID (`--reconnect-percent`).
    struct Reconnects: Codable {
        var started: UInt64
        var resumed: UInt64
        /// Sent without Last-Event-ID: the id was too long to keep.
        var withoutId: UInt64
        /// From a reconnect's connect to its `200` head.
        var latency: HistogramReport
    }

    /// CPU this process used, to show whether the load tool itself was the bottleneck.
    struct CPU: Codable {
        /// From start to READY (the subscribe storm).
        var stormUserSeconds: Double
        var stormSystemSeconds: Double
        /// From READY to the end (receiving events).
        var eventsUserSeconds: Double
        var eventsSystemSeconds: Double
        /// Event-phase CPU per event received: 1e6 / this is the most one core of this tool takes.
        var microsecondsPerEvent: Double
    }

    static let worstRows = 20

    var mode = "subscribe"
    var label: String
    var url: String
    var connections: Int
    var established: Int
    var failed: Int
    var failures: [ReasonCount]
    var storm: Storm
    var events: Events
    var subscribers: Subscribers
    var reconnects: Reconnects
    var latency: HistogramReport
    /// From the `due=` stamps (empty when the events carry none).
    var latencyFromDue: HistogramReport
    var memory: Memory
    var cpu: CPU
    var finish: String
    var finishedAtNs: UInt64
}

extension SubscribeReport {
    init(_ run: SubscribeRun) {
        let settings = run.settings
        label = settings.label
        url = settings.url.description
        connections = settings.connections
        established = run.established
        failed = run.failed
        failures = ReasonCount.list(run.failures)
        storm = Storm(startedAtNs: run.startedAtWall, readyAtNs: run.readyAtWall,
                      establishSeconds: run.readyAfterNanoseconds.map { Double($0) / 1e9 },
                      subscribeLatency: HistogramReport(run.subscribeLatency))
        let window = run.lastEventAt > run.firstEventAt ? Double(run.lastEventAt - run.firstEventAt) / 1e9 : 0
        events = Events(total: run.events, stamped: run.stampedEvents, futureStamps: run.futureStamps,
                        firstAtNs: run.firstEventAt, lastAtNs: run.lastEventAt, windowSeconds: window,
                        deliveriesPerSecond: window > 0 ? (Double(run.events) / window).rounded() : 0)
        subscribers = Self.subscribers(run)
        reconnects = Reconnects(started: run.reconnects, resumed: run.resumed, withoutId: run.reconnectsWithoutID,
                                latency: HistogramReport(run.resumeLatency))
        latency = HistogramReport(run.latency)
        latencyFromDue = HistogramReport(run.latencyFromDue)
        let growth = max(0, run.residentKiBAtReady - run.residentKiBAtStart) * 1024
        memory = Memory(rssStartKib: run.residentKiBAtStart, rssReadyKib: run.residentKiBAtReady,
                        bytesPerConnection: run.established > 0 ? growth / run.established : 0)
        let (ready, end) = (run.cpuAtReady, run.cpuAtEnd)
        let eventsCPU = (end.user - ready.user) + (end.system - ready.system)
        cpu = CPU(stormUserSeconds: ready.user, stormSystemSeconds: ready.system,
                  eventsUserSeconds: end.user - ready.user, eventsSystemSeconds: end.system - ready.system,
                  microsecondsPerEvent: run.events > 0 ? (eventsCPU * 1e6 / Double(run.events) * 1000).rounded() / 1000 : 0)
        finish = run.finishReason ?? "unknown"
        finishedAtNs = run.finishedAtWall
    }

    private static func subscribers(_ run: SubscribeRun) -> Subscribers {
        let expected = run.settings.expectEvents
        var result = Subscribers(expectEvents: expected, complete: run.complete, dropped: run.dropped, drops: ReasonCount.list(run.drops),
                                 withLoss: 0, withDuplicates: 0, lostTotal: 0, lostInGaps: 0, lostAtEnd: 0,
                                 duplicatesTotal: 0, reorderedTotal: 0, farBehindTotal: 0, maxLost: 0, minReceived: .max, maxReceived: 0, worst: [])
        var rows: [SubscriberRow] = []
        for subscriber in run.subscribers {
            switch subscriber.state {
            case .subscribing(_, resuming: false), .failed: continue // never established: counted in `failed` or not at all
            case .subscribing(_, resuming: true), .streaming, .dropped, .closed: break
            }
            let sequence = subscriber.sequence
            let atEnd = sequence.lostAtEnd(expected: expected)
            let lost = sequence.lostInGaps + atEnd
            result.lostInGaps += sequence.lostInGaps
            result.lostAtEnd += atEnd
            result.lostTotal += lost
            result.duplicatesTotal += sequence.duplicates
            result.reorderedTotal += sequence.reordered
            result.farBehindTotal += sequence.farBehind
            result.maxLost = max(result.maxLost, lost)
            result.minReceived = min(result.minReceived, subscriber.received)
            result.maxReceived = max(result.maxReceived, subscriber.received)
            if lost > 0 { result.withLoss += 1 }
            if sequence.duplicates > 0 { result.withDuplicates += 1 }
            if lost > 0 || sequence.duplicates > 0 {
                rows.append(SubscriberRow(index: subscriber.index, received: subscriber.received,
                                          highestSeq: sequence.highest, lost: lost,
                                          duplicates: sequence.duplicates, reordered: sequence.reordered, state: "\(subscriber.state)"))
            }
        }
        if result.minReceived == .max { result.minReceived = 0 }
        rows.sort { $0.lost + $0.duplicates > $1.lost + $1.duplicates }
        result.worst = Array(rows.prefix(worstRows))
        return result
    }

    /// The one line a person reads.
    var summary: String {
        var line = "\(label): \(established)/\(connections) subscribed"
        if let seconds = storm.establishSeconds { line += " in \(format(seconds)) s" }
        if failed > 0 { line += " (\(failed) failed)" }
        line += "; \(events.total) events, \(format(events.deliveriesPerSecond, decimals: 0)) deliveries/s"
        line += "; lost \(subscribers.lostTotal), duplicated \(subscribers.duplicatesTotal)"
        if subscribers.reorderedTotal > 0 { line += ", reordered \(subscribers.reorderedTotal)" }
        if subscribers.dropped > 0 { line += ", \(subscribers.dropped) streams dropped" }
        if reconnects.started > 0 { line += "; \(reconnects.resumed)/\(reconnects.started) reconnects resumed" }
        line += "; latency \(latency.summary)"
        if latencyFromDue.count > 0 { line += " (from due: p50 \(format(latencyFromDue.p50Ms)) / p99 \(format(latencyFromDue.p99Ms)) ms)" }
        line += "; \(memory.bytesPerConnection) B/connection"
        line += ", \(format(cpu.microsecondsPerEvent, decimals: 2)) µs CPU/event; end: \(finish)"
        return line
    }
}
