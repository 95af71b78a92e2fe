import Testing
@testable import HTTP1

@Suite struct HTTPResponseHeadTests {
    private func response(_ status: Int, _ fields: [String], version: String = "HTTP/1.1") throws -> HTTPResponseHead {
        let lines = fields.map { $0 + "\r\n" }.joined()
        return try parseResponse("\(version) \(status) Reason\r\n\(lines)\r\n")
    }

    @Test(arguments: [
        ("HEAD", 200, ["Content-Length: 10"], ResponseBodyFraming.none),
        ("HEAD", 200, ["Transfer-Encoding: chunked"], .none),
        ("GET", 100, [], .none),
        ("GET", 101, ["Upgrade: websocket"], .none),
        ("GET", 103, ["Link: </a.css>"], .none),
        ("GET", 204, ["Content-Length: 10"], .none),
        ("GET", 304, ["Content-Length: 10"], .none),
        ("GET", 200, ["Transfer-Encoding: chunked"], .chunked),
        ("GET", 200, ["Transfer-Encoding: chunked", "Content-Length: 10"], .chunked),
        ("GET", 200, ["Transfer-Encoding: gzip, chunked"], .chunked),
        ("GET", 200, ["Transfer-Encoding: gzip"], .untilClose),
        ("GET", 200, ["Transfer-Encoding: chunked, gzip", "Content-Length: 10"], .untilClose),
        ("GET", 200, ["Content-Length: 10"], .contentLength(10)),
        ("GET", 200, ["Content-Length: 10, 10"], .contentLength(10)),
        ("POST", 404, ["Content-Length: 0"], .contentLength(0)),
        ("GET", 200, [], .untilClose),
        ("head", 200, ["Content-Length: 10"], .contentLength(10)),
    ])
    func aResponseBodyIsFramedAsRFC9112Says(method: String, status: Int, fields: [String],
                                            framing: ResponseBodyFraming) throws {
        #expect(try response(status, fields).bodyFraming(requestMethod: method) == framing)
    }

    @Test(arguments: [
        ["Content-Length: ten"],
        ["Content-Length: 10, 11"],
        ["Content-Length: 10", "Content-Length: 11"],
        ["Content-Length: 99999999999999999999"],
        ["Transfer-Encoding: chunked, chunked"],
    ])
    func anInvalidResponseLengthIsMalformed(fields: [String]) throws {
        #expect(parseError { try response(200, fields).bodyFraming(requestMethod: "GET") }?.kind == .malformed)
    }

    @Test(arguments: [
        ("HTTP/1.1", [], true),
        ("HTTP/1.1", ["Connection: close"], false),
        ("HTTP/1.0", [], false),
        ("HTTP/1.0", ["Connection: keep-alive"], true),
    ])
    func keepAliveFollowsTheVersionAndConnection(version: String, fields: [String], keepAlive: Bool) throws {
        #expect(try response(200, fields, version: version).wantsKeepAlive == keepAlive)
    }

    @Test(arguments: [
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n",
        "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 204 \r\n\r\n",
    ])
    func aWellFormedHeadRoundTripsByteForByte(head: String) throws {
        #expect(try parseResponse(head).serialized() == bytes(head))
    }

    @Test func anEmptyReasonIsSerializedWithItsSpace() throws {
        #expect(try parseResponse("HTTP/1.1 200\r\n\r\n").serialized() == bytes("HTTP/1.1 200 \r\n\r\n"))
        #expect(HTTPResponseHead(status: 502, reason: "Bad Gateway").serialized() == bytes("HTTP/1.1 502 Bad Gateway\r\n\r\n"))
    }
}
