import TOMLKit

/// Every key of proxy.conf: its section, its name, the field it sets and the values it accepts.
/// Defaults are not repeated here; they are the initial values of the `…Settings` types.
extension HeraldSettings {
    /// A timeout of zero would fire at once; a day is beyond any sensible wait on a peer.
    static let timeoutRange = Duration.milliseconds(1)...Duration.seconds(86_400)

    /// Every key proxy.conf may hold, as `section.key`, in reading order.
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
        // Zero grace is allowed: close everything at once.
        reader.read("server", "shutdown_grace", into: &server.shutdownGrace, .duration(in: .zero...Self.timeoutRange.upperBound))

        reader.read("upstream", "url", into: &upstream.url, .upstreamURL)
        reader.read("upstream", "connect_timeout", into: &upstream.connectTimeout, .duration(in: Self.timeoutRange))
        reader.read("upstream", "timeout", into: &upstream.timeout, .duration(in: Self.timeoutRange))
        reader.read("upstream", "max_idle_connections", into: &upstream.maxIdleConnections, .integer(in: 0...65_536))
        reader.read("upstream", "idle_timeout", into: &upstream.idleTimeout, .duration(in: Self.timeoutRange))

        reader.read("publish", "listen", into: &publish.listen, .listenAddress)
        reader.read("publish", "token", into: &publish.token, .token)

        reader.read("log", "level", into: &log.level, .oneOf)
        reader.read("log", "access", into: &log.access, .oneOf)
    }
}
