/// Where a Redis server listens.
public enum RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// A host name or numeric address (IPv6 with or without brackets) and a port.
    case tcp(host: String, port: UInt16)
    /// A Unix-domain socket's path (`unixsocket` in redis.conf).
    case unix(path: String)

    public var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") && !host.hasPrefix("[") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): "unix:\(path)"
        }
    }
}

/// How to reach and log in to one Redis server.
public struct RedisConnectionOptions: Sendable, Equatable {
    public var endpoint: RedisEndpoint
    /// An ACL user (`AUTH user password`); nil logs in as the default user (`AUTH password`).
    /// Used only with a password.
    public var username: String?
    /// Sent with AUTH before any command; nil sends no AUTH.
    public var password: String?
    /// Selected with SELECT before any command; 0 (the server's default) sends no SELECT.
    public var database: Int
    /// How long the socket connect may take (name resolution, before it, is not bounded: use a
    /// numeric address or a name the resolver answers from /etc/hosts). Default 5 s.
    public var connectTimeout: Duration
    /// How long the oldest command (or the handshake) may wait for its reply before the connection
    /// is closed with `.timeout`. Default 5 s.
    public var commandTimeout: Duration

    public init(endpoint: RedisEndpoint, username: String? = nil, password: String? = nil, database: Int = 0,
                connectTimeout: Duration = .seconds(5), commandTimeout: Duration = .seconds(5)) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }
}
