/// Command-line flags that override proxy.conf: `--listen`, `--upstream`, `--publish-listen`.
/// A flag left `nil` keeps the file's (or the default) value. A value may also come from the flag's
/// `HERALD_*` environment variable; `sources` then names the variable in messages.
public struct SettingsOverrides: Sendable, Equatable {
    /// `--listen`, "host:port": overrides `server.listen`.
    public var listen: String?
    /// `--upstream`, "http://host:port": overrides `upstream.url`.
    public var upstream: String?
    /// `--publish-listen`, "host:port": overrides `publish.listen`.
    public var publishListen: String?
    /// Flag → the name its value came by when not the flag itself (`"--listen": "HERALD_LISTEN"`).
    public var sources: [String: String]

    public init(listen: String? = nil, upstream: String? = nil, publishListen: String? = nil,
                sources: [String: String] = [:]) {
        self.listen = listen
        self.upstream = upstream
        self.publishListen = publishListen
        self.sources = sources
    }
}

extension HeraldSettings {
    /// Applies `overrides`, each checked like its key and named after its flag
    /// (`--listen: expected "host:port", got "x"`) or the variable it came from, then runs the cross-key checks again, since a
    /// flag can break a rule the file kept; such a problem starts with the flags involved. Every
    /// problem is reported together; a rule over a refused flag's key is skipped, as in the file.
    public func applying(_ overrides: SettingsOverrides) throws(ConfigError) -> HeraldSettings {
        var settings = self
        var problems: [String] = []
        /// `section.key` → flag, for each flag given.
        var flags: [String: String] = [:]
        /// `section.key` of each flag refused, whose key keeps its old value.
        var refusedKeys: Set<String> = []

        func apply<Value>(_ text: String?, flag: String, key: String,
                          into field: inout Value, _ parse: (String) throws(ConfigValueError) -> Value) {
            guard let text else { return }
            let flag = overrides.sources[flag] ?? flag
            flags[key] = flag
            do {
                field = try parse(text)
            } catch {
                problems.append("\(flag): \(error)")
                refusedKeys.insert(key)
            }
        }
        apply(overrides.listen, flag: "--listen", key: "server.listen", into: &settings.server.listen,
              ListenAddress.init(parsing:))
        apply(overrides.upstream, flag: "--upstream", key: "upstream.url", into: &settings.upstream.url,
              UpstreamURL.init(parsing:))
        apply(overrides.publishListen, flag: "--publish-listen", key: "publish.listen",
              into: &settings.publish.listen, ListenAddress.init(parsing:))
        for problem in settings.crossKeyProblems() where problem.keys.isDisjoint(with: refusedKeys) {
            let involved = problem.keys.compactMap { flags[$0] }.sorted()
            problems.append(involved.isEmpty ? problem.message : "\(involved.joined(separator: ", ")): \(problem.message)")
        }
        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        return settings
    }
}
