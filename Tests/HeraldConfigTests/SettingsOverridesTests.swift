import Testing
@testable import HeraldConfig

@Suite struct SettingsOverridesTests {
    @Test func noOverridesLeaveTheSettingsAsTheyWere() throws {
        var settings = HeraldSettings()
        settings.server.threads = 3
        #expect(try settings.applying(SettingsOverrides()) == settings)
    }

    @Test func eachFlagReplacesItsKey() throws {
        let settings = try HeraldSettings().applying(SettingsOverrides(
            listen: "127.0.0.1:9080", upstream: "http://[::1]:4000", publishListen: "localhost:9081"))
        var expected = HeraldSettings()
        expected.server.listen = ListenAddress(host: "127.0.0.1", port: 9080)
        expected.upstream.url = UpstreamURL(host: "::1", port: 4000)
        expected.publish.listen = ListenAddress(host: "localhost", port: 9081)
        #expect(settings == expected)
    }

    @Test func everyBadFlagIsReportedTogetherNamedAfterTheFlag() {
        #expect(throws: ConfigError(problems: [
            #"--listen: expected "host:port", got "x""#,
            #"--upstream: expected "http://host:port", got "127.0.0.1:3000""#,
            #"--publish-listen: expected "host:port" with a port from 0 to 65535, got "127.0.0.1:99999""#,
        ])) {
            try HeraldSettings().applying(SettingsOverrides(
                listen: "x", upstream: "127.0.0.1:3000", publishListen: "127.0.0.1:99999"))
        }
    }

    @Test func aFlagThatBreaksTheTokenRuleIsNamedInTheProblem() {
        #expect(throws: ConfigError(problems: [
            "--publish-listen: [publish] token: expected a token (or require_signature = true) when publish.listen (0.0.0.0:8081) is not loopback",
        ])) {
            try HeraldSettings().applying(SettingsOverrides(publishListen: "0.0.0.0:8081"))
        }
    }

    @Test func aRefusedFlagAndARuleAnotherFlagBreaksAreReportedTogether() {
        #expect(throws: ConfigError(problems: [
            #"--listen: expected "host:port", got "bad""#,
            "--publish-listen: [publish] token: expected a token (or require_signature = true) when publish.listen (0.0.0.0:8080) is not loopback",
        ])) {
            // The overlap with server.listen's default (0.0.0.0:8080) is not reported: --listen was refused.
            try HeraldSettings().applying(SettingsOverrides(listen: "bad", publishListen: "0.0.0.0:8080"))
        }
    }

    @Test func aFlagThatMakesTheListenersOverlapIsRefused() {
        #expect(throws: ConfigError(problems: [
            #"--listen: [publish] listen: expected an address apart from server.listen (127.0.0.1:8081), got "127.0.0.1:8081""#,
        ])) {
            try HeraldSettings().applying(SettingsOverrides(listen: "127.0.0.1:8081"))
        }
    }

    @Test func aFlagCanFixWhatTheFileGotWrong() throws {
        var settings = HeraldSettings()
        settings.publish.listen = ListenAddress(host: "0.0.0.0", port: 8081)
        #expect(try settings.applying(SettingsOverrides(publishListen: "127.0.0.1:8081")).publish.listen.isLoopback)
    }

    @Test func aValueFromAnEnvironmentVariableIsNamedAfterTheVariable() {
        #expect(throws: ConfigError(problems: [
            #"HERALD_LISTEN: expected "host:port", got "x""#,
            "HERALD_PUBLISH_LISTEN: [publish] token: expected a token (or require_signature = true) when publish.listen (0.0.0.0:8081) is not loopback",
        ])) {
            try HeraldSettings().applying(SettingsOverrides(
                listen: "x", publishListen: "0.0.0.0:8081",
                sources: ["--listen": "HERALD_LISTEN", "--publish-listen": "HERALD_PUBLISH_LISTEN"]))
        }
    }
}
