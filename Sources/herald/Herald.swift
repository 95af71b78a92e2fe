import ArgumentParser
import Foundation
import HeraldConfig
import HeraldServer
import Logging

/// The `herald` command: flags → proxy.conf → logging → serve until a signal has drained it.
@main
struct Herald: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "A reverse proxy that adds Server-Sent Events to an existing web app."
    )

    @Option(name: .long, help: "Path of the TOML configuration file (proxy.conf).")
    var config: String?

    @Option(name: .long, help: "Public listener, host:port (overrides server.listen).")
    var listen: String?

    @Option(name: .long, help: "Upstream app, http://host:port (overrides upstream.url).")
    var upstream: String?

    @Option(name: .customLong("publish-listen"), help: "Publish listener, host:port (overrides publish.listen).")
    var publishListen: String?

    @Flag(name: .long, help: "Validate the configuration and exit.")
    var check = false

    func run() throws {
        let settings: HeraldSettings
        do {
            let base = try config.map { path throws(ConfigError) in try ConfigLoader.load(path: path) } ?? HeraldSettings()
            settings = try base.applying(SettingsOverrides(listen: listen, upstream: upstream, publishListen: publishListen))
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
        if check {
            print("\(config ?? "configuration"): ok")
            return
        }

        let level = Logger.Level(rawValue: settings.log.level.rawValue) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "herald")
        do {
            try HeraldServer(settings: settings, logger: logger).run()
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
    }
}
