import ArgumentParser
import LibeventIO

/// `herald-bench publish`: POSTs M stamped events, paced or as fast as possible.
struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "POST M events (seq 1...M, each stamped with the send time) over keep-alive connections.",
        discussion: """
            The body is --body-template with {ts} (CLOCK_REALTIME ns at send), {seq}, {due} \
            (CLOCK_REALTIME ns when the schedule had the event due: start + (seq-1)/rate, or the \
            start in a burst) and {pad} (--padding bytes: a space then x's; appended when the \
            template has no {pad}). For a \
            JSON publisher, put the placeholders in the JSON and set --content-type, e.g. Pushpin:
              --content-type application/json --body-template \
            '{"items":[{"channel":"bench","formats":{"http-stream":{"content":"data: ts={ts} seq={seq} due={due}{pad}\\n\\n"}}}]}'
            """
    )

    @Option(help: "Publish URL, http://host:port/path.")
    var url: BenchURL

    @Option(help: "Events to publish.")
    var count: UInt64

    @Option(help: "Events per second, or 'burst' for as fast as the connections go.")
    var rate = "burst"

    @Option(help: "Keep-alive connections (one request in flight on each), 1...16.")
    var concurrency = 1

    @Option(help: "Request body with {ts}, {seq}, {due} and {pad} placeholders.")
    var bodyTemplate = BodyTemplate.defaultText

    @Option(help: "Content-Type of the requests.")
    var contentType = "text/plain"

    @Option(help: "Padding bytes per event ({pad}).")
    var padding = 0

    @Option(name: .customLong("header"), help: "Extra request header, 'Name: value' (repeatable).")
    var headers: [String] = []

    @Option(help: "Longest wait for a connect.")
    var connectTimeout = BenchDuration(seconds: 10)

    @Option(help: "End the run this long after it started (default: count/rate + 60 s, or 300 s for burst).")
    var durationLimit: BenchDuration?

    @Option(help: "Name of this process in reports.")
    var label = "publish"

    @Option(help: "Write the JSON report to this file.")
    var report: String?

    /// nil for burst.
    private var ratePerSecond: Double? {
        rate == "burst" ? nil : Double(rate)
    }

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be at least 1") }
        if rate != "burst" {
            guard let value = Double(rate), value > 0, value.isFinite else {
                throw ValidationError("--rate must be a positive number of events per second or 'burst'")
            }
        }
        guard (1...16).contains(concurrency) else { throw ValidationError("--concurrency must be 1...16") }
        guard (0...1_048_576).contains(padding) else { throw ValidationError("--padding must be 0...1048576") }
        for header in headers where !header.contains(":") || header.contains("\r") || header.contains("\n") {
            throw ValidationError("--header must be 'Name: value', got \(header)")
        }
    }

    func run() throws {
        SignalWatcher.ignoreBrokenPipe()
        let template = BodyTemplate(bodyTemplate, paddingBytes: padding)
        if !template.hasTimestamp {
            StandardStream.err("herald-bench publish: the body template has no {ts}: subscribers will measure no latency")
        }
        let limit = durationLimit ?? ratePerSecond.map { BenchDuration(seconds: Double(count) / $0 + 60) }
            ?? BenchDuration(seconds: 300)
        let settings: PublishSettings
        let loop: EventLoop
        do {
            settings = PublishSettings(
                url: url, address: try url.resolve(), count: count, rate: ratePerSecond,
                concurrency: concurrency, template: template, contentType: contentType, headers: headers,
                connectTimeout: connectTimeout, durationLimit: limit, label: label)
            loop = try EventLoop()
        } catch {
            StandardStream.err("herald-bench publish: \(error)")
            throw ExitCode(2)
        }

        let run = PublishRun(settings: settings, loop: loop)
        do {
            try run.run()
        } catch {
            StandardStream.err("herald-bench publish: \(error)")
            throw ExitCode(2)
        }
        let result = PublishReport(run)
        StandardStream.out(result.summary)
        if let report { try ReportFile.write(result, to: report) }
        if result.answered == 0 { throw ExitCode(1) }
    }
}
