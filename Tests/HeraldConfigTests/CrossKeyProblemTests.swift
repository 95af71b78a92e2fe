import Testing
@testable import HeraldConfig

@Suite struct CrossKeyProblemTests {
    @Test func anEmptyTokenOnANonLoopbackPublishListenerIsRefused() {
        #expect(ConfigLoader.problems(in: "[publish]\nlisten = \"0.0.0.0:8081\"\n")
            == ["proxy.conf: [publish] token: expected a token (or require_signature = true) when publish.listen (0.0.0.0:8081) is not loopback"])
    }

    @Test(arguments: ["127.0.0.1:8081", "127.0.0.2:9000", "localhost:8081", "[::1]:8081"])
    func anEmptyTokenIsAllowedOnLoopback(listen: String) {
        #expect(ConfigLoader.problems(in: "[publish]\nlisten = \"\(listen)\"\n") == [])
    }

    @Test func aTokenAllowsANonLoopbackPublishListener() {
        #expect(ConfigLoader.problems(in: "[publish]\nlisten = \"[::]:8081\"\ntoken = \"abc123\"\n") == [])
    }

    @Test(arguments: [("0.0.0.0:8080", "0.0.0.0:8080"), ("0.0.0.0:8080", "127.0.0.1:8080"),
                      ("127.0.0.1:9000", "localhost:9000")])
    func aPublishListenerOverlappingThePublicOneIsRefused(server: String, publish: String) {
        let toml = "[server]\nlisten = \"\(server)\"\n[publish]\nlisten = \"\(publish)\"\ntoken = \"t\"\n"
        #expect(ConfigLoader.problems(in: toml) == [
            "proxy.conf: [publish] listen: expected an address apart from server.listen (\(server)), got \"\(publish)\"",
        ])
    }

    @Test func bothListenersOnPortZeroGetDifferentPortsAndAreAllowed() {
        #expect(ConfigLoader.problems(in: "[server]\nlisten = \"127.0.0.1:0\"\n[publish]\nlisten = \"127.0.0.1:0\"\n") == [])
    }

    @Test func theRequestLineLimitMustFitInTheHeadLimit() {
        let toml = "[server]\nmax_request_line_bytes = \"64KiB\"\nmax_header_bytes = \"16KiB\"\n"
        #expect(ConfigLoader.problems(in: toml) == [
            "proxy.conf: [server] max_request_line_bytes: expected at most server.max_header_bytes (16KiB), got 64KiB",
        ])
    }

    @Test func aRuleOverARefusedKeyIsNotReportedSinceItWouldJudgeTheDefault() {
        // server.listen is refused, so it keeps its default 0.0.0.0:8080, which publish.listen
        // would seem to overlap; only the refusal, and the token rule (whose keys are fine), are real.
        let toml = "[server]\nlisten = \"nope\"\n[publish]\nlisten = \"0.0.0.0:8080\"\n"
        #expect(ConfigLoader.problems(in: toml) == [
            #"proxy.conf: [server] listen: expected "host:port", got "nope""#,
            "proxy.conf: [publish] token: expected a token (or require_signature = true) when publish.listen (0.0.0.0:8080) is not loopback",
        ])
    }
}

@Suite struct AuthorizationCrossKeyTests {
    @Test(arguments: [
        ("public_channels = [\"news\", \"public:*\"]", "public_channels", #"["news", "public:*"]"#),
        ("authorize_path = \"/auth\"", "authorize_path", #""/auth""#),
        ("reauthorize_every = \"5m\"", "reauthorize_every", #""5m""#),
    ])
    func anAuthorizationKeyWithoutAuthorizeUpstreamIsRefused(line: String, key: String, got: String) {
        #expect(ConfigLoader.problems(in: "[events]\n\(line)\n") == [
            "proxy.conf: [events] \(key): expected events.authorize = \"upstream\" for it to apply "
                + "(with \"none\" every channel is open to anyone), got \(got)",
        ])
    }

    @Test func theSameKeysWithAuthorizeUpstreamAreAccepted() {
        let toml = """
            [events]
            authorize = "upstream"
            authorize_path = "/auth"
            public_channels = ["news"]
            reauthorize_every = "5m"
            """
        #expect(ConfigLoader.problems(in: toml) == [])
    }

    @Test func aRefusedAuthorizeIsNotAlsoBlamedOnTheKeysThatDependOnIt() {
        let toml = "[events]\nauthorize = \"app\"\npublic_channels = [\"news\"]\n"
        #expect(ConfigLoader.problems(in: toml) == [#"proxy.conf: [events] authorize: expected one of "none", "upstream", got "app""#])
    }
}
