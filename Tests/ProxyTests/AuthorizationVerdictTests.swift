import HTTP1
import Testing
@testable import Proxy

@Suite struct AuthorizationVerdictTests {
    private func response(_ status: Int, _ fields: [(String, String)] = []) -> HTTPResponseHead {
        HTTPResponseHead(status: status, reason: "R", fields: HTTPFields(fields.map { HTTPField(name: $0.0, value: $0.1) }))
    }

    private func decide(_ head: HTTPResponseHead, asked: [String] = ["me"], publicChannels: [String] = [],
                        max: Int = 8) -> AuthorizationVerdict {
        AuthorizationVerdict.decide(head, asked: asked, publicChannels: publicChannels, maxChannels: max)
    }

    @Test func aTwoHundredWithoutHeraldChannelsGrantsWhatWasAsked() {
        #expect(decide(response(200), asked: ["a", "b"]) == .granted(["a", "b"]))
        #expect(decide(response(204), asked: ["a"]) == .granted(["a"]))
    }

    @Test func heraldChannelsIsTheChannelSetNarrowingOrNamingPerUserChannels() {
        #expect(decide(response(200, [("Herald-Channels", "user:42")])) == .granted(["user:42"]))
        #expect(decide(response(200, [("Herald-Channels", " a ,b,, a")]), asked: ["a", "b", "c"]) == .granted(["a", "b"]))
        #expect(decide(response(200, [("Herald-Channels", "a"), ("herald-channels", "z")]), asked: ["a"]) == .granted(["a", "z"]))
    }

    @Test func aPercentEncodedGrantedNameIsItsCanonicalName() {
        #expect(decide(response(200, [("Herald-Channels", "user%3A42, user:42, team%2Fred")])) == .granted(["user:42", "team/red"]))
        #expect(decide(response(200, [("Herald-Channels", "user%3a1")]), asked: ["me"], publicChannels: ["user:1"]) == .granted(["user:1"]))
        guard case .unusable(let error) = decide(response(200, [("Herald-Channels", "ok, a%2")])) else {
            Issue.record("expected unusable")
            return
        }
        #expect(error.status == 502 && error.reason.contains(#"channel "a%2": malformed percent-escape"#))
    }

    @Test func publicChannelsComeFirstAndAreKeptWhateverTheAppGrants() {
        #expect(decide(response(200, [("Herald-Channels", "user:1")]), asked: ["me"], publicChannels: ["news"])
            == .granted(["news", "user:1"]))
    }

    @Test(arguments: [301, 302, 400, 401, 403, 404, 500, 503])
    func anyOtherStatusRefusesSoTheAnswerIsRelayed(status: Int) {
        #expect(decide(response(status, [("Herald-Channels", "me")])) == .refused)
    }

    @Test func anInvalidGrantedNameIsTheAppsMistake() {
        guard case .unusable(let error) = decide(response(200, [("Herald-Channels", "ok, not ok")])) else {
            Issue.record("expected unusable")
            return
        }
        #expect(error.status == 502 && error.source == .upstream)
        #expect(error.reason.contains("not ok"))
    }

    @Test func grantingNothingIsA403() {
        #expect(decide(response(200, [("Herald-Channels", "")])) == .unusable(ProxyError(.downstream, status: 403, "the app granted no channel")))
    }

    @Test func grantingMoreThanTheLimitIsA502() {
        guard case .unusable(let error) = decide(response(200, [("Herald-Channels", "a, b, c")]), max: 2) else {
            Issue.record("expected unusable")
            return
        }
        #expect(error.status == 502)
        #expect(error.reason.contains("limits.max_channels_per_connection"))
    }

    @Test func aReauthorizationKeepsAStreamOnlyWhileEveryOneOfItsChannelsIsStillGranted() {
        let stream = ["news", "user:1", "team:red"]
        #expect(AuthorizationVerdict.granted(["news", "user:1", "team:red"]).keeps(stream))
        #expect(AuthorizationVerdict.granted(["news", "user:1", "team:red", "team:blue"]).keeps(stream))
        #expect(!AuthorizationVerdict.granted(["news", "user:1"]).keeps(stream))
        #expect(!AuthorizationVerdict.refused.keeps(stream))
        #expect(!AuthorizationVerdict.unusable(ProxyError(.upstream, status: 502, "x")).keeps(stream))
    }
}
