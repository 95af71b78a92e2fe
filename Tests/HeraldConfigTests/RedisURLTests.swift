import Testing
@testable import HeraldConfig

@Suite struct RedisURLTests {
    @Test(arguments: [
        ("redis://127.0.0.1", RedisURL(endpoint: .tcp(host: "127.0.0.1", port: 6379))),
        ("redis://127.0.0.1:6380/", RedisURL(endpoint: .tcp(host: "127.0.0.1", port: 6380))),
        ("REDIS://Cache-1.internal:6379/3", RedisURL(endpoint: .tcp(host: "Cache-1.internal", port: 6379), database: 3)),
        ("redis://[::1]:7000/15", RedisURL(endpoint: .tcp(host: "::1", port: 7000), database: 15)),
        ("redis://[fe80::1]", RedisURL(endpoint: .tcp(host: "fe80::1", port: 6379))),
        ("redis://:s3cret@10.0.0.5", RedisURL(endpoint: .tcp(host: "10.0.0.5", port: 6379), password: "s3cret")),
        ("redis://herald:p%40ss%3Aw%2Frd@10.0.0.5:6379/1",
         RedisURL(endpoint: .tcp(host: "10.0.0.5", port: 6379), database: 1, username: "herald", password: "p@ss:w/rd")),
        ("redis://caf%C3%A9@10.0.0.5", RedisURL(endpoint: .tcp(host: "10.0.0.5", port: 6379), username: "café")),
        // The last "@" ends the user info, so an unencoded "@" in a password still reads right.
        ("redis://u:a@b@10.0.0.5", RedisURL(endpoint: .tcp(host: "10.0.0.5", port: 6379), username: "u", password: "a@b")),
        ("redis://u:@10.0.0.5", RedisURL(endpoint: .tcp(host: "10.0.0.5", port: 6379), username: "u")),
        ("unix:/run/redis/redis.sock", RedisURL(endpoint: .unix(path: "/run/redis/redis.sock"))),
        ("unix:///run/redis/redis.sock", RedisURL(endpoint: .unix(path: "/run/redis/redis.sock"))),
        ("UNIX:/tmp/r.sock?db=2", RedisURL(endpoint: .unix(path: "/tmp/r.sock"), database: 2)),
        ("redis://127.0.0.1/2147483647", RedisURL(endpoint: .tcp(host: "127.0.0.1", port: 6379), database: 2_147_483_647)),
    ])
    func aRedisURLParses(text: String, url: RedisURL) throws {
        #expect(try RedisURL(parsing: text) == url)
    }

    @Test(arguments: [
        ("redis://127.0.0.1", "redis://127.0.0.1:6379/0"),
        ("redis://[::1]:7000/15", "redis://[::1]:7000/15"),
        ("redis://:s3cret@10.0.0.5", "redis://:***@10.0.0.5:6379/0"),
        ("redis://herald:s3cret@10.0.0.5/1", "redis://herald:***@10.0.0.5:6379/1"),
        ("redis://a%20user@10.0.0.5", "redis://a%20user@10.0.0.5:6379/0"),
        ("unix:///tmp/r.sock", "unix:/tmp/r.sock?db=0"),
        ("unix:/tmp/r.sock?db=4", "unix:/tmp/r.sock?db=4"),
    ])
    func theDescriptionNeverShowsThePassword(text: String, description: String) throws {
        #expect(try RedisURL(parsing: text).description == description)
    }

    @Test func aUnixSocketURLNeverShowsCredentialsFilledInFromTheSection() {
        let url = RedisURL(endpoint: .unix(path: "/tmp/r.sock"), username: "herald", password: "s3cret")
        #expect(url.description == "unix:/tmp/r.sock?db=0")
    }

    static let form = #"a Redis URL such as "redis://127.0.0.1:6379/0" or "unix:/run/redis.sock""#

    @Test(arguments: [
        ("127.0.0.1:6379", "", #""127.0.0.1:6379""#),
        ("http://127.0.0.1:6379", "", #""http://127.0.0.1:6379""#),
        ("redis:/127.0.0.1", "", #""redis:/127.0.0.1""#),
        ("rediss://cache.example.com:6380",
         " (TLS to Redis, rediss://, is not supported yet: use redis:// on a trusted network or a tunnel)",
         #""rediss://cache.example.com:6380""#),
        ("redis://127.0.0.1:0", " with a port from 1 to 65535", #""redis://127.0.0.1:0""#),
        ("redis://127.0.0.1:65536", " with a port from 1 to 65535", #""redis://127.0.0.1:65536""#),
        ("redis://127.0.0.1:port", " with a port from 1 to 65535", #""redis://127.0.0.1:port""#),
        ("redis://127.0.0.1:/0", " with a port from 1 to 65535", #""redis://127.0.0.1:/0""#),
        ("redis://127.0.0.1/db1", " with a database number from 0 to 2147483647 after the /", #""redis://127.0.0.1/db1""#),
        ("redis://127.0.0.1/-1", " with a database number from 0 to 2147483647 after the /", #""redis://127.0.0.1/-1""#),
        ("redis://127.0.0.1/2147483648", " with a database number from 0 to 2147483647 after the /",
         #""redis://127.0.0.1/2147483648""#),
        ("redis://127.0.0.1/0/1", " with a database number from 0 to 2147483647 after the /", #""redis://127.0.0.1/0/1""#),
        ("redis://127.0.0.1?db=1", " with no query or fragment (the database goes in the path, as /0)",
         #""redis://127.0.0.1?db=1""#),
        ("redis://", " with host a name, an IPv4 address or a bracketed IPv6 address", #""redis://""#),
        ("redis://:6379", " with host a name, an IPv4 address or a bracketed IPv6 address", #""redis://:6379""#),
        ("redis://::1:6379", " with host a name, an IPv4 address or a bracketed IPv6 address", #""redis://::1:6379""#),
        ("redis://[nope]:6379", " with a valid IPv6 address in brackets", #""redis://[nope]:6379""#),
        ("redis://[::1", "", #""redis://[::1""#),
        // A malformed URL is quoted with its user info hidden: it may hold the password.
        ("redis://u:s3cret@127.0.0.1:99999", " with a port from 1 to 65535", #""redis://***@127.0.0.1:99999""#),
        ("redis://u:50%zz@127.0.0.1", " with the user name and password percent-encoded as UTF-8 (%XX)",
         #""redis://***@127.0.0.1""#),
        ("redis://u:%E9@127.0.0.1", " with the user name and password percent-encoded as UTF-8 (%XX)",
         #""redis://***@127.0.0.1""#),
        ("unix:run/redis.sock", " with an absolute socket path, as unix:/path or unix:///path", #""unix:run/redis.sock""#),
        ("unix://localhost/run/redis.sock", " with an absolute socket path, as unix:/path or unix:///path",
         #""unix://localhost/run/redis.sock""#),
        ("unix:", " with an absolute socket path, as unix:/path or unix:///path", #""unix:""#),
        ("unix:/tmp/r.sock?db=x", " with nothing after the path but ?db=N, N from 0 to 2147483647", #""unix:/tmp/r.sock?db=x""#),
        ("unix:/tmp/r.sock?password=x", " with nothing after the path but ?db=N, N from 0 to 2147483647",
         #""unix:/tmp/r.sock?password=x""#),
    ])
    func anythingElseIsRefusedSayingWhy(text: String, detail: String, got: String) {
        #expect(throws: ConfigValueError(expected: Self.form + detail, got: got)) { try RedisURL(parsing: text) }
    }

    @Test func aSocketPathLongerThanTheKernelTakesIsRefused() throws {
        let longest = "/" + String(repeating: "s", count: RedisURL.maxSocketPathBytes - 1)
        #expect(try RedisURL(parsing: "unix:" + longest) == RedisURL(endpoint: .unix(path: longest)))
        #expect(throws: ConfigValueError.self) { try RedisURL(parsing: "unix:" + longest + "s") }
        #expect(RedisURL.maxSocketPathBytes >= 103)
    }

    @Test(arguments: [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis://user:pa/ss@host", "redis://***@host"),
        ("user:secret@host:6379", "***@host:6379"),
        ("redis://secret@@host", "redis://***@host"),
    ])
    func redactedHidesEverythingBeforeTheLastAt(text: String, shown: String) {
        #expect(RedisURL.redacted(text) == shown)
    }

    @Test func oneServerIsTheSameHostAndPortOrSocketWhateverTheDatabase() throws {
        let url = try RedisURL(parsing: "redis://Cache.internal:6379/0")
        #expect(url.isSameServer(as: try RedisURL(parsing: "redis://cache.INTERNAL/5")))
        #expect(url.isSameServer(as: try RedisURL(parsing: "redis://u:p@cache.internal:6379")))
        #expect(!url.isSameServer(as: try RedisURL(parsing: "redis://cache.internal:6380")))
        #expect(!url.isSameServer(as: try RedisURL(parsing: "unix:/cache.internal")))
        #expect(try RedisURL(parsing: "unix:/tmp/r.sock").isSameServer(as: try RedisURL(parsing: "unix:///tmp/r.sock?db=1")))
    }
}
