import ArgumentParser

/// `herald-bench`: the load tool of Herald's benchmarks. SSE subscribers and publishers on one
/// libevent loop per process; see benchmarks/README.md.
@main
struct HeraldBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald-bench",
        abstract: "Load generator for SSE fan-out benchmarks: subscribers and publishers.",
        subcommands: [SubscribeCommand.self, PublishCommand.self]
    )
}
