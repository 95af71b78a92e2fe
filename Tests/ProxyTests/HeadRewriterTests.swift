import HTTP1
import Testing
@testable import Proxy

@Suite struct HeadRewriterTests {
    let rewriter = HeadRewriter(upstreamAuthority: "127.0.0.1:3000")

    private func request(_ fields: [(String, String)], version: HTTPVersion = .http11) -> HTTPRequestHead {
        HTTPRequestHead(method: "POST", target: Array("/a%2Fb?x=1".utf8), version: version,
                        fields: HTTPFields(fields.map { HTTPField(name: $0.0, value: $0.1) }))
    }

    private func names(_ fields: HTTPFields) -> [String] { fields.fields.map(\.name) }

    @Test func hopByHopFieldsAndTheFieldsConnectionNamesAreRemoved() {
        let head = rewriter.upstreamRequest(request([
            ("Host", "app"), ("Connection", "keep-alive, X-Secret"), ("X-Secret", "1"), ("Keep-Alive", "timeout=5"),
            ("Proxy-Connection", "keep-alive"), ("TE", "trailers"), ("Trailer", "X"), ("Upgrade", "websocket"),
            ("Accept", "*/*"),
        ]), clientAddress: "10.0.0.1", framing: .none, tunnel: false)
        #expect(names(head.fields) == ["Host", "Accept", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Via"])
    }

    @Test func forwardingFieldsAreAddedAndAppended() {
        let head = rewriter.upstreamRequest(request([
            ("Host", "shop.example"), ("X-Forwarded-For", "1.2.3.4"), ("Via", "1.1 cdn"), ("X-Forwarded-Proto", "https"),
        ]), clientAddress: "127.0.0.1", framing: .none, tunnel: false)
        #expect(head.fields.firstString("x-forwarded-for") == "1.2.3.4, 127.0.0.1")
        #expect(head.fields.firstString("via") == "1.1 cdn, 1.1 herald")
        #expect(head.fields.firstString("x-forwarded-proto") == "http")
        #expect(head.fields.firstString("x-forwarded-host") == "shop.example")
        #expect(head.fields.firstString("host") == "shop.example")
    }

    @Test func theTargetAndMethodAreKeptByteForByte() {
        let original = request([("Host", "app")])
        let head = rewriter.upstreamRequest(original, clientAddress: "127.0.0.1", framing: .none, tunnel: false)
        #expect(head.target == original.target)
        #expect(head.method == "POST")
    }

    @Test func aChunkedBodyIsDeclaredAnew() {
        let head = rewriter.upstreamRequest(request([("Host", "app"), ("Transfer-Encoding", "chunked")]),
                                            clientAddress: "127.0.0.1", framing: .chunked, tunnel: false)
        #expect(head.fields.values("transfer-encoding") == [Array("chunked".utf8)])
    }

    @Test func anHTTP10RequestWithoutHostGetsTheUpstreamsAuthority() {
        let head = rewriter.upstreamRequest(request([], version: .http10), clientAddress: "127.0.0.1", framing: .none, tunnel: false)
        #expect(head.version == .http11)
        #expect(head.fields.firstString("host") == "127.0.0.1:3000")
        #expect(head.fields.firstString("via") == "1.0 herald")
    }

    @Test func anUpgradeIsKeptWhenTunnelling() {
        let head = rewriter.upstreamRequest(request([("Host", "app"), ("Connection", "Upgrade"), ("Upgrade", "websocket")]),
                                            clientAddress: "127.0.0.1", framing: .none, tunnel: true)
        #expect(head.fields.firstString("connection") == "Upgrade")
        #expect(head.fields.firstString("upgrade") == "websocket")
    }

    @Test func aResponseIsRechunkedForHTTP11AndClosedForHTTP10() {
        let response = HTTPResponseHead(status: 200, reason: "OK", fields: HTTPFields([
            HTTPField(name: "Content-Type", value: "text/event-stream"), HTTPField(name: "Connection", value: "close"),
        ]))
        let chunked = rewriter.downstreamResponse(response, framing: .chunked, keepAlive: true, clientVersion: .http11)
        #expect(chunked.fields.firstString("transfer-encoding") == "chunked")
        #expect(chunked.fields.firstString("connection") == nil)
        let closing = rewriter.downstreamResponse(response, framing: .untilClose, keepAlive: false, clientVersion: .http10)
        #expect(closing.fields.firstString("transfer-encoding") == nil)
        #expect(closing.fields.firstString("connection") == "close")
    }

    @Test func downstreamFramingFollowsTheClientsVersion() {
        #expect(DownstreamFraming(upstream: .untilClose, clientVersion: .http11) == .chunked)
        #expect(DownstreamFraming(upstream: .chunked, clientVersion: .http10) == .untilClose)
        #expect(DownstreamFraming(upstream: .contentLength(5), clientVersion: .http10) == .contentLength(5))
        #expect(DownstreamFraming(upstream: .none, clientVersion: .http11) == DownstreamFraming.none)
    }

    @Test func transferCodingsBeforeChunkedStayWithTheBody() {
        let response = HTTPResponseHead(status: 200, reason: "OK", fields: HTTPFields([
            HTTPField(name: "Transfer-Encoding", value: "gzip, chunked"),
        ]))
        let head = rewriter.downstreamResponse(response, framing: .chunked, keepAlive: true, clientVersion: .http11)
        #expect(head.fields.firstString("transfer-encoding") == "gzip, chunked")
    }
}
