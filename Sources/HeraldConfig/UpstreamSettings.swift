/// `[upstream]`: the app requests are forwarded to, and the pool of connections to it.
public struct UpstreamSettings: Sendable, Equatable {
    /// `url`, "http://host:port": the app. Default `http://127.0.0.1:3000`, an app on this machine.
    public var url = UpstreamURL(host: "127.0.0.1", port: 3000)
    /// `connect_timeout`: time to open a connection to the app before `502`. Default 5 s: an app
    /// on the local network answers in milliseconds, so longer means it is down.
    public var connectTimeout = Duration.seconds(5)
    /// `timeout`: time from sending a request to receiving the response head before `504`.
    /// Default 60 s, as nginx's proxy_read_timeout.
    public var timeout = Duration.seconds(60)
    /// `max_idle_connections`: pooled keep-alive connections kept per event loop; 0 = no pooling.
    /// Default 64. Range 0–65536.
    public var maxIdleConnections = 64
    /// `idle_timeout`: a pooled connection unused this long is closed. Default 60 s. Set it below
    /// the app server's own keep-alive timeout, so Herald closes an idle connection first and
    /// never sends a request down one the app is closing.
    public var idleTimeout = Duration.seconds(60)

    /// Every setting at its default.
    public init() {}
}
