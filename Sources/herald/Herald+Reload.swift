import ArgumentParser
import Foundation
import HeraldConfig

extension Herald {
    /// `herald reload`: checks proxy.conf, then sends SIGHUP to the Herald whose pid file
    /// (`server.pid_file`) it names, which re-reads it. A file with problems is reported here and
    /// nothing is sent, so the running server never even sees it.
    struct Reload: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the configuration, then make the running herald re-read it (SIGHUP).")

        @OptionGroup var configFile: ConfigFileOption

        @Option(name: .customLong("pid-file"), help: "Pid file of the running herald (overrides server.pid_file). Env: HERALD_PID_FILE.")
        var pidFile: String?

        func run() throws {
            let environment = ProcessInfo.processInfo.environment
            let path = Herald.option(configFile.config, flag: "--config", environment: environment)?.value
            let settings: HeraldSettings
            do {
                settings = try Herald.load(path, SettingsOverrides())
            } catch {
                fail(error.description + "\nreload not sent: the running herald keeps its settings", status: 2)
            }
            let pidPath = Herald.option(pidFile, flag: "--pid-file", environment: environment)?.value ?? settings.server.pidFile
            guard !pidPath.isEmpty else {
                fail("\(path ?? "configuration"): server.pid_file is not set, so the running herald cannot be found (or give --pid-file)", status: 1)
            }
            guard let text = try? String(contentsOfFile: pidPath, encoding: .utf8),
                  let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else {
                fail("\(pidPath): cannot read a process id (is herald running?)", status: 1)
            }
            guard kill(pid, SIGHUP) == 0 else {
                fail("cannot signal herald (pid \(pid) from \(pidPath)): \(String(cString: strerror(errno)))", status: 1)
            }
            print("\(path ?? "configuration"): ok; herald (pid \(pid)) is reloading; its log says what changed")
        }

        private func fail(_ message: String, status: Int32) -> Never {
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(status)
        }
    }
}
