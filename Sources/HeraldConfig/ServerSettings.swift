/// `[server]`: the public listener, its event loops, and the bounds on each downstream connection.
public struct ServerSettings: Sendable, Equatable {
    /// `listen`, "host:port": the public listener. Default `0.0.0.0:8080`, every IPv4 interface, as a
    /// proxy in front of a web app is meant to be reached.
    public var listen = ListenAddress(host: "0.0.0.0", port: 8080)
    /// `threads`: event loops, each on its own thread; 0 = one per core. Default 0. Range 0–256.
    public var threads = 0
    /// `header_timeout`: time for a request head to arrive in full before `408` and close. Default
    /// 10 s, a bound on slow-head (slowloris) clients that any real client meets easily.
    public var headerTimeout = Duration.seconds(10)
    /// `idle_timeout`: how long a keep-alive connection may wait for its next request. Default 60 s.
    public var idleTimeout = Duration.seconds(60)
    /// `max_request_line_bytes`: longest request line, in bytes, before `414`. Default 8 KiB, as
    /// nginx: enough for any URL a browser sends. At most `maxHeaderBytes`.
    public var maxRequestLineBytes = 8 * 1024
    /// `max_header_bytes`: longest request head (request line and fields), in bytes, before `431`.
    /// Default 64 KiB: room for large cookies while bounding memory per connection.
    public var maxHeaderBytes = 64 * 1024
    /// `max_body_bytes`: largest request body, in bytes, before `413`. Default 1 GiB; bodies are
    /// streamed, so this bounds what the upstream receives, not Herald's memory.
    public var maxBodyBytes: UInt64 = 1 << 30
    /// `max_connections`: downstream connections per process; beyond it accepting pauses until
    /// one closes. Default 16384, below the usual open-file limits with room for upstream sockets.
    public var maxConnections = 16_384
    /// `health_path`: a path on the public listener answered by Herald itself, for a load
    /// balancer's or a kubelet's readiness check: 200 while serving, 503 while draining or while
    /// Redis (when configured) is unreachable. "" (the default): off, every path is the app's.
    public var healthPath = ""
    /// `drain_spread`: when Herald ends streams together (SIGTERM, `DELETE /channels/<channel>`),
    /// each first gets a `retry:` drawn at random over this window, so their browsers reconnect
    /// spread over it, not in one storm. "0s": no `retry:`. Default 10 s.
    public var drainSpread = Duration.seconds(10)
    /// `shutdown_grace`: on SIGTERM or SIGINT, how long exchanges in flight get to finish before
    /// their connections are closed. Default 10 s, the usual grace of process supervisors.
    public var shutdownGrace = Duration.seconds(10)

    /// `trusted_proxies`: addresses and CIDR ranges (IPv4, IPv6) of load balancers or proxies in
    /// front of Herald. From these peers X-Forwarded-Proto and -Host are kept, and the client is the
    /// right-most X-Forwarded-For entry not in the list. Default empty: every peer is the client.
    public var trustedProxies = TrustedProxies()
    /// `proxy_protocol`: every connection on the public listener starts with a PROXY protocol
    /// header (v1 or v2, as HAProxy, AWS NLB and nginx send it) naming the client. Default false.
    public var proxyProtocol = false
    /// `pid_file`: where Herald writes its process id once it serves (removed when it stops), so
    /// `herald reload` can find it. "" (the default): none.
    public var pidFile = ""

    /// Every setting at its default.
    public init() {}
}
