/// What a `publish` run did, as written to `--report` (snake_case JSON).
struct PublishReport: Codable {
    var mode = "publish"
    var label: String
    var url: String
    var count: UInt64
    /// Requested events per second; nil = as fast as possible.
    var rate: Double?
    var concurrency: Int
    var sent: UInt64
    var answered: UInt64
    var non2xx: UInt64
    var unanswered: UInt64
    var statuses: [ReasonCount]
    var errors: [ReasonCount]
    var reconnects: Int
    var firstSendAtNs: UInt64
    var lastSendAtNs: UInt64
    var lastAnswerAtNs: UInt64
    /// From the first send to the last answer.
    var durationSeconds: Double
    var publishesPerSecond: Double
    /// Send → complete response.
    var latency: HistogramReport
    /// Paced runs: events sent more than 1 ms after their due time, and the largest lag.
    var lateSends: UInt64
    var maxLagMs: Double
    var finish: String
}

extension PublishReport {
    init(_ run: PublishRun) {
        let settings = run.settings
        label = settings.label
        url = settings.url.description
        count = settings.count
        rate = settings.rate
        concurrency = settings.concurrency
        sent = run.sent
        answered = run.answered
        non2xx = run.non2xx
        unanswered = run.unanswered
        statuses = ReasonCount.list(Dictionary(uniqueKeysWithValues: run.statuses.map { (String($0.key), $0.value) }))
        errors = ReasonCount.list(run.errors)
        reconnects = run.reconnects
        firstSendAtNs = run.firstSendAtWall
        lastSendAtNs = run.lastSendAtWall
        lastAnswerAtNs = run.lastAnswerAtWall
        durationSeconds = run.lastAnswerAtWall > run.firstSendAtWall
            ? Double(run.lastAnswerAtWall - run.firstSendAtWall) / 1e9 : 0
        publishesPerSecond = durationSeconds > 0 ? (Double(run.answered) / durationSeconds).rounded() : 0
        latency = HistogramReport(run.latency)
        lateSends = run.lateSends
        maxLagMs = HistogramReport.milliseconds(run.maxLagNanoseconds)
        finish = run.finishReason ?? "unknown"
    }

    var summary: String {
        var line = "\(label): \(answered)/\(count) published in \(format(durationSeconds)) s"
        line += ", \(format(publishesPerSecond, decimals: 0)) publishes/s"
        if non2xx > 0 { line += ", \(non2xx) non-2xx" }
        if unanswered > 0 { line += ", \(unanswered) unanswered" }
        line += "; publish latency p50 \(format(latency.p50Ms)) / p99 \(format(latency.p99Ms)) ms"
        if rate != nil { line += "; \(lateSends) late (max lag \(format(maxLagMs)) ms)" }
        line += "; end: \(finish)"
        return line
    }
}
