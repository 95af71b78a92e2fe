import Testing
@testable import HTTP1

@Suite struct HTTPRequestHeadTests {
    /// A request head with `fields` ("Name: value" lines) after the request line.
    private func request(_ fields: [String], version: String = "HTTP/1.1") throws -> HTTPRequestHead {
        let lines = fields.map { $0 + "\r\n" }.joined()
        return try parseRequest("POST /upload \(version)\r\nHost: a\r\n\(lines)\r\n")
    }

    @Test(arguments: [
        ([], RequestBodyFraming.none),
        (["Content-Length: 0"], .contentLength(0)),
        (["Content-Length: 5"], .contentLength(5)),
        (["Content-Length: 005"], .contentLength(5)),
        (["Content-Length: 5, 5"], .contentLength(5)),
        (["Content-Length: 5", "content-length: 5"], .contentLength(5)),
        (["Content-Length: 18446744073709551615"], .contentLength(UInt64.max)),
        (["Transfer-Encoding: chunked"], .chunked),
        (["Transfer-Encoding: Chunked"], .chunked),
        (["Transfer-Encoding: , chunked ,"], .chunked),
    ])
    func aRequestBodyIsFramedAsRFC9112Says(fields: [String], framing: RequestBodyFraming) throws {
        #expect(try request(fields).bodyFraming() == framing)
    }

    @Test(arguments: [
        (["Content-Length: 5", "Transfer-Encoding: chunked"], "both Content-Length and Transfer-Encoding"),
        (["Transfer-Encoding: chunked", "Content-Length: 5"], "both Content-Length and Transfer-Encoding"),
        (["Content-Length: 5, 6"], "differing Content-Length values"),
        (["Content-Length: 5", "Content-Length: 6"], "differing Content-Length values"),
        (["Content-Length: abc"], "invalid Content-Length"),
        (["Content-Length: -1"], "invalid Content-Length"),
        (["Content-Length: +5"], "invalid Content-Length"),
        (["Content-Length: 5 5"], "invalid Content-Length"),
        (["Content-Length: 0x5"], "invalid Content-Length"),
        (["Content-Length:"], "invalid Content-Length"),
        (["Content-Length: 5,"], "invalid Content-Length"),
        (["Content-Length: 18446744073709551616"], "Content-Length too large"),
        (["Content-Length: 99999999999999999999999"], "Content-Length too large"),
        (["Transfer-Encoding: gzip"], "final transfer coding is not chunked"),
        (["Transfer-Encoding: chunked, gzip"], "final transfer coding is not chunked"),
        (["Transfer-Encoding: chunked;ext=1"], "final transfer coding is not chunked"),
        (["Transfer-Encoding: xchunked"], "final transfer coding is not chunked"),
        (["Transfer-Encoding:"], "empty Transfer-Encoding"),
        (["Transfer-Encoding: chunked, chunked"], "chunked applied more than once"),
        (["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"], "chunked applied more than once"),
    ])
    func anAmbiguousRequestBodyIsRefusedWith400(fields: [String], reason: String) throws {
        let error = parseError { try request(fields).bodyFraming() }
        #expect(error?.kind == .malformed)
        #expect(error?.status == 400)
        #expect(error?.reason == reason)
    }

    @Test func transferEncodingInAnHTTP10RequestIsRefused() throws {
        let error = parseError { try request(["Transfer-Encoding: chunked"], version: "HTTP/1.0").bodyFraming() }
        #expect(error?.kind == .malformed)
        #expect(error?.reason == "Transfer-Encoding in an HTTP/1.0 request")
    }

    @Test(arguments: [
        ["Transfer-Encoding: gzip, chunked"],
        ["Transfer-Encoding: gzip", "Transfer-Encoding: chunked"],
        ["Transfer-Encoding: deflate,chunked"],
    ])
    func chunkedAfterAnotherCodingIsNotImplemented(fields: [String]) throws {
        let error = parseError { try request(fields).bodyFraming() }
        #expect(error?.kind == .notImplemented)
        #expect(error?.status == 501)
    }

    @Test(arguments: [
        ("HTTP/1.1", [], true),
        ("HTTP/1.1", ["Connection: keep-alive"], true),
        ("HTTP/1.1", ["Connection: close"], false),
        ("HTTP/1.1", ["Connection: Keep-Alive, CLOSE"], false),
        ("HTTP/1.1", ["Connection: x-close"], true),
        ("HTTP/1.1", ["Connection: te", "Connection: close"], false),
        ("HTTP/1.0", [], false),
        ("HTTP/1.0", ["Connection: keep-alive"], true),
        ("HTTP/1.0", ["Connection: Keep-Alive"], true),
        ("HTTP/1.0", ["Connection: keep-alive, close"], false),
    ])
    func keepAliveFollowsTheVersionAndConnection(version: String, fields: [String], keepAlive: Bool) throws {
        #expect(try request(fields, version: version).wantsKeepAlive == keepAlive)
    }

    @Test(arguments: [
        (["Connection: Upgrade", "Upgrade: websocket"], true),
        (["Connection: keep-alive, upgrade", "Upgrade: websocket"], true),
        (["Upgrade: websocket"], false),
        (["Connection: upgrade"], false),
        (["Connection: upgraded", "Upgrade: websocket"], false),
    ])
    func anUpgradeNeedsBothConnectionAndUpgrade(fields: [String], isUpgrade: Bool) throws {
        #expect(try request(fields).isUpgradeRequest == isUpgrade)
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
        "POST /submit?x=1&y=%20 HTTP/1.1\r\nHost: a:80\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nX-Empty: \r\n\r\n",
        "OPTIONS * HTTP/1.0\r\n\r\n",
        "GET http://a.example/x HTTP/1.1\r\nhost: a.example\r\nCookie: a=1; b=2\r\nCookie: c=3\r\n\r\n",
    ])
    func aWellFormedHeadRoundTripsByteForByte(head: String) throws {
        #expect(try parseRequest(head).serialized() == bytes(head))
    }

    @Test func aBuiltHeadIsSerializedInFieldOrder() {
        var fields = HTTPFields()
        fields.append("Host", "upstream")
        fields.append("Via", "1.1 herald")
        let head = HTTPRequestHead(method: "DELETE", target: bytes("/x"), version: .http11, fields: fields)
        #expect(head.serialized() == bytes("DELETE /x HTTP/1.1\r\nHost: upstream\r\nVia: 1.1 herald\r\n\r\n"))
    }

    @Test func aReceivedHeadIsSerializedAsTheWriterWritesEveryLine() throws {
        // No space after a colon, spaces around a value, a bare LF: each line rewritten as `name: value` CRLF.
        let head = try parseRequest("GET / HTTP/1.1\r\nHost:a\r\nX-A:  1  \nX-B: 2\r\n\r\n")
        #expect(head.serialized() == bytes("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nX-B: 2\r\n\r\n"))
    }
}
