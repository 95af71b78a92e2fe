import Foundation

/// One Redis server, from `redis.url` or an entry of `redis.urls`:
/// `redis://[user[:password]@]host[:port][/db]` (port 6379 and database 0 when left out) or
/// `unix:/path/to.sock` (also `unix:///path/to.sock`) with an optional `?db=N`.
///
/// The password is a secret: `description` shows `***` in its place, and a refused URL is quoted
/// with its user info hidden. `rediss://` is refused: Herald has no TLS to Redis yet.
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    /// Where a Redis server listens.
    public enum Endpoint: Sendable, Equatable {
        /// A host name, an IPv4 address or an IPv6 address (without brackets), and a port.
        case tcp(host: String, port: UInt16)
        /// The path of a Unix domain socket.
        case unix(path: String)
    }

    public var endpoint: Endpoint
    /// The database selected after connecting (`SELECT`), 0 unless the URL names another.
    public var database: Int
    /// The ACL user to authenticate as (`AUTH username password`, Redis 6); nil: the default user.
    public var username: String?
    /// The password sent with `AUTH`; nil: no `AUTH`.
    public var password: String?

    public init(endpoint: Endpoint, database: Int = 0, username: String? = nil, password: String? = nil) {
        self.endpoint = endpoint
        self.database = database
        self.username = username
        self.password = password
    }

    /// Redis's own port, used when a `redis://` URL names none.
    public static let defaultPort: UInt16 = 6379
    /// Redis numbers databases with a C int; the server's `databases` setting (16 by default) is
    /// the real limit, which only the server knows, so `SELECT` reports a number beyond it.
    static let databaseRange = 0...Int(Int32.max)
    /// `sun_path` holds the socket's path and its terminating NUL: 108 bytes on Linux, 104 on macOS.
    static let maxSocketPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// What `init(parsing:)` accepts, as shown in messages.
    static let expectedForm = #"a Redis URL such as "redis://127.0.0.1:6379/0" or "unix:/run/redis.sock""#

    /// Parses a `redis://` or `unix:` URL (the scheme in either case); an error says what was
    /// expected and never repeats a password.
    public init(parsing text: String) throws(ConfigValueError) {
        func failure(_ detail: String = "") -> ConfigValueError {
            ConfigValueError(expected: Self.expectedForm + detail, got: ConfigValueError.quoted(Self.redacted(text)))
        }
        let lowered = text.lowercased()
        if lowered.hasPrefix("redis://") {
            try self.init(afterTCPScheme: text.dropFirst("redis://".count), failure)
        } else if lowered.hasPrefix("unix:") {
            try self.init(afterUnixScheme: text.dropFirst("unix:".count), failure)
        } else if lowered.hasPrefix("rediss://") {
            throw failure(" (TLS to Redis, rediss://, is not supported yet: use redis:// on a trusted network or a tunnel)")
        } else {
            throw failure()
        }
    }

    /// `[user[:password]@]host[:port][/db]`.
    private init(afterTCPScheme rest: Substring, _ failure: (String) -> ConfigValueError) throws(ConfigValueError) {
        let authority = rest.prefix { !"/?#".contains($0) }
        let path = rest.dropFirst(authority.count)
        if path.contains("?") || path.contains("#") {
            throw failure(" with no query or fragment (the database goes in the path, as /0)")
        }
        var database = 0
        if path.count > 1 {
            guard let number = Self.database(path.dropFirst()) else {
                throw failure(" with a database number from 0 to \(Self.databaseRange.upperBound) after the /")
            }
            database = number
        }
        var hostAndPort = authority
        var username: String?
        var password: String?
        // The last "@" ends the user info: an unencoded "@" in a password is then still read right.
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostAndPort = authority[authority.index(after: at)...]
            let colon = userInfo.firstIndex(of: ":")
            guard let user = (colon.map { userInfo[..<$0] } ?? userInfo).removingPercentEncoding,
                  let secret = colon.map({ userInfo[userInfo.index(after: $0)...].removingPercentEncoding }) ?? ""
            else {
                throw failure(" with the user name and password percent-encoded as UTF-8 (%XX)")
            }
            username = user.isEmpty ? nil : user
            password = secret.isEmpty ? nil : secret
        }
        let parsed: URLAuthority
        do throws(URLAuthority.Problem) {
            parsed = try URLAuthority(parsing: hostAndPort)
        } catch {
            throw failure(error.detail)
        }
        self.init(endpoint: .tcp(host: parsed.host, port: parsed.port ?? Self.defaultPort),
                  database: database, username: username, password: password)
    }

    /// `/path/to.sock` or `///path/to.sock`, then an optional `?db=N`.
    private init(afterUnixScheme rest: Substring, _ failure: (String) -> ConfigValueError) throws(ConfigValueError) {
        // "unix://" may only start an empty authority: "unix:///path".
        let path = rest.hasPrefix("//") ? rest.dropFirst(2) : rest
        let socket = path.prefix { $0 != "?" && $0 != "#" }
        let query = path.dropFirst(socket.count)
        guard socket.hasPrefix("/") else {
            throw failure(" with an absolute socket path, as unix:/path or unix:///path")
        }
        guard socket.utf8.count <= Self.maxSocketPathBytes else {
            throw failure(" with a socket path of at most \(Self.maxSocketPathBytes) bytes")
        }
        var database = 0
        if !query.isEmpty {
            guard query.hasPrefix("?db="), let number = Self.database(query.dropFirst("?db=".count)) else {
                throw failure(" with nothing after the path but ?db=N, N from 0 to \(Self.databaseRange.upperBound)")
            }
            database = number
        }
        self.init(endpoint: .unix(path: String(socket)), database: database)
    }

    /// 1–10 decimal digits naming a database in `databaseRange`.
    private static func database(_ digits: Substring) -> Int? {
        guard (1...10).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let number = Int(digits), databaseRange.contains(number) else { return nil }
        return number
    }

    /// `redis://user:***@host:port/db` (the user percent-encoded, no `@` without credentials) or
    /// `unix:/path?db=N`: never the password, so it can go in a log line.
    public var description: String {
        switch endpoint {
        case .tcp(let host, let port):
            var userInfo = ""
            if username != nil || password != nil {
                let user = username?.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? ""
                userInfo = user + (password == nil ? "" : ":***") + "@"
            }
            return "redis://\(userInfo)\(URLAuthority.text(host: host, port: port))/\(database)"
        case .unix(let path):
            return "unix:\(path)?db=\(database)"
        }
    }

    /// True when both name one server: a TCP host (in any case) and port, or a socket path.
    /// Databases are not compared: they share the server and its pub/sub channels.
    func isSameServer(as other: RedisURL) -> Bool {
        switch (endpoint, other.endpoint) {
        case let (.tcp(host, port), .tcp(otherHost, otherPort)):
            host.lowercased() == otherHost.lowercased() && port == otherPort
        case let (.unix(path), .unix(otherPath)):
            path == otherPath
        default:
            false
        }
    }

    /// RFC 3986's unreserved characters, the only ones a user name is shown with unencoded.
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// `text` with everything before its last `@` but the scheme hidden as `***`, to quote a refused
    /// URL: whatever the mistake, a password (even one holding an unencoded "/") is never shown.
    static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        let beforeAt = text[..<at]
        let scheme = beforeAt.range(of: "://").map { beforeAt[..<$0.upperBound] } ?? ""
        return scheme + "***" + text[at...]
    }
}
