/// The effective settings as proxy.conf text: what `herald --check --print` shows.
///
/// Every key of every section Herald reads, in reading order, defaults filled in, so the output
/// answers "what is this instance running with?" without reading the defaults out of the docs.
/// Secrets (`publish.token`, `publish.signing_secrets`, the Redis password) print as `"***"`, so
/// the output can be pasted into an issue; parsing the text gives the settings back, each secret
/// replaced by `***` (`HeraldSettingsPrintingTests`).
extension HeraldSettings {
    /// A key with no value to print (an optional left unset) is a comment naming it.
    public func configText() -> String {
        var out = TOMLWriter()
        let secret = #""***""#

        out.section("server")
        out.key("listen", string: server.listen.description)
        out.key("threads", "\(server.threads)")
        out.key("header_timeout", string: server.headerTimeout.configText)
        out.key("idle_timeout", string: server.idleTimeout.configText)
        out.key("max_request_line_bytes", bytes: UInt64(server.maxRequestLineBytes))
        out.key("max_header_bytes", bytes: UInt64(server.maxHeaderBytes))
        out.key("max_body_bytes", bytes: server.maxBodyBytes)
        out.key("max_connections", "\(server.maxConnections)")
        out.key("health_path", string: server.healthPath)
        out.key("drain_spread", string: server.drainSpread.configText)
        out.key("shutdown_grace", string: server.shutdownGrace.configText)
        out.key("trusted_proxies", strings: server.trustedProxies.ranges.map(\.description))
        out.key("proxy_protocol", "\(server.proxyProtocol)")
        out.key("pid_file", string: server.pidFile)

        out.section("upstream")
        out.key("url", string: upstream.url.description)
        out.key("connect_timeout", string: upstream.connectTimeout.configText)
        out.key("timeout", string: upstream.timeout.configText)
        out.key("max_idle_connections", "\(upstream.maxIdleConnections)")
        out.key("idle_timeout", string: upstream.idleTimeout.configText)

        out.section("events")
        out.key("path", string: events.path)
        out.key("heartbeat", string: events.heartbeat.configText)
        out.key("retry", string: events.retry.configText)
        out.key("history_size", "\(events.historySize)")
        out.key("history_ttl", string: events.historyTTL.configText)
        out.key("max_buffered_bytes", bytes: UInt64(events.maxBufferedBytes))
        out.key("padding_bytes", bytes: UInt64(events.paddingBytes))
        out.key("reset_event", string: events.resetEvent)
        out.key("allow_origins", strings: (events.allowOrigins.allowsAny ? ["*"] : []) + events.allowOrigins.origins.sorted())
        out.key("client_script", "\(events.clientScript)")
        out.key("authorize", string: events.authorize.rawValue)
        out.key("authorize_path", string: events.authorizePath)
        out.key("public_channels", strings: events.publicChannels.patterns)
        out.key("reauthorize_every", string: events.reauthorizeEvery.configText)
        out.key("grip", "\(events.grip)")

        out.section("publish")
        out.key("listen", string: publish.listen.description)
        if publish.tokenFile.isEmpty {
            out.key("token", publish.token.isEmpty ? #""""# : secret)
            out.key("token_file", string: "")
        } else {
            out.comment("token: read from token_file")
            out.key("token_file", string: publish.tokenFile)
        }
        out.key("max_body_bytes", bytes: UInt64(publish.maxBodyBytes))
        out.key("signing_secrets", "[" + publish.signingSecrets.map { _ in secret }.joined(separator: ", ") + "]")
        out.key("signing_secrets_file", string: publish.signingSecretsFile.path)
        out.key("require_signature", "\(publish.requireSignature)")
        out.key("signature_tolerance", string: publish.signatureTolerance.configText)

        out.section("limits")
        out.key("max_subscribers", "\(limits.maxSubscribers)")
        out.key("max_subscribers_per_ip", "\(limits.maxSubscribersPerIP)")
        out.key("max_channels_per_connection", "\(limits.maxChannelsPerConnection)")
        out.key("stream_opens_per_second", "\(limits.streamOpensPerSecond)")
        out.key("max_pending_events", "\(limits.maxPendingEvents)")

        out.section("log")
        out.key("level", string: log.level.rawValue)
        out.key("access", string: log.access.rawValue)
        out.key("format", string: log.format.rawValue)

        if let redis {
            out.section("redis")
            // The URLs print without their passwords either way; `password` below carries it.
            if redis.urls.count == 1 {
                out.key("url", string: redis.urls[0].description)
            } else {
                out.key("urls", strings: redis.urls.map(\.description))
            }
            if let username = redis.username { out.key("username", string: username) } else { out.comment("username: not set") }
            if !redis.passwordFile.isEmpty {
                out.comment("password: read from password_file")
                out.key("password_file", string: redis.passwordFile)
            } else if redis.password != nil {
                out.key("password", secret)
            } else {
                out.comment("password: not set")
            }
            out.key("connect_timeout", string: redis.connectTimeout.configText)
            out.key("command_timeout", string: redis.commandTimeout.configText)
            out.key("key_prefix", string: redis.keyPrefix)
            out.key("reconnect_min", string: redis.reconnectMin.configText)
            out.key("reconnect_max", string: redis.reconnectMax.configText)
        } else {
            out.blank()
            out.comment("[redis]: not configured (one instance)")
        }

        for route in publish.routes {
            out.tableArrayEntry("publish.routes")
            out.key("path", string: route.path)
            out.key("channel", string: route.webhook.channel.description)
            if let event = route.webhook.event { out.key("event", string: event.description) } else { out.comment("event: not set") }
            if let id = route.webhook.id { out.key("id", string: id.description) } else { out.comment("id: not set") }
        }
        return out.text
    }
}

/// Writes TOML line by line: sections, `key = value` lines and comments.
struct TOMLWriter {
    private(set) var text = ""

    /// A byte TOML allows in a bare key: A–Z, a–z, 0–9, `_` and `-`.
    static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"): true
        default: false
        }
    }

    mutating func section(_ name: String) {
        blank()
        text += "[\(name)]\n"
    }

    mutating func tableArrayEntry(_ name: String) {
        blank()
        text += "[[\(name)]]\n"
    }

    mutating func blank() {
        if !text.isEmpty { text += "\n" }
    }

    /// `value` is TOML already.
    mutating func key(_ key: String, _ value: String) {
        text += "\(key) = \(value)\n"
    }

    mutating func key(_ key: String, string value: String) {
        self.key(key, Self.string(value))
    }

    mutating func key(_ key: String, strings values: [String]) {
        self.key(key, "[" + values.map(Self.string).joined(separator: ", ") + "]")
    }

    /// A size as proxy.conf writes it: `"64KiB"`, or an integer when no binary unit divides it.
    mutating func key(_ key: String, bytes: UInt64) {
        let text = ByteCount.text(for: bytes)
        self.key(key, text.last?.isNumber == true ? text : Self.string(text))
    }

    mutating func comment(_ text: String) {
        self.text += "# \(text)\n"
    }

    /// A TOML basic string: quotes, backslashes and control characters escaped.
    static func string(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
