import Testing
@testable import HeraldConfig

@Suite struct RedisSettingsProblemTests {
    /// `[redis]` with a good `url` and `lines`.
    private static func section(_ lines: String) -> String {
        "[redis]\nurl = \"redis://127.0.0.1:6379/0\"\n\(lines)\n"
    }

    static let urlForm = #"a Redis URL such as "redis://127.0.0.1:6379/0" or "unix:/run/redis.sock""#

    static let badValues: [BadValue] = [
        BadValue("redis", "url", "6379", #"expected a Redis URL string such as "redis://127.0.0.1:6379/0", got integer 6379"#),
        BadValue("redis", "url", #""http://127.0.0.1:6379""#, #"expected \#(urlForm), got "http://127.0.0.1:6379""#),
        BadValue("redis", "url", #""rediss://cache:6380""#,
                 "expected \(urlForm) (TLS to Redis, rediss://, is not supported yet: use redis:// on a trusted network "
                    + #"or a tunnel), got "rediss://cache:6380""#),
        BadValue("redis", "url", #""redis://cache:70000""#, #"expected \#(urlForm) with a port from 1 to 65535, got "redis://cache:70000""#),
        BadValue("redis", "url", #""redis://cache/x""#,
                 #"expected \#(urlForm) with a database number from 0 to 2147483647 after the /, got "redis://cache/x""#),
        BadValue("redis", "url", #""redis://:hunter2@cache:0""#, #"expected \#(urlForm) with a port from 1 to 65535, got "redis://***@cache:0""#),
        BadValue("redis", "username", "7", "expected a string, got integer 7"),
        BadValue("redis", "password", "12345678", "expected a string, got an integer"),
        BadValue("redis", "password_file", "true", "expected a path to a file holding the password, got boolean true"),
        BadValue("redis", "connect_timeout", "2", #"expected a duration such as "15s", got integer 2"#),
        BadValue("redis", "connect_timeout", #""0s""#, #"expected a duration from 1ms to 24h, got "0s""#),
        BadValue("redis", "command_timeout", #""500ms""#, #"expected a duration from 1s to 1h, got "500ms""#),
        BadValue("redis", "command_timeout", #""61m""#, #"expected a duration from 1s to 1h, got "61m""#),
        BadValue("redis", "key_prefix", #""""#, #"expected a key prefix of 1 to 64 bytes of A-Z a-z 0-9 - _ . : @ /, got """#),
        BadValue("redis", "key_prefix", #""my app:""#,
                 #"expected a key prefix of 1 to 64 bytes of A-Z a-z 0-9 - _ . : @ /, got "my app:""#),
        BadValue("redis", "key_prefix", #""héros:""#, #"expected a key prefix of 1 to 64 bytes of A-Z a-z 0-9 - _ . : @ /, got "héros:""#),
        BadValue("redis", "key_prefix", "\"\(String(repeating: "k", count: 65))\"",
                 "expected a key prefix of 1 to 64 bytes of A-Z a-z 0-9 - _ . : @ /, got \"\(String(repeating: "k", count: 64))…\""),
        BadValue("redis", "key_prefix", "1", "expected a string, got integer 1"),
        BadValue("redis", "reconnect_min", #""0ms""#, #"expected a duration from 1ms to 1h, got "0ms""#),
        BadValue("redis", "reconnect_max", #""2h""#, #"expected a duration from 1ms to 1h, got "2h""#),
    ]

    @Test(arguments: badValues)
    func aBadValueNamesWhatWasExpectedAndWhatWasGot(bad: BadValue) {
        let toml = bad.key == "url" ? "[redis]\nurl = \(bad.toml)\n" : Self.section("\(bad.key) = \(bad.toml)")
        #expect(ConfigLoader.problems(in: toml) == [bad.problem])
    }

    @Test func aKeyPrefixOf64BytesIsAccepted() throws {
        let prefix = String(repeating: "k", count: 64)
        #expect(try ConfigLoader.parse(Self.section("key_prefix = \"\(prefix)\""), fileName: "proxy.conf").redis?.keyPrefix == prefix)
    }

    @Test func bothURLAndURLsAreRefused() {
        #expect(ConfigLoader.problems(in: Self.section(#"urls = ["redis://10.0.0.1"]"#)) == [
            "proxy.conf: [redis] urls: expected either url or urls, not both (urls lists every server, one per shard), got both",
        ])
    }

    @Test func aSectionWithNeitherURLNorURLsIsRefused() {
        #expect(ConfigLoader.problems(in: "[redis]\nkey_prefix = \"app:\"\n") == [
            #"proxy.conf: [redis] url: expected a Redis URL such as "redis://127.0.0.1:6379/0" (or urls, one per shard), got none"#,
        ])
        #expect(ConfigLoader.problems(in: "[redis]\n") == [
            #"proxy.conf: [redis] url: expected a Redis URL such as "redis://127.0.0.1:6379/0" (or urls, one per shard), got none"#,
        ])
    }

    @Test func aRefusedURLIsNotAlsoReportedMissing() {
        #expect(ConfigLoader.problems(in: "[redis]\nurl = \"redis://cache:0\"\n")
            == [#"proxy.conf: [redis] url: expected \#(Self.urlForm) with a port from 1 to 65535, got "redis://cache:0""#])
    }

    @Test(arguments: [
        ("[]", "expected an array of 1 to 64 Redis URLs, one per shard, got an empty array"),
        ("[" + (1...65).map { "\"redis://10.0.0.\($0)\"" }.joined(separator: ", ") + "]",
         "expected an array of 1 to 64 Redis URLs, one per shard, got 65 entries"),
        (#""redis://:hunter2@10.0.0.1""#,
         #"expected an array of Redis URLs such as ["redis://10.0.0.1:6379/0", "redis://10.0.0.2:6379/0"], got "redis://***@10.0.0.1""#),
        (#"["redis://10.0.0.1", 6379]"#, #"expected \#(urlForm) at entry 2, got integer 6379"#),
        (#"["redis://10.0.0.1", "rediss://10.0.0.2"]"#,
         "expected \(urlForm) (TLS to Redis, rediss://, is not supported yet: use redis:// on a trusted network or a tunnel) "
            + #"at entry 2, got "rediss://10.0.0.2""#),
        // One server twice: by name in any case, whatever the database, with the password hidden.
        (#"["redis://cache-1:6379/0", "redis://cache-2", "redis://:pw@CACHE-1/1"]"#,
         #"expected a server of its own (entry 1 names the same one) at entry 3, got "redis://:***@CACHE-1:6379/1""#),
        (#"["unix:/run/redis.sock", "unix:///run/redis.sock?db=2"]"#,
         #"expected a server of its own (entry 1 names the same one) at entry 2, got "unix:/run/redis.sock?db=2""#),
    ])
    func badURLsAreRefusedSayingWhy(urls: String, problem: String) {
        #expect(ConfigLoader.problems(in: "[redis]\nurls = \(urls)\n") == ["proxy.conf: [redis] urls: \(problem)"])
    }

    @Test func oneHostOnTwoPortsIsTwoServers() throws {
        let toml = #"[redis]\#nurls = ["redis://10.0.0.1:6379", "redis://10.0.0.1:6380"]\#n"#
        #expect(try ConfigLoader.parse(toml, fileName: "proxy.conf").redis?.urls.count == 2)
    }

    @Test func reconnectMaxMustNotBeBelowReconnectMin() {
        #expect(ConfigLoader.problems(in: Self.section("reconnect_min = \"2s\"\nreconnect_max = \"1s\"")) == [
            #"proxy.conf: [redis] reconnect_max: expected at least reconnect_min (2s), got "1s""#,
        ])
        // The default reconnect_max (5s) is below this reconnect_min too.
        #expect(ConfigLoader.problems(in: Self.section("reconnect_min = \"10s\"")) == [
            #"proxy.conf: [redis] reconnect_max: expected at least reconnect_min (10s), got "5s""#,
        ])
        #expect(ConfigLoader.problems(in: Self.section("reconnect_min = \"5s\"")) == [])
        // A refused reconnect_min keeps its default; comparing with it would mislead.
        #expect(ConfigLoader.problems(in: Self.section("reconnect_min = \"soon\"\nreconnect_max = \"50ms\"")) == [
            #"proxy.conf: [redis] reconnect_min: expected a duration such as "15s", got "soon""#,
        ])
    }

    @Test func aUserNameNeedsAPassword() {
        #expect(ConfigLoader.problems(in: Self.section("username = \"herald\"")) == [
            #"proxy.conf: [redis] username: expected a password to go with it (password, password_file or in each URL), got "herald""#,
        ])
        #expect(ConfigLoader.problems(in: "[redis]\nurl = \"redis://alice@10.0.0.1\"\n") == [
            "proxy.conf: [redis] url: expected a password with the user name (in the URL, password or password_file), "
                + #"got "redis://alice@10.0.0.1:6379/0""#,
        ])
        #expect(ConfigLoader.problems(in: #"[redis]\#nurls = ["redis://:pw@10.0.0.1", "redis://bob@10.0.0.2"]\#n"#) == [
            "proxy.conf: [redis] urls: expected a password with the user name (in the URL, password or password_file) at entry 2, "
                + #"got "redis://bob@10.0.0.2:6379/0""#,
        ])
        // Every server has a password: the section's user name goes with each.
        #expect(ConfigLoader.problems(in: #"[redis]\#nurls = ["redis://:a@10.0.0.1", "redis://:b@10.0.0.2"]\#nusername = "herald"\#n"#)
            == [])
        #expect(ConfigLoader.problems(in: Self.section("username = \"herald\"\npassword = \"s3cret\"")) == [])
        #expect(ConfigLoader.problems(in: "[redis]\nurl = \"redis://alice@10.0.0.1\"\npassword = \"s3cret\"\n") == [])
    }

    @Test func anUnknownKeyIsNamed() {
        #expect(ConfigLoader.problems(in: Self.section("prefix = \"app:\"")) == [
            "proxy.conf: [redis] prefix: unknown key",
        ])
        #expect(ConfigLoader.problems(in: Self.section("pasword = \"x\"")) == [
            "proxy.conf: [redis] pasword: unknown key (did you mean password?)",
        ])
    }

    @Test func everyProblemOfTheSectionIsReportedTogether() {
        let toml = """
            [redis]
            url = "rediss://cache:6380"
            urls = []
            password = 1234
            command_timeout = "100ms"
            key_prefix = "a b"
            reconnect_min = "1s"
            reconnect_max = "500ms"
            colour = true
            """
        let rediss = " (TLS to Redis, rediss://, is not supported yet: use redis:// on a trusted network or a tunnel)"
        #expect(ConfigLoader.problems(in: toml) == [
            #"proxy.conf: [redis] url: expected \#(Self.urlForm)\#(rediss), got "rediss://cache:6380""#,
            "proxy.conf: [redis] urls: expected an array of 1 to 64 Redis URLs, one per shard, got an empty array",
            "proxy.conf: [redis] password: expected a string, got an integer",
            #"proxy.conf: [redis] command_timeout: expected a duration from 1s to 1h, got "100ms""#,
            #"proxy.conf: [redis] key_prefix: expected a key prefix of 1 to 64 bytes of A-Z a-z 0-9 - _ . : @ /, got "a b""#,
            "proxy.conf: [redis] urls: expected either url or urls, not both (urls lists every server, one per shard), got both",
            #"proxy.conf: [redis] reconnect_max: expected at least reconnect_min (1s), got "500ms""#,
            "proxy.conf: [redis] colour: unknown key",
        ])
    }
}
