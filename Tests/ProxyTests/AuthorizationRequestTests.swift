import HTTP1
import Testing
@testable import Proxy

@Suite struct AuthorizationRequestTests {
    private func subscribe(_ fields: [(String, String)], target: String = "/events/me?x=1",
                           version: HTTPVersion = .http11) -> HTTPRequestHead {
        HTTPRequestHead(method: "GET", target: Array(target.utf8), version: version,
                        fields: HTTPFields(fields.map { HTTPField(name: $0.0, value: $0.1) }))
    }

    private func head(_ request: AuthorizationRequest) throws -> HTTPRequestHead {
        try HTTPHeadParser.parseRequestHead(request.bytes)
    }

    @Test func itIsAGetOfTheSubscribeTargetWithTheCredentialsAndTheChannelsOnly() throws {
        let request = AuthorizationRequest(
            subscribe: subscribe([("Host", "shop.example"), ("Cookie", "sid=1"), ("Accept", "text/event-stream"),
                                  ("Authorization", "Bearer t"), ("Last-Event-ID", "7"), ("Herald-Channels", "user:2"),
                                  ("Origin", "https://shop.example")]),
            askedChannels: ["me", "news"], clientAddress: "10.0.0.9", path: "", upstreamAuthority: "127.0.0.1:3000")
        let head = try head(request)
        #expect(head.method == "GET")
        #expect(head.targetString == "/events/me?x=1")
        #expect(head.version == .http11)
        #expect(head.fields.fields.map(\.name) == [
            "Host", "Cookie", "Authorization", "Herald-Channels", "X-Original-URI", "X-Forwarded-For",
            "X-Forwarded-Proto", "X-Forwarded-Host", "Via",
        ])
        #expect(head.fields.firstString("host") == "shop.example")
        #expect(head.fields.firstString("cookie") == "sid=1")
        #expect(head.fields.firstString("authorization") == "Bearer t")
        #expect(head.fields.values("herald-channels") == [Array("me, news".utf8)])
        #expect(head.fields.firstString("x-forwarded-for") == "10.0.0.9")
        #expect(head.fields.firstString("x-forwarded-host") == "shop.example")
        #expect(try head.bodyFraming() == RequestBodyFraming.none)
        #expect(request.askedChannels == ["me", "news"])
    }

    @Test func aConfiguredPathReplacesTheTargetWhichGoesInXOriginalURI() throws {
        let request = AuthorizationRequest(subscribe: subscribe([("Host", "a")]), askedChannels: ["me"],
                                           clientAddress: "1.2.3.4", path: "/auth/events?v=2", upstreamAuthority: "app:3000")
        let head = try head(request)
        #expect(head.targetString == "/auth/events?v=2")
        #expect(head.fields.firstString("x-original-uri") == "/events/me?x=1")
    }

    @Test func theClientsForwardedForChainIsAppended() throws {
        let request = AuthorizationRequest(
            subscribe: subscribe([("Host", "a"), ("X-Forwarded-For", "203.0.113.1"), ("X-Forwarded-For", "198.51.100.2")]),
            askedChannels: ["me"], clientAddress: "10.0.0.1", path: "", upstreamAuthority: "app:3000")
        #expect(try head(request).fields.values("x-forwarded-for") == [Array("203.0.113.1, 198.51.100.2, 10.0.0.1".utf8)])
    }

    @Test func aTrustedProxysForwardedProtoAndHostGoOnAndAnyoneElsesAreReplaced() throws {
        let fields = [("Host", "a"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "www.example")]
        let trusted = AuthorizationRequest(subscribe: subscribe(fields), askedChannels: ["me"], clientAddress: "10.0.0.1",
                                           path: "", upstreamAuthority: "app:3000", fromTrustedProxy: true)
        #expect(try head(trusted).fields.firstString("x-forwarded-proto") == "https")
        #expect(try head(trusted).fields.firstString("x-forwarded-host") == "www.example")
        let other = AuthorizationRequest(subscribe: subscribe(fields), askedChannels: ["me"], clientAddress: "10.0.0.1",
                                         path: "", upstreamAuthority: "app:3000")
        #expect(try head(other).fields.firstString("x-forwarded-proto") == "http")
        #expect(try head(other).fields.firstString("x-forwarded-host") == "a")
    }

    @Test func anHTTP10SubscribeWithoutHostAsksTheUpstreamsAuthority() throws {
        let request = AuthorizationRequest(subscribe: subscribe([], version: .http10), askedChannels: ["me"],
                                           clientAddress: "10.0.0.1", path: "", upstreamAuthority: "app:3000")
        let head = try head(request)
        #expect(head.fields.firstString("host") == "app:3000")
        #expect(!head.fields.contains("x-forwarded-host"))
        #expect(head.fields.firstString("via") == "1.0 herald")
    }
}
