import TOMLKit

/// Every key of proxy.conf: its section, its name, the field it sets and the values it accepts.
/// Defaults are not repeated here; they are the initial values of the `…Settings` types.
extension HeraldSettings {
    /// A timeout of zero would fire at once; a day is beyond any sensible wait on a peer.
    static let timeoutRange = Duration.milliseconds(1)...Duration.seconds(86_400)
    /// An hour: the longest useful `heartbeat` or `retry`; `history_ttl` may reach 720 of them (30 days).
    static let hour = Duration.seconds(3600)

    /// Every key proxy.conf may hold, as `section.key`, in reading order; arrays of tables such as
    /// `[[publish.routes]]` are in `ConfigReader.knownTableArrays`.
    static var knownKeys: [String] {
        var reader = ConfigReader(root: TOMLTable(), fileName: "")
        _ = HeraldSettings(reading: &reader)
        return reader.knownKeys.flatMap { entry in entry.keys.map { "\(entry.section).\($0)" } }
    }

    /// Reads every key `reader`'s file has, leaving defaults where a key is absent or refused.
    init(reading reader: inout ConfigReader) {
        self.init()
        reader.read("server", "listen", into: &server.listen, .listenAddress)
        reader.read("server", "threads", into: &server.threads, .integer(in: 0...256))
        reader.read("server", "header_timeout", into: &server.headerTimeout, .duration(in: Self.timeoutRange))
        reader.read("server", "idle_timeout", into: &server.idleTimeout, .duration(in: Self.timeoutRange))
        // Both bound memory per connection; a head of 16 MiB is far beyond what any client sends.
        reader.read("server", "max_request_line_bytes", into: &server.maxRequestLineBytes, .byteCount(in: 64...(1 << 20)))
        reader.read("server", "max_header_bytes", into: &server.maxHeaderBytes, .byteCount(in: 1024...(16 << 20)))
        reader.read("server", "max_body_bytes", into: &server.maxBodyBytes, .byteCount(in: 0...UInt64(Int64.max)))
        reader.read("server", "max_connections", into: &server.maxConnections, .integer(in: 1...1_000_000))
        reader.read("server", "health_path", into: &server.healthPath, .healthPath)
        // An hour: past it a browser would seem to have been dropped, not spread.
        reader.read("server", "drain_spread", into: &server.drainSpread, .duration(in: .zero...Self.hour))
        // Zero grace is allowed: close everything at once.
        reader.read("server", "shutdown_grace", into: &server.shutdownGrace, .duration(in: .zero...Self.timeoutRange.upperBound))
        reader.read("server", "trusted_proxies", into: &server.trustedProxies, .trustedProxies)
        reader.read("server", "proxy_protocol", into: &server.proxyProtocol, .boolean)
        reader.read("server", "pid_file", into: &server.pidFile, .string(expected: "a file path, or \"\" (none)") { $0 })

        reader.read("upstream", "url", into: &upstream.url, .upstreamURL)
        reader.read("upstream", "connect_timeout", into: &upstream.connectTimeout, .duration(in: Self.timeoutRange))
        reader.read("upstream", "timeout", into: &upstream.timeout, .duration(in: Self.timeoutRange))
        reader.read("upstream", "max_idle_connections", into: &upstream.maxIdleConnections, .integer(in: 0...65_536))
        reader.read("upstream", "idle_timeout", into: &upstream.idleTimeout, .duration(in: Self.timeoutRange))

        reader.read("events", "path", into: &events.path, .subscribePath)
        // Below a second heartbeats would be most of the traffic; past an hour no idle timeout is outlived.
        reader.read("events", "heartbeat", into: &events.heartbeat, .duration(in: .seconds(1)...Self.hour))
        reader.read("events", "retry", into: &events.retry, .duration(in: .zero...Self.hour))
        reader.read("events", "history_size", into: &events.historySize, .integer(in: 0...1_000_000))
        reader.read("events", "history_ttl", into: &events.historyTTL, .duration(in: .seconds(1)...(Self.hour * 720)))
        // Below 4 KiB one large event would cut its subscriber; past 1 GiB a stalled client costs too much.
        reader.read("events", "max_buffered_bytes", into: &events.maxBufferedBytes, .byteCount(in: (4 << 10)...(1 << 30)))
        reader.read("events", "padding_bytes", into: &events.paddingBytes, .byteCount(in: 0...(64 << 10)))
        reader.read("events", "reset_event", into: &events.resetEvent, .eventType(maxBytes: 64))
        reader.read("events", "allow_origins", into: &events.allowOrigins, .originList)
        reader.read("events", "client_script", into: &events.clientScript, .boolean)
        reader.read("events", "authorize", into: &events.authorize, .oneOf)
        reader.read("events", "authorize_path", into: &events.authorizePath, .authorizePath)
        reader.read("events", "public_channels", into: &events.publicChannels, .channelPatternList)
        // Below a second the app would answer little else; a day is the longest a revoked user may keep listening.
        reader.read("events", "reauthorize_every", into: &events.reauthorizeEvery, .durationOrOff(in: .seconds(1)...Self.timeoutRange.upperBound))
        reader.read("events", "grip", into: &events.grip, .boolean)

        reader.read("publish", "listen", into: &publish.listen, .listenAddress)
        reader.read("publish", "token", into: &publish.token, .token)
        var tokenFile = TokenFile()
        reader.read("publish", "token_file", into: &tokenFile, .tokenFile)
        if !tokenFile.path.isEmpty {
            if !publish.token.isEmpty {
                reader.report("publish", "token_file", ConfigValueError(expected: "token or token_file, not both", got: "both"))
            } else {
                publish.token = tokenFile.token
                publish.tokenFile = tokenFile.path
            }
        }
        reader.read("publish", "max_body_bytes", into: &publish.maxBodyBytes, .byteCount(in: (1 << 10)...(64 << 20)))
        reader.readTables("publish", "routes", into: &publish.routes, PublishRoute.read)
        reader.read("publish", "signing_secrets", into: &publish.signingSecrets, .signingSecrets)
        reader.read("publish", "signing_secrets_file", into: &publish.signingSecretsFile, .signingSecretsFile)
        reader.read("publish", "require_signature", into: &publish.requireSignature, .boolean)
        // Below a second, clock skew alone refuses honest senders; past an hour a captured request stays replayable too long.
        reader.read("publish", "signature_tolerance", into: &publish.signatureTolerance, .duration(in: .seconds(1)...Self.hour))

        reader.read("limits", "max_subscribers", into: &limits.maxSubscribers, .integer(in: 1...10_000_000))
        reader.read("limits", "max_subscribers_per_ip", into: &limits.maxSubscribersPerIP, .integer(in: 1...10_000_000))
        reader.read("limits", "max_channels_per_connection", into: &limits.maxChannelsPerConnection, .integer(in: 1...1000))
        reader.read("limits", "stream_opens_per_second", into: &limits.streamOpensPerSecond, .integer(in: 0...10_000_000))
        reader.read("limits", "max_pending_events", into: &limits.maxPendingEvents, .integer(in: 1...10_000_000))

        reader.read("log", "level", into: &log.level, .oneOf)
        reader.read("log", "access", into: &log.access, .oneOf)
        reader.read("log", "format", into: &log.format, .oneOf)

        redis = RedisSettings.read(&reader)
    }
}
