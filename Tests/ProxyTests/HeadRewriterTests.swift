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

    @Test func aTrustedProxysForwardedProtoAndHostAreKeptWhereTheyStand() {
        let fields = [("Host", "shop.example"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "www.example"),
                      ("X-Forwarded-For", "203.0.113.9"), ("Accept", "*/*")]
        let head = rewriter.upstreamRequestHead(request(fields), clientAddress: "10.0.0.2", framing: .none, tunnel: false,
                                                fromTrustedProxy: true)
        let model = rewriter.upstreamRequest(request(fields), clientAddress: "10.0.0.2", framing: .none, tunnel: false,
                                             fromTrustedProxy: true)
        #expect(model.fields.firstString("x-forwarded-proto") == "https")
        #expect(model.fields.firstString("x-forwarded-host") == "www.example")
        #expect(model.fields.firstString("x-forwarded-for") == "203.0.113.9, 10.0.0.2")
        #expect(names(model.fields) == ["Host", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-For", "Accept", "Via"])
        var builder = HeadBuilder(capacity: head.capacity)
        head.write(to: &builder)
        #expect(builder.bytes == model.serialized())
    }

    private func written(_ head: UpstreamRequestHead) -> String {
        var builder = HeadBuilder(capacity: head.capacity)
        head.write(to: &builder)
        return String(decoding: builder.bytes, as: UTF8.self)
    }

    @Test func heraldsRequestIDReplacesEveryOneTheClientSent() {
        let fields = [("Host", "app"), ("X-Request-Id", "bad id"), ("Accept", "*/*"), ("x-request-id", "second")]
        let text = written(rewriter.upstreamRequestHead(request(fields), clientAddress: "10.0.0.2", framing: .none, tunnel: false,
                                                        requestID: "0123456789abcdef0123456789abcdef"))
        #expect(!text.contains("bad id") && !text.contains("second"))
        #expect(text.contains("\r\nX-Request-Id: 0123456789abcdef0123456789abcdef\r\n"))
        #expect(text.contains("\r\nAccept: */*\r\n"))
    }

    @Test func withoutHeraldsRequestIDTheClientsGoesOnUnchanged() {
        let fields = [("Host", "app"), ("X-Request-Id", "abc-1")]
        let text = written(rewriter.upstreamRequestHead(request(fields), clientAddress: "10.0.0.2", framing: .none, tunnel: false))
        #expect(text.contains("\r\nX-Request-Id: abc-1\r\n"))
        #expect(text.split(separator: "\r\n").filter { $0.hasPrefix("X-Request-Id") }.count == 1)
        let added = written(rewriter.upstreamRequestHead(request([("Host", "app")]), clientAddress: "10.0.0.2", framing: .none,
                                                         tunnel: false, requestID: "made"))
        #expect(added.contains("\r\nX-Request-Id: made\r\n"))
    }

    @Test func aTrustedProxyThatSentNoForwardedProtoGetsHeraldsOwn() {
        let head = rewriter.upstreamRequest(request([("Host", "shop.example")]), clientAddress: "10.0.0.2", framing: .none,
                                            tunnel: false, fromTrustedProxy: true)
        #expect(head.fields.firstString("x-forwarded-proto") == "http")
        #expect(head.fields.firstString("x-forwarded-host") == "shop.example")
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

    /// Field lists that exercise every rewrite: hop-by-hop fields, Connection naming others (some
    /// of them forwarding fields), repeated list fields, and none at all.
    private static let fieldLists: [[(String, String)]] = [
        [],
        [("Host", "app")],
        [("Host", "app"), ("Connection", "keep-alive, X-Secret"), ("X-Secret", "1"), ("Keep-Alive", "timeout=5"),
         ("Proxy-Connection", "keep-alive"), ("TE", "trailers"), ("Trailer", "X"), ("Upgrade", "websocket"),
         ("Accept", "*/*"), ("Transfer-Encoding", "gzip, chunked")],
        [("Host", "shop.example"), ("X-Forwarded-For", "1.2.3.4"), ("Via", "1.1 cdn"), ("X-Forwarded-Proto", "https"),
         ("x-forwarded-for", "5.6.7.8"), ("VIA", "1.0 edge"), ("X-Forwarded-Host", "other")],
        [("Host", "app"), ("Connection", "Via, x-forwarded-for, host"), ("Via", "1.1 cdn"), ("X-Forwarded-For", "1.2.3.4")],
        [("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Host", "app"), ("Content-Length", "12")],
        [("Connection", "é, X-A"), ("X-A", "1"), ("Server", "nginx"), ("Date", "today")],
        [("Host", "app"), ("Connection", "X-Forwarded-Proto"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "h")],
    ]

    @Test func downstreamResponseBytesAreTheRewrittenHeadSerialized() {
        let framings: [DownstreamFraming] = [.none, .contentLength(12), .chunked, .untilClose, .switchingProtocols]
        for fields in Self.fieldLists {
            for version in [HTTPVersion.http10, .http11] {
                for framing in framings {
                    for keepAlive in [false, true] {
                        for clientVersion in [HTTPVersion.http10, .http11] {
                            let response = HTTPResponseHead(version: version, status: 200, reason: "OK",
                                                            fields: HTTPFields(fields.map { HTTPField(name: $0.0, value: $0.1) }))
                            let head = rewriter.downstreamResponse(response, framing: framing, keepAlive: keepAlive, clientVersion: clientVersion)
                            let bytes = rewriter.downstreamResponseBytes(response, framing: framing, keepAlive: keepAlive, clientVersion: clientVersion)
                            #expect(bytes == head.serialized())
                        }
                    }
                }
            }
        }
    }

    /// `fieldLists` and a head whose Host, Upgrade and Transfer-Encoding are long: the values that
    /// Herald copies into fields of its own.
    static let boundFieldLists = fieldLists + [[
        ("Host", String(repeating: "h", count: 400)), ("Connection", "Upgrade"),
        ("Upgrade", String(repeating: "u", count: 300)),
        ("Transfer-Encoding", Array(repeating: "gzip", count: 80).joined(separator: ", ") + ", chunked"),
    ]]

    /// Writing into memory of exactly `capacity` bytes traps if the bound is short.
    private func writtenIntoCapacity(_ capacity: Int, _ write: (UnsafeMutableRawBufferPointer) -> Int) -> [UInt8] {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
        defer { memory.deallocate() }
        let count = write(memory)
        return Array(memory.prefix(count))
    }

    @Test func anUpstreamHeadWrittenIntoItsCapacityIsTheRewrittenHeadSerialized() {
        for fields in Self.boundFieldLists {
            for version in [HTTPVersion.http10, .http11] {
                for framing in [RequestBodyFraming.none, .contentLength(3), .chunked] {
                    for tunnel in [false, true] {
                        for clientAddress in ["10.0.0.1", "2001:db8:85a3:1234:5678:8a2e:370:7334"] {
                            for trusted in [false, true] {
                                let original = request(fields, version: version)
                                let model = rewriter.upstreamRequest(original, clientAddress: clientAddress, framing: framing,
                                                                     tunnel: tunnel, fromTrustedProxy: trusted)
                                let head = rewriter.upstreamRequestHead(original, clientAddress: clientAddress, framing: framing,
                                                                        tunnel: tunnel, fromTrustedProxy: trusted)
                                #expect(writtenIntoCapacity(head.capacity) { head.write(into: $0) } == model.serialized())
                            }
                        }
                    }
                }
            }
        }
    }

    @Test func aDownstreamHeadFitsItsCapacityAndIsWrittenThereAsItsBytes() {
        let framings: [DownstreamFraming] = [.none, .contentLength(12), .chunked, .untilClose, .switchingProtocols]
        for fields in Self.boundFieldLists {
            for status in [200, 1234567] {
                for framing in framings {
                    for keepAlive in [false, true] {
                        for clientVersion in [HTTPVersion.http10, .http11] {
                            let response = HTTPResponseHead(version: .http10, status: status, reason: String(repeating: "r", count: 200),
                                                            fields: HTTPFields(fields.map { HTTPField(name: $0.0, value: $0.1) }))
                            let head = rewriter.downstreamResponseHead(response, framing: framing, keepAlive: keepAlive, clientVersion: clientVersion)
                            let written = writtenIntoCapacity(head.capacity) { head.write(into: $0) }
                            #expect(written == rewriter.downstreamResponseBytes(response, framing: framing, keepAlive: keepAlive,
                                                                                clientVersion: clientVersion))
                        }
                    }
                }
            }
        }
    }

    /// A field list's lines as a parser receives them: each line as Herald writes lines, and then
    /// with one line (at each place in turn) spelled in another way a parser accepts, so that runs
    /// of lines forwarded whole meet lines that are not.
    private static func wireLines(_ fields: [(String, String)]) -> [[UInt8]] {
        let canonical = { (name: String, value: String) in "\(name): \(value)\r\n" }
        let others: [(String, String) -> String] = [
            { "\($0):\($1)\r\n" }, { "\($0):  \($1)  \r\n" }, { "\($0): \($1)\n" }, { "\($0):\t\($1)\r\n" },
        ]
        var spellings = [fields.map(canonical).joined()]
        for other in others {
            for odd in fields.indices {
                spellings.append(fields.indices.map { $0 == odd ? other(fields[$0].0, fields[$0].1) : canonical(fields[$0].0, fields[$0].1) }
                    .joined())
            }
        }
        return spellings.map { Array($0.utf8) }
    }

    @Test func parsedHeadsAreRewrittenAsTheModelRewritesTheirFields() throws {
        for fields in Self.fieldLists {
            for lines in Self.wireLines(fields) {
                let version = fields.contains { $0.0 == "Host" } ? "HTTP/1.1" : "HTTP/1.0"
                let request = try HTTPHeadParser.parseRequestHead(Array("GET /a?b=1 \(version)\r\n".utf8) + lines + [0x0D, 0x0A])
                let model = rewriter.upstreamRequest(request, clientAddress: "10.0.0.1", framing: .none, tunnel: false)
                let head = rewriter.upstreamRequestHead(request, clientAddress: "10.0.0.1", framing: .none, tunnel: false)
                #expect(writtenIntoCapacity(head.capacity) { head.write(into: $0) } == model.serialized())

                let response = try HTTPHeadParser.parseResponseHead(Array("HTTP/1.1 200 OK\r\n".utf8) + lines + [0x0D, 0x0A])
                let expected = rewriter.downstreamResponse(response, framing: .contentLength(12), keepAlive: true, clientVersion: .http11)
                let rewritten = rewriter.downstreamResponseHead(response, framing: .contentLength(12), keepAlive: true, clientVersion: .http11)
                #expect(writtenIntoCapacity(rewritten.capacity) { rewritten.write(into: $0) } == expected.serialized())
            }
        }
    }
}
