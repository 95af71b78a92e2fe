import ArgumentParser
import Foundation
import HeraldConfig
import HeraldServer
import Logging

/// The `herald` command: flags (or their `HERALD_*` variables) → proxy.conf → logging → serve until
/// a signal has drained it; SIGHUP reads proxy.conf again (`herald reload` sends it).
@main
struct Herald: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "A reverse proxy that adds Server-Sent Events to an existing web app.",
        discussion: """
            Each option may instead be set by its environment variable, named in its help; the command line wins. \
            SIGHUP (or `herald reload`) re-reads the configuration without closing a connection.
            """,
        version: HeraldVersion.number,
        subcommands: [Reload.self]
    )

    @OptionGroup var configFile: ConfigFileOption

    @Option(name: .long, help: "Public listener, host:port (overrides server.listen). Env: HERALD_LISTEN.")
    var listen: String?

    @Option(name: .long, help: "Upstream app, http://host:port (overrides upstream.url). Env: HERALD_UPSTREAM.")
    var upstream: String?

    @Option(name: .customLong("publish-listen"), help: "Publish listener, host:port (overrides publish.listen). Env: HERALD_PUBLISH_LISTEN.")
    var publishListen: String?

    @Flag(name: .long, help: "Validate the configuration and exit. Env: HERALD_CHECK=1.")
    var check = false

    @Flag(name: .customLong("print"),
          help: "Print the effective settings as proxy.conf text (every key, defaults filled in, secrets as ***) and exit; implies --check. Env: HERALD_PRINT=1.")
    var printSettings = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let settings: HeraldSettings
        let configPath: String?
        let overrides: SettingsOverrides
        let check: Bool
        let printSettings: Bool
        let activation: SocketActivation
        do {
            var sources: [String: String] = [:]
            func given(_ value: String?, _ flag: String) -> String? {
                guard let (text, source) = Self.option(value, flag: flag, environment: environment) else { return nil }
                if source != flag { sources[flag] = source }
                return text
            }
            configPath = given(configFile.config, "--config")
            var given = SettingsOverrides(
                listen: given(listen, "--listen"), upstream: given(upstream, "--upstream"),
                publishListen: given(publishListen, "--publish-listen"))
            printSettings = try Self.flag(self.printSettings, flag: "--print", environment: environment)
            check = try Self.flag(self.check, flag: "--check", environment: environment) || printSettings
            given.sources = sources
            overrides = given
            settings = try Self.load(configPath, overrides)
            activation = try SocketActivation(environment: environment, pid: getpid())
            for name in SocketActivation.variables { unsetenv(name) }
        } catch let error as CustomStringConvertible {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
        if printSettings {
            print("# The effective settings of \(configPath ?? "the defaults") (herald \(HeraldVersion.number)); secrets as ***.")
            print(settings.configText(), terminator: "")
            return
        }
        if check {
            print("\(configPath ?? "configuration"): ok")
            return
        }

        let control = LogControl(settings.log)
        LoggingSystem.bootstrap { label in ReloadableLogHandler(label: label, control: control) }
        let logger = Logger(label: "herald")
        let reloading = HeraldServer.Reloading(read: { try Self.load(configPath, overrides) }, applyLog: control.apply)
        do {
            try HeraldServer(settings: settings, logger: logger, reloading: reloading, activation: activation).run()
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
    }

    /// proxy.conf at `path` (the defaults without one), with the command line's overrides.
    static func load(_ path: String?, _ overrides: SettingsOverrides) throws(ConfigError) -> HeraldSettings {
        let base = try path.map { path throws(ConfigError) in try ConfigLoader.load(path: path) } ?? HeraldSettings()
        return try base.applying(overrides)
    }
}

/// `--config`, shared by `herald` and `herald reload` (an option of both is parsed once, for both).
struct ConfigFileOption: ParsableArguments {
    @Option(name: .long, help: "Path of the TOML configuration file (proxy.conf). Env: HERALD_CONFIG.")
    var config: String?
}
