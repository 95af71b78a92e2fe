import Foundation
import Testing
@testable import HeraldConfig

/// One key given one bad value, and the one problem that must be reported for it.
struct BadValue: Sendable, CustomTestStringConvertible {
    var section: String
    var key: String
    var toml: String
    var problem: String

    init(_ section: String, _ key: String, _ toml: String, _ problem: String) {
        (self.section, self.key, self.toml) = (section, key, toml)
        self.problem = "proxy.conf: [\(section)] \(key): \(problem)"
    }

    var testDescription: String { "[\(section)] \(key) = \(toml)" }
}

@Suite struct ConfigLoaderTests {
    static let badTypes: [BadValue] = [
        BadValue("server", "listen", "8080", #"expected a string "host:port", got integer 8080"#),
        BadValue("server", "threads", #""4""#, #"expected an integer from 0 to 256, got "4""#),
        BadValue("server", "header_timeout", "10", #"expected a duration such as "15s", got integer 10"#),
        BadValue("server", "idle_timeout", "true", #"expected a duration such as "15s", got boolean true"#),
        BadValue("server", "max_request_line_bytes", "1.5",
                 #"expected a size such as 65536 or "64KiB", got floating-point number 1.5"#),
        BadValue("server", "max_header_bytes", "[1, 2]", #"expected a size such as 65536 or "64KiB", got an array"#),
        BadValue("server", "max_body_bytes", "{ a = 1 }", #"expected a size such as 65536 or "64KiB", got a table"#),
        BadValue("server", "max_connections", #""many""#, #"expected an integer from 1 to 1000000, got "many""#),
        BadValue("server", "shutdown_grace", "1979-05-27", #"expected a duration such as "15s", got a date"#),
        BadValue("upstream", "url", "3000", #"expected a string "http://host:port", got integer 3000"#),
        BadValue("upstream", "connect_timeout", "5", #"expected a duration such as "15s", got integer 5"#),
        BadValue("upstream", "timeout", "60", #"expected a duration such as "15s", got integer 60"#),
        BadValue("upstream", "max_idle_connections", #""64""#, #"expected an integer from 0 to 65536, got "64""#),
        BadValue("upstream", "idle_timeout", "07:32:00", #"expected a duration such as "15s", got a time"#),
        BadValue("events", "path", "8", #"expected a path such as "/events", got integer 8"#),
        BadValue("events", "heartbeat", "15", #"expected a duration such as "15s", got integer 15"#),
        BadValue("events", "retry", "3000", #"expected a duration such as "15s", got integer 3000"#),
        BadValue("events", "history_size", #""1000""#, #"expected an integer from 0 to 1000000, got "1000""#),
        BadValue("events", "history_ttl", "3600", #"expected a duration such as "15s", got integer 3600"#),
        BadValue("events", "max_buffered_bytes", "true", #"expected a size such as 65536 or "64KiB", got boolean true"#),
        BadValue("events", "padding_bytes", "2048.0",
                 #"expected a size such as 65536 or "64KiB", got floating-point number 2048.0"#),
        BadValue("events", "reset_event", #"["reset"]"#, "expected a string, got an array"),
        BadValue("events", "allow_origins", #""https://a.example""#,
                 #"expected an array of origins such as ["https://app.example.com"], got "https://a.example""#),
        BadValue("events", "client_script", #""yes""#, #"expected true or false, got "yes""#),
        BadValue("events", "authorize", "true", #"expected one of "none", "upstream", got boolean true"#),
        BadValue("events", "authorize_path", "[]", #"expected a path such as "/auth/events", or "" for the subscribe request's own, got an array"#),
        BadValue("events", "public_channels", #""news""#,
                 #"expected an array of channel patterns such as ["news", "public:*"], got "news""#),
        BadValue("events", "reauthorize_every", "300", #"expected a duration such as "15s", got integer 300"#),
        BadValue("events", "grip", "1", "expected true or false, got integer 1"),
        BadValue("publish", "listen", "8081", #"expected a string "host:port", got integer 8081"#),
        BadValue("publish", "token", "1234", "expected a string, got integer 1234"),
        BadValue("publish", "max_body_bytes", "{ mib = 1 }", #"expected a size such as 65536 or "64KiB", got a table"#),
        BadValue("limits", "max_subscribers", #""100k""#, #"expected an integer from 1 to 10000000, got "100k""#),
        BadValue("limits", "max_subscribers_per_ip", "1e3", "expected an integer from 1 to 10000000, got floating-point number 1000.0"),
        BadValue("limits", "max_channels_per_connection", "false", "expected an integer from 1 to 1000, got boolean false"),
        BadValue("limits", "max_pending_events", "0", "expected an integer from 1 to 10000000, got 0"),
        BadValue("log", "level", "3", #"expected one of "trace", "debug", "info", "notice", "warning", "error", "critical", got integer 3"#),
        BadValue("log", "access", "false", #"expected one of "combined", "common", "json", "off", got boolean false"#),
    ]

    static let badValues: [BadValue] = [
        BadValue("server", "listen", #""abc""#, #"expected "host:port", got "abc""#),
        BadValue("server", "threads", "257", "expected an integer from 0 to 256, got 257"),
        BadValue("server", "threads", "-1", "expected an integer from 0 to 256, got -1"),
        BadValue("server", "header_timeout", #""soon""#, #"expected a duration such as "15s", got "soon""#),
        BadValue("server", "header_timeout", #""0s""#, #"expected a duration from 1ms to 24h, got "0s""#),
        BadValue("server", "idle_timeout", #""25h""#, #"expected a duration from 1ms to 24h, got "25h""#),
        BadValue("server", "max_request_line_bytes", #""2MiB""#, #"expected a size from 64 bytes to 1MiB, got "2MiB""#),
        BadValue("server", "max_header_bytes", "100", "expected a size from 1KiB to 16MiB, got 100"),
        BadValue("server", "max_body_bytes", "-1", #"expected a size such as 65536 or "64KiB", got -1"#),
        BadValue("server", "max_body_bytes", #""lots""#, #"expected a size such as 65536 or "64KiB", got "lots""#),
        BadValue("server", "max_body_bytes", #""10 MiB""#,
                 #"expected a size such as 65536 or "64KiB" (units: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB), got "10 MiB""#),
        BadValue("server", "max_connections", "0", "expected an integer from 1 to 1000000, got 0"),
        BadValue("server", "shutdown_grace", #""-1s""#, #"expected a duration such as "15s", got "-1s""#),
        BadValue("server", "shutdown_grace", #""2d""#, #"expected a duration such as "15s", got "2d""#),
        BadValue("upstream", "url", #""https://app:443""#,
                 #"expected "http://host:port" (plain HTTP: Herald does not connect to the upstream over TLS), got "https://app:443""#),
        BadValue("upstream", "connect_timeout", #""5""#, #"expected a duration such as "15s", got "5""#),
        BadValue("upstream", "timeout", #""1d""#, #"expected a duration such as "15s", got "1d""#),
        BadValue("upstream", "max_idle_connections", "70000", "expected an integer from 0 to 65536, got 70000"),
        BadValue("upstream", "idle_timeout", #""0ms""#, #"expected a duration from 1ms to 24h, got "0ms""#),
        BadValue("events", "path", #""events""#, #"expected a path such as "/events" starting with "/", got "events""#),
        BadValue("events", "path", #""/""#,
                 #"expected a path such as "/events" other than "/", which would leave nothing for the upstream, got "/""#),
        BadValue("events", "allow_origins", #"["https://a.example/"]"#,
                 #"expected an origin such as "https://app.example.com" or "http://127.0.0.1:3000", or "*" with no path, "#
                    + #"not even a trailing "/" at entry 1, got "https://a.example/""#),
        BadValue("events", "allow_origins", #"["https://a.example", "a.example"]"#,
                 #"expected an origin such as "https://app.example.com" or "http://127.0.0.1:3000", or "*" (scheme http or https) "#
                    + #"at entry 2, got "a.example""#),
        BadValue("events", "allow_origins", #"["http://a.example:99999"]"#,
                 #"expected an origin such as "https://app.example.com" or "http://127.0.0.1:3000", or "*" at entry 1, "#
                    + #"got "http://a.example:99999""#),
        BadValue("events", "allow_origins", "[3000]",
                 #"expected an origin such as "https://app.example.com" or "http://127.0.0.1:3000", or "*" at entry 1, "#
                    + "got integer 3000"),
        BadValue("events", "heartbeat", #""500ms""#, #"expected a duration from 1s to 1h, got "500ms""#),
        BadValue("events", "heartbeat", #""2h""#, #"expected a duration from 1s to 1h, got "2h""#),
        BadValue("events", "retry", #""61m""#, #"expected a duration from 0s to 1h, got "61m""#),
        BadValue("events", "retry", #""3""#, #"expected a duration such as "15s", got "3""#),
        BadValue("events", "history_size", "-1", "expected an integer from 0 to 1000000, got -1"),
        BadValue("events", "history_size", "1000001", "expected an integer from 0 to 1000000, got 1000001"),
        BadValue("events", "history_ttl", #""0s""#, #"expected a duration from 1s to 720h, got "0s""#),
        BadValue("events", "history_ttl", #""721h""#, #"expected a duration from 1s to 720h, got "721h""#),
        BadValue("events", "max_buffered_bytes", "4095", "expected a size from 4KiB to 1GiB, got 4095"),
        BadValue("events", "max_buffered_bytes", #""2GiB""#, #"expected a size from 4KiB to 1GiB, got "2GiB""#),
        BadValue("events", "padding_bytes", "65537", "expected a size from 0 bytes to 64KiB, got 65537"),
        BadValue("events", "padding_bytes", "-2048", #"expected a size such as 65536 or "64KiB", got -2048"#),
        BadValue("events", "reset_event", #""""#, #"expected an event type of 1 to 64 bytes, got """#),
        BadValue("events", "reset_event", #""reset\nnow""#, #"expected an event type without CR, LF or NUL, got "reset\nnow""#),
        BadValue("events", "authorize", #""app""#, #"expected one of "none", "upstream", got "app""#),
        BadValue("events", "authorize_path", #""auth""#,
                 #"expected a path such as "/auth/events", or "" for the subscribe request's own starting with "/", got "auth""#),
        BadValue("events", "authorize_path", #""/auth#top""#,
                 #"expected a path such as "/auth/events", or "" for the subscribe request's own with no fragment, got "/auth#top""#),
        BadValue("events", "authorize_path", #""/my auth""#,
                 #"expected a path such as "/auth/events", or "" for the subscribe request's own of visible ASCII "#
                    + #"characters without spaces, got "/my auth""#),
        BadValue("events", "public_channels", #"["news", "pub*lic"]"#,
                 #"expected a channel name such as "news", or a prefix ending in "*" such as "public:*" ("*" only at the end) "#
                    + #"at entry 2, got "pub*lic""#),
        BadValue("events", "public_channels", #"["new s"]"#,
                 #"expected a channel name such as "news", or a prefix ending in "*" such as "public:*" "#
                    + #"(channel names use A-Z a-z 0-9 - _ . : @ /) at entry 1, got "new s""#),
        BadValue("events", "public_channels", #"[""]"#,
                 #"expected a channel name such as "news", or a prefix ending in "*" such as "public:*" at entry 1, got """#),
        BadValue("events", "public_channels", "[42]",
                 #"expected a channel name such as "news", or a prefix ending in "*" such as "public:*" at entry 1, got integer 42"#),
        BadValue("events", "reauthorize_every", #""500ms""#, #"expected "0s" (off) or a duration from 1s to 24h, got "500ms""#),
        BadValue("events", "reauthorize_every", #""25h""#, #"expected "0s" (off) or a duration from 1s to 24h, got "25h""#),
        BadValue("events", "reauthorize_every", #""often""#, #"expected a duration such as "15s", got "often""#),
        BadValue("publish", "listen", #""0.0.0.0""#, #"expected "host:port", got "0.0.0.0""#),
        BadValue("publish", "token", #""my token""#, "expected visible ASCII characters without spaces, got a space at character 3"),
        BadValue("publish", "token", #""caf\u00e9""#, "expected visible ASCII characters without spaces, got U+00E9 at character 4"),
        BadValue("publish", "max_body_bytes", "1023", "expected a size from 1KiB to 64MiB, got 1023"),
        BadValue("publish", "max_body_bytes", #""65MiB""#, #"expected a size from 1KiB to 64MiB, got "65MiB""#),
        BadValue("limits", "max_subscribers", "0", "expected an integer from 1 to 10000000, got 0"),
        BadValue("limits", "max_subscribers", "10000001", "expected an integer from 1 to 10000000, got 10000001"),
        BadValue("limits", "max_subscribers_per_ip", "0", "expected an integer from 1 to 10000000, got 0"),
        BadValue("limits", "max_channels_per_connection", "0", "expected an integer from 1 to 1000, got 0"),
        BadValue("limits", "max_channels_per_connection", "1001", "expected an integer from 1 to 1000, got 1001"),
        BadValue("log", "level", #""verbose""#,
                 #"expected one of "trace", "debug", "info", "notice", "warning", "error", "critical", got "verbose""#),
        BadValue("log", "access", #""apache""#, #"expected one of "combined", "common", "json", "off", got "apache""#),
        BadValue("log", "format", #""yaml""#, #"expected one of "text", "json", got "yaml""#),
        BadValue("server", "health_path", #""health""#, #"expected a path such as "/herald/health", or "" (off) starting with "/", got "health""#),
        BadValue("server", "health_path", #""/""#, #"expected a path such as "/herald/health", or "" (off) other than "/", which is the app's, got "/""#),
        BadValue("server", "health_path", #""/h?x""#, #"expected a path such as "/herald/health", or "" (off) with no query or fragment, got "/h?x""#),
    ]

    @Test(arguments: badTypes)
    func aValueOfTheWrongTOMLTypeNamesTheTypeExpectedAndGot(bad: BadValue) {
        #expect(ConfigLoader.problems(in: "[\(bad.section)]\n\(bad.key) = \(bad.toml)\n") == [bad.problem])
    }

    @Test(arguments: badValues)
    func aBadValueNamesWhatWasExpectedAndWhatWasGot(bad: BadValue) {
        #expect(ConfigLoader.problems(in: "[\(bad.section)]\n\(bad.key) = \(bad.toml)\n") == [bad.problem])
    }

    @Test func everyBadValueInOneFileIsReportedTogether() {
        let sections = Dictionary(grouping: Self.badTypes, by: \.section)
        let toml = sections.map { section, values in
            "[\(section)]\n" + values.map { "\($0.key) = \($0.toml)\n" }.joined()
        }.joined()
        #expect(Set(ConfigLoader.problems(in: toml)) == Set(Self.badTypes.map(\.problem)))
    }

    @Test func aFileWithThreeMistakesReportsAllThreeInOneError() {
        let toml = """
            [server]
            listen = "127.0.0.1:8080"
            header_timeout = 5
            max_body_byte = "1MiB"
            [upstream]
            url = "http://127.0.0.1:9"
            timeout = "soon"
            """
        #expect(throws: ConfigError(problems: [
            #"bad.conf: [server] header_timeout: expected a duration such as "15s", got integer 5"#,
            "bad.conf: [server] max_body_byte: unknown key (did you mean max_body_bytes?)",
            #"bad.conf: [upstream] timeout: expected a duration such as "15s", got "soon""#,
        ])) {
            try ConfigLoader.parse(toml, fileName: "bad.conf")
        }
    }

    @Test func anUnknownKeyIsNamedWithItsSection() {
        #expect(ConfigLoader.problems(in: "[server]\nlisen = \"0.0.0.0:80\"\n")
            == ["proxy.conf: [server] lisen: unknown key (did you mean listen?)"])
        #expect(ConfigLoader.problems(in: "[log]\ncolour = true\n") == ["proxy.conf: [log] colour: unknown key"])
        #expect(ConfigLoader.problems(in: "[server.tls]\ncert = \"x\"\n") == ["proxy.conf: [server] tls: unknown key"])
    }

    @Test func anUnknownSectionIsNamed() {
        #expect(ConfigLoader.problems(in: "[tls]\ncert = \"x\"\n") == ["proxy.conf: [tls]: unknown section"])
        #expect(ConfigLoader.problems(in: "[sever]\nlisten = \"0.0.0.0:80\"\n")
            == ["proxy.conf: [sever]: unknown section (did you mean [server]?)"])
    }

    /// Found by Fuzz/ConfigFuzz.swift: a quoted name holding a line break was shown raw, so one
    /// problem took two lines and the second did not start with the file name.
    @Test func anUnknownNameThatIsNotABareKeyIsShownQuotedOnOneLine() {
        #expect(ConfigLoader.problems(in: "\"a\\nb\" = 1\n") == [#"proxy.conf: "a\nb": unknown key outside any section"#])
        #expect(ConfigLoader.problems(in: "[\"tl s\"]\ncert = 1\n") == [#"proxy.conf: ["tl s"]: unknown section"#])
        #expect(ConfigLoader.problems(in: "[log]\n\"x\\ty\" = 2\n") == [#"proxy.conf: [log] "x\ty": unknown key"#])
        #expect(ConfigLoader.problems(in: "[[publish.routes]]\npath = \"/a\"\nchannel = \"c\"\n\"\\r\" = 1\n")
            == [#"proxy.conf: [[publish.routes]] #1 "\r": unknown key"#])
    }

    @Test func aKeyOutsideAnySectionOrASectionThatIsNotATableIsAProblem() {
        #expect(ConfigLoader.problems(in: "listen = \"0.0.0.0:80\"\n") == ["proxy.conf: listen: unknown key outside any section"])
        #expect(ConfigLoader.problems(in: "server = 8080\n") == ["proxy.conf: server: expected a section [server], got integer 8080"])
        #expect(ConfigLoader.problems(in: "[[log]]\nlevel = \"info\"\n") == ["proxy.conf: log: expected a section [log], got an array"])
    }

    @Test func aTOMLSyntaxErrorNamesTheFileLineAndColumn() throws {
        let problems = ConfigLoader.problems(in: "[server]\nthreads = 1\nlisten = \n")
        try #require(problems.count == 1)
        #expect(problems[0].hasPrefix("proxy.conf:3:"))
        #expect(problems[0].contains("invalid TOML"))
    }

    @Test func aKeyGivenTwiceIsASyntaxError() throws {
        let problems = ConfigLoader.problems(in: "[server]\nthreads = 1\nthreads = 2\n")
        try #require(problems.count == 1)
        #expect(problems[0].hasPrefix("proxy.conf:3:"))
    }

    @Test func aNULByteIsASyntaxErrorRatherThanTheEndOfTheFile() {
        #expect(ConfigLoader.problems(in: "[server]\nthreads = 1\0\nthreads = \"x\"\n")
            == ["proxy.conf:2:12: invalid TOML: a NUL byte"])
    }

    @Test func anEmptyFileGivesTheDefaults() throws {
        #expect(try ConfigLoader.parse("", fileName: "proxy.conf") == HeraldSettings())
        #expect(try ConfigLoader.parse("# nothing\n[server]\n", fileName: "proxy.conf") == HeraldSettings())
    }

    @Test func everyKeySetsItsField() throws {
        let toml = """
            [server]
            listen = "[::]:9000"
            threads = 4
            header_timeout = "2s"
            idle_timeout = "1m30s"
            max_request_line_bytes = 4096
            max_header_bytes = "32KiB"
            max_body_bytes = "10MB"
            max_connections = 100
            shutdown_grace = "0s"
            [upstream]
            url = "http://app.internal:8000/"
            connect_timeout = "250ms"
            timeout = "2m"
            max_idle_connections = 0
            idle_timeout = "4s"
            [events]
            path = "/api/stream"
            heartbeat = "30s"
            retry = "0s"
            history_size = 0
            history_ttl = "720h"
            max_buffered_bytes = "256KiB"
            padding_bytes = 2048
            reset_event = "refetch"
            authorize = "upstream"
            authorize_path = "/auth/events?via=herald"
            public_channels = ["news", "public:*"]
            reauthorize_every = "5m"
            grip = true
            [publish]
            listen = "10.0.0.5:9001"
            token = "s3cret-token"
            max_body_bytes = "64MiB"
            [limits]
            max_subscribers = 500
            max_subscribers_per_ip = 10
            max_channels_per_connection = 1000
            [log]
            level = "debug"
            access = "json"
            """
        var expected = HeraldSettings()
        expected.server.listen = ListenAddress(host: "::", port: 9000)
        expected.server.threads = 4
        expected.server.headerTimeout = .seconds(2)
        expected.server.idleTimeout = .seconds(90)
        expected.server.maxRequestLineBytes = 4096
        expected.server.maxHeaderBytes = 32 << 10
        expected.server.maxBodyBytes = 10_000_000
        expected.server.maxConnections = 100
        expected.server.shutdownGrace = .zero
        expected.upstream.url = UpstreamURL(host: "app.internal", port: 8000)
        expected.upstream.connectTimeout = .milliseconds(250)
        expected.upstream.timeout = .seconds(120)
        expected.upstream.maxIdleConnections = 0
        expected.upstream.idleTimeout = .seconds(4)
        expected.publish.listen = ListenAddress(host: "10.0.0.5", port: 9001)
        expected.events.path = "/api/stream"
        expected.events.heartbeat = .seconds(30)
        expected.events.retry = .zero
        expected.events.historySize = 0
        expected.events.historyTTL = .seconds(30 * 86_400)
        expected.events.maxBufferedBytes = 256 << 10
        expected.events.paddingBytes = 2048
        expected.events.resetEvent = "refetch"
        expected.events.authorize = .upstream
        expected.events.authorizePath = "/auth/events?via=herald"
        expected.events.publicChannels = try ChannelPatternList(["news", "public:*"])
        expected.events.reauthorizeEvery = .seconds(300)
        expected.events.grip = true
        expected.publish.token = "s3cret-token"
        expected.publish.maxBodyBytes = 64 << 20
        expected.limits.maxSubscribers = 500
        expected.limits.maxSubscribersPerIP = 10
        expected.limits.maxChannelsPerConnection = 1000
        expected.log.level = .debug
        expected.log.access = .json
        #expect(try ConfigLoader.parse(toml, fileName: "proxy.conf") == expected)
    }

    @Test func loadNamesTheFileByThePathGiven() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-\(UUID()).conf").path
        try "[server]\nthreads = \"x\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ConfigError(problems: [#"\#(path): [server] threads: expected an integer from 0 to 256, got "x""#])) {
            try ConfigLoader.load(path: path)
        }
    }

    @Test func aMissingFileIsAnErrorNamingIt() {
        #expect(throws: ConfigError(problems: ["nowhere/proxy.conf: cannot read the file: No such file or directory"])) {
            try ConfigLoader.load(path: "nowhere/proxy.conf")
        }
    }

    @Test func aFileThatIsNotUTF8IsAnErrorNamingIt() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-\(UUID()).conf").path
        try Data([0x5B, 0xFF, 0xFE, 0x5D]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ConfigError(problems: ["\(path): cannot read the file: it is not UTF-8 text"])) {
            try ConfigLoader.load(path: path)
        }
    }

    @Test func theHealthPathIsOffByDefaultAndMayNotLieUnderTheEventsPath() throws {
        #expect(try ConfigLoader.parse("", fileName: "proxy.conf").server.healthPath == "")
        #expect(try ConfigLoader.parse("[server]\nhealth_path = \"/ready\"\n", fileName: "proxy.conf").server.healthPath == "/ready")
        #expect(ConfigLoader.problems(in: "[server]\nhealth_path = \"/events/health\"\n")
            == [#"proxy.conf: [server] health_path: expected a path outside events.path (/events), got "/events/health""#])
    }
}
