/// Every key of `[redis]`, then the rules across them.
///
/// Those rules are checked here rather than in `HeraldSettings.crossKeyProblems()`: they depend on
/// which keys the file has (`url` or `urls`, `password` or `password_file`), which the settings no
/// longer say. As there, a rule over a refused key is not reported.
extension RedisSettings {
    /// Servers one `urls` may list: each costs every instance its own connections, and past a few
    /// dozen servers Redis Cluster is the better tool.
    static let maxShards = 64
    /// A prefix starts every key and pub/sub channel name; 64 bytes name any deployment.
    static let maxKeyPrefixBytes = 64

    /// Reads `[redis]`: nil when the file has no such section.
    static func read(_ reader: inout ConfigReader) -> RedisSettings? {
        let section = "redis"
        var settings = RedisSettings(urls: [])
        var url: RedisURL?
        var urls: [RedisURL]?
        var passwordFile: PasswordFile?
        reader.read(section, "url", into: &url, .redisURL)
        reader.read(section, "urls", into: &urls, .redisURLs(maxCount: maxShards))
        reader.read(section, "username", into: &settings.username, .optionalString)
        reader.read(section, "password", into: &settings.password, .password)
        reader.read(section, "password_file", into: &passwordFile, .passwordFile)
        reader.read(section, "connect_timeout", into: &settings.connectTimeout, .duration(in: HeraldSettings.timeoutRange))
        // Below a second, an ordinary pause of a healthy server would fail publishes.
        reader.read(section, "command_timeout", into: &settings.commandTimeout, .duration(in: .seconds(1)...HeraldSettings.hour))
        reader.read(section, "key_prefix", into: &settings.keyPrefix, .keyPrefix(maxBytes: maxKeyPrefixBytes))
        // Zero would reconnect in a busy loop; past an hour an instance stays cut off long after Redis is back.
        let backoffRange = Duration.milliseconds(1)...HeraldSettings.hour
        reader.read(section, "reconnect_min", into: &settings.reconnectMin, .duration(in: backoffRange))
        reader.read(section, "reconnect_max", into: &settings.reconnectMax, .duration(in: backoffRange))
        guard reader.hasSection(section) else { return nil }

        settings.urls = url.map { [$0] } ?? urls ?? []
        if reader.has(section, "url") && reader.has(section, "urls") {
            reader.report(section, "urls", ConfigValueError(
                expected: "either url or urls, not both (urls lists every server, one per shard)", got: "both"))
        } else if !reader.has(section, "url") && !reader.has(section, "urls") {
            reader.report(section, "url", ConfigValueError(
                expected: #"a Redis URL such as "redis://127.0.0.1:6379/0" (or urls, one per shard)"#, got: "none"))
        }
        if let passwordFile {
            if settings.password != nil {
                reader.report(section, "password_file", ConfigValueError(
                    expected: "either password or password_file, not both", got: ConfigValueError.quoted(passwordFile.path)))
            }
            settings.password = settings.password ?? passwordFile.password
            settings.passwordFile = passwordFile.path
        }
        if settings.reconnectMax < settings.reconnectMin && reader.refusedKeys.isDisjoint(with: ["redis.reconnect_min", "redis.reconnect_max"]) {
            reader.report(section, "reconnect_max", ConfigValueError(
                expected: "at least reconnect_min (\(settings.reconnectMin.configText))",
                got: ConfigValueError.quoted(settings.reconnectMax.configText)))
        }
        if reader.refusedKeys.isDisjoint(with: ["redis.password", "redis.password_file"]) {
            settings.reportUsersWithoutPassword(&reader, urlKey: reader.has(section, "url") ? "url" : "urls")
        }
        return settings
    }

    /// `AUTH` takes a user name only with a password: reports each URL naming a user without one
    /// to go with it, and `username` when some server would get it alone.
    private func reportUsersWithoutPassword(_ reader: inout ConfigReader, urlKey: String) {
        var usernameAlone = false
        for (index, shard) in shards.enumerated() where shard.username != nil && shard.password == nil {
            guard urls[index].username != nil else {
                usernameAlone = true
                continue
            }
            let entry = urlKey == "urls" ? " at entry \(index + 1)" : ""
            reader.report("redis", urlKey, ConfigValueError(
                expected: "a password with the user name (in the URL, password or password_file)\(entry)",
                got: ConfigValueError.quoted(shard.description)))
        }
        if usernameAlone, let username {
            reader.report("redis", "username", ConfigValueError(
                expected: "a password to go with it (password, password_file or in each URL)",
                got: ConfigValueError.quoted(username)))
        }
    }
}
