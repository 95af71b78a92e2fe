import ArgumentParser
import HTTP1
import LibeventIO

/// `herald-bench subscribe`: holds N SSE subscribers and measures what reaches them.
struct SubscribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscribe",
        abstract: "Open N SSE subscribers, print READY <n> once all are subscribed, then measure delivery.",
        discussion: """
            Events whose data starts with `ts=<unix ns> seq=<n> due=<unix ns>` (what `publish` sends) \
            give a publish→receive latency, a latency from the time the publisher's schedule had the \
            event due, and a per-subscriber check that seq goes up by one. The run ends \
            when every subscriber has seq ≥ --expect-events, after --quiet-exit without events, or at \
            --duration-limit. With --reconnect-percent, subscribers picked at random close their stream \
            and open another with their Last-Event-ID, as a browser does; their counts go on, so a \
            lost or repeated event shows. A one-line summary goes to stderr, the full report to --report.
            """
    )

    @Option(help: "SSE URL, http://host:port/path.")
    var url: BenchURL

    @Option(help: "Subscribers to open.")
    var connections = 1

    @Option(help: "Local addresses to bind, comma-separated (e.g. 127.0.0.2,127.0.0.3); used in turn.")
    var sourceAddresses: String?

    @Option(help: "Connects (up to the 200 head) in flight at once.")
    var connectConcurrency = 32

    @Option(help: "Longest wait for a connect and its response head.")
    var connectTimeout = BenchDuration(seconds: 10)

    @Option(help: "End the run this long after it started, whatever happened.")
    var durationLimit = BenchDuration(seconds: 120)

    @Option(help: "A subscriber is complete once it saw seq=M (or M events without seq); 0 = none.")
    var expectEvents: UInt64 = 0

    @Option(help: "After the first event, end when none arrived for this long (0 = never).")
    var quietExit = BenchDuration(seconds: 10)

    @Option(name: .customLong("header"), help: "Extra request header, 'Name: value' (repeatable).")
    var headers: [String] = []

    @Option(help: "Percent of the subscribers that reconnect each second, resuming with Last-Event-ID (0-100).")
    var reconnectPercent = 0.0

    @Option(help: "Print a PROGRESS line (JSON) this often: deliveries, lost, duplicated, reconnects, latency buckets.")
    var progressInterval: BenchDuration?

    @Option(help: "Name of this process in merged reports.")
    var label = "subscribe"

    @Option(help: "Write the JSON report to this file.")
    var report: String?

    func validate() throws {
        guard connections > 0 else { throw ValidationError("--connections must be at least 1") }
        guard (1...4096).contains(connectConcurrency) else {
            throw ValidationError("--connect-concurrency must be 1...4096")
        }
        let limit = FileDescriptorLimit.maxConnections
        guard connections <= limit else {
            throw ValidationError("--connections \(connections) exceeds what the open-file limit allows in one process (\(limit)); run several processes (benchmarks/sse.sh does)")
        }
        guard (0...100).contains(reconnectPercent) else { throw ValidationError("--reconnect-percent must be 0...100") }
        if let progressInterval, progressInterval.nanoseconds == 0 {
            throw ValidationError("--progress-interval must be longer than 0")
        }
        for header in headers where !header.contains(":") || header.contains("\r") || header.contains("\n") {
            throw ValidationError("--header must be 'Name: value', got \(header)")
        }
    }

    func run() throws {
        SignalWatcher.ignoreBrokenPipe()
        let settings: SubscribeSettings
        let loop: EventLoop
        do {
            let sources = try (sourceAddresses ?? "").split(separator: ",").map { text throws(LibeventError) in
                try SocketAddress.resolve(host: text.trimmingASCIIWhitespace(), port: 0)
            }
            settings = SubscribeSettings(
                url: url, address: try url.resolve(), sources: sources, connections: connections,
                connectConcurrency: connectConcurrency, connectTimeout: connectTimeout,
                durationLimit: durationLimit, expectEvents: expectEvents, quietExit: quietExit,
                headers: headers, label: label, reconnectPercentPerSecond: reconnectPercent,
                progressInterval: progressInterval)
            loop = try EventLoop()
        } catch {
            StandardStream.err("herald-bench subscribe: \(error)")
            throw ExitCode(2)
        }

        let run = SubscribeRun(settings: settings, loop: loop)
        do {
            try run.run()
        } catch {
            StandardStream.err("herald-bench subscribe: \(error)")
            throw ExitCode(2)
        }
        let result = SubscribeReport(run)
        StandardStream.out(result.summary)
        if let report { try ReportFile.write(result, to: report) }
    }
}
