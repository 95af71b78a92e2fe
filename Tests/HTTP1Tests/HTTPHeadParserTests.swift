import Testing
@testable import HTTP1

@Suite struct HTTPHeadParserScanTests {
    let head = "GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"

    @Test func everyStrictPrefixOfAHeadIsIncomplete() throws {
        let input = bytes(head)
        for length in 0..<input.count {
            #expect(try HTTPHeadParser.scanRequestHead(Array(input[..<length])) == .incomplete, "prefix \(length)")
        }
        #expect(try HTTPHeadParser.scanRequestHead(input) == .complete(length: input.count))
    }

    @Test func theLengthStopsAtTheHeadWhenABodyOrAnotherRequestFollows() throws {
        let input = bytes(head + "POST / HTTP/1.1\r\n")
        #expect(try HTTPHeadParser.scanRequestHead(input) == .complete(length: head.utf8.count))
    }

    @Test func bareLineFeedsEndLinesAndTheHead() throws {
        let text = "GET / HTTP/1.1\nHost: a\n\n"
        #expect(try HTTPHeadParser.scanRequestHead(bytes(text)) == .complete(length: text.utf8.count))
        let mixed = "GET / HTTP/1.1\r\nHost: a\n\r\n"
        #expect(try HTTPHeadParser.scanRequestHead(bytes(mixed)) == .complete(length: mixed.utf8.count))
    }

    @Test func leadingEmptyLinesAreCountedInTheLength() throws {
        let text = "\r\n\n" + head
        #expect(try HTTPHeadParser.scanRequestHead(bytes(text)) == .complete(length: text.utf8.count))
        #expect(try HTTPHeadParser.scanRequestHead(bytes("\r\n\r\n")) == .incomplete)
        #expect(try HTTPHeadParser.scanRequestHead(bytes("\r")) == .incomplete)
    }

    @Test func aBareCarriageReturnWhereALineShouldStartIsRefusedWhileScanning() {
        #expect(parseError { try HTTPHeadParser.scanRequestHead(bytes("\rGET / HTTP/1.1\r\n")) }?.kind == .malformed)
        #expect(parseError { try HTTPHeadParser.scanRequestHead(bytes("GET / HTTP/1.1\r\nHost: a\r\n\rX: 1\r\n")) }?.kind == .malformed)
    }

    @Test func aRequestLineWithoutALineEndWithinTheLimitIs414() {
        let limits = HTTPLimits(maxStartLineBytes: 32)
        let long = "GET /" + String(repeating: "a", count: 40)
        let error = parseError { try HTTPHeadParser.scanRequestHead(bytes(long), limits: limits) }
        #expect(error?.kind == .startLineTooLong)
        #expect(error?.status == 414)
    }

    @Test func aCompleteRequestLineOverTheLimitIs414() {
        let limits = HTTPLimits(maxStartLineBytes: 32)
        let line = "GET /" + String(repeating: "a", count: 19) + " HTTP/1.1" // 33 bytes
        #expect(parseError { try HTTPHeadParser.scanRequestHead(bytes(line + "\r\n"), limits: limits) }?.kind == .startLineTooLong)
        #expect(parseError { try HTTPHeadParser.parseRequestHead(bytes(line + "\r\nHost: a\r\n\r\n"), limits: limits) }?.kind == .startLineTooLong)
    }

    @Test func aRequestLineOfExactlyTheLimitIsAccepted() throws {
        let limits = HTTPLimits(maxStartLineBytes: 32)
        let line = "GET /" + String(repeating: "a", count: 18) + " HTTP/1.1" // 32 bytes
        let text = line + "\r\nHost: a\r\n\r\n"
        #expect(try HTTPHeadParser.scanRequestHead(bytes(line + "\r"), limits: limits) == .incomplete)
        #expect(try scanAndParseRequest(text, limits: limits)?.target.count == 19)
    }

    @Test func aHeadWithoutAnEndWithinTheLimitIs431() {
        let limits = HTTPLimits(maxHeadBytes: 100)
        let text = "GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + String(repeating: "b", count: 100)
        let error = parseError { try HTTPHeadParser.scanRequestHead(bytes(text), limits: limits) }
        #expect(error?.kind == .headTooLarge)
        #expect(error?.status == 431)
    }

    @Test func aHeadOfExactlyTheLimitIsAcceptedAndOneByteMoreIs431() throws {
        let start = "GET / HTTP/1.1\r\nHost: a\r\nX: "
        let filler = String(repeating: "b", count: 100 - start.utf8.count - 4)
        let exact = start + filler + "\r\n\r\n"
        #expect(exact.utf8.count == 100)
        let limits = HTTPLimits(maxHeadBytes: 100)
        #expect(try HTTPHeadParser.scanRequestHead(bytes(exact + "extra"), limits: limits) == .complete(length: 100))
        #expect(try HTTPHeadParser.parseRequestHead(bytes(exact), limits: limits).fields.count == 2)
        let over = start + filler + "b\r\n\r\n"
        #expect(parseError { try HTTPHeadParser.scanRequestHead(bytes(over), limits: limits) }?.kind == .headTooLarge)
        #expect(parseError { try HTTPHeadParser.parseRequestHead(bytes(over), limits: limits) }?.kind == .headTooLarge)
    }

    @Test func aStatusLineTooLongCountsAsHeadTooLarge() {
        let limits = HTTPLimits(maxStartLineBytes: 20)
        let text = "HTTP/1.1 200 " + String(repeating: "O", count: 30)
        #expect(parseError { try HTTPHeadParser.scanResponseHead(bytes(text), limits: limits) }?.kind == .headTooLarge)
        #expect(parseError { try HTTPHeadParser.parseResponseHead(bytes(text + "\r\n\r\n"), limits: limits) }?.kind == .headTooLarge)
    }

    @Test func aResponseHeadIsFoundLikeARequestHead() throws {
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
        #expect(try HTTPHeadParser.scanResponseHead(bytes(text + "hi")) == .complete(length: text.utf8.count))
        #expect(try HTTPHeadParser.scanResponseHead(bytes("HTTP/1.1 200 OK\r\n")) == .incomplete)
    }
}

@Suite struct HTTPHeadParserRequestTests {
    @Test func aWellFormedRequestHeadIsParsedIntoItsParts() throws {
        let head = try #require(try scanAndParseRequest(
            "PROPFIND /a/b?c=d HTTP/1.1\r\nHost: example.com:8080\r\nX-Empty:\r\nX-Spaced: \t padded value \t\r\n\r\n"))
        #expect(head.method == "PROPFIND")
        #expect(head.targetString == "/a/b?c=d")
        #expect(head.version == .http11)
        #expect(head.fields.fields == [
            HTTPField(name: "Host", value: "example.com:8080"),
            HTTPField(name: "X-Empty", value: ""),
            HTTPField(name: "X-Spaced", value: "padded value"),
        ])
    }

    @Test func anHTTP10RequestNeedsNoHost() throws {
        let head = try parseRequest("GET / HTTP/1.0\r\n\r\n")
        #expect(head.version == .http10)
        #expect(head.fields.count == 0)
    }

    @Test func obsTextInValuesAndTargetsIsKeptByteForByte() throws {
        var input = bytes("GET /caf")
        input += [0xC3, 0xA9, 0xFF]
        input += bytes(" HTTP/1.1\r\nHost: a\r\nX-Latin1: ")
        input += [0x80, 0xE9, 0x20, 0xFF]
        input += bytes("\r\n\r\n")
        let head = try HTTPHeadParser.parseRequestHead(input)
        #expect(head.target == bytes("/caf") + [0xC3, 0xA9, 0xFF])
        #expect(head.fields.first("x-latin1") == [0x80, 0xE9, 0x20, 0xFF])
        #expect(head.serialized() == input)
    }

    @Test func upToEightLeadingEmptyLinesAreIgnored() throws {
        let head = try parseRequest(String(repeating: "\r\n", count: 8) + "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(head.method == "GET")
        let tooMany = String(repeating: "\r\n", count: 9) + "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(parseError { try HTTPHeadParser.scanRequestHead(bytes(tooMany)) }?.kind == .malformed)
        #expect(parseError { try parseRequest(tooMany) }?.kind == .malformed)
    }

    @Test func anyTokenIsAMethod() throws {
        #expect(try parseRequest("M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n").method == "M-SEARCH")
        #expect(try parseRequest("get / HTTP/1.1\r\nHost: a\r\n\r\n").method == "get")
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n continued\r\n\r\n", "obs-fold is not allowed"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\tcontinued\r\n\r\n", "obs-fold is not allowed"),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", "white space before colon"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-A\t: 1\r\n\r\n", "white space before colon"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", "bare CR in head"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX\r: 1\r\n\r\n", "bare CR in head"),
        ("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", "bare CR in head"),
        ("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", "bare CR in head"),
        ("GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", "bare CR in head"),
        ("GET / HTTP/1.1\r\nHost: a\r\n: empty name\r\n\r\n", "empty field name"),
        ("GET / HTTP/1.1\r\nHost: a\r\nNo-Colon\r\n\r\n", "missing colon in field line"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX(1): 1\r\n\r\n", "invalid character in field name"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0}b\r\n\r\n", "control character in field value"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{1}b\r\n\r\n", "control character in field value"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{8}b\r\n\r\n", "control character in field value"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{B}b\r\n\r\n", "control character in field value"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{1F}b\r\n\r\n", "control character in field value"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{7F}b\r\n\r\n", "control character in field value"),
        ("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", "invalid method"),
        (" / HTTP/1.1\r\nHost: a\r\n\r\n", "invalid method"),
        ("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", "invalid method"),
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", "invalid request-target"),
        ("GET /a\u{1}b HTTP/1.1\r\nHost: a\r\n\r\n", "invalid request-target"),
        ("GET /a\u{7F}b HTTP/1.1\r\nHost: a\r\n\r\n", "invalid request-target"),
        ("GET /\r\nHost: a\r\n\r\n", "missing HTTP version"),
        ("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", "invalid HTTP version"),
        ("GET / http/1.1\r\nHost: a\r\n\r\n", "invalid HTTP version"),
        ("GET / HTTP/1\r\nHost: a\r\n\r\n", "invalid HTTP version"),
        ("GET / HTTP/1.10\r\nHost: a\r\n\r\n", "invalid HTTP version"),
        ("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", "invalid HTTP version"),
        ("GET / HTTP/1.1\r\n\r\n", "missing Host header"),
        ("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", "more than one Host header"),
        ("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", "more than one Host header"),
        ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "invalid Host header"),
        ("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", "invalid Host header"),
        ("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", "invalid Host header"),
    ])
    func aMalformedRequestHeadIsRefusedWith400(head: String, reason: String) {
        let error = parseError { try scanAndParseRequest(head) }
        #expect(error?.kind == .malformed)
        #expect(error?.status == 400)
        #expect(error?.reason == reason)
    }

    @Test(arguments: ["HTTP/2.0", "HTTP/0.9", "HTTP/1.2", "HTTP/3.0"])
    func anotherHTTPVersionIsRefusedWith505(version: String) {
        let error = parseError { try scanAndParseRequest("GET / \(version)\r\nHost: a\r\n\r\n") }
        #expect(error?.kind == .versionNotSupported)
        #expect(error?.status == 505)
    }

    @Test func emptyAndBracketedHostsAreAccepted() throws {
        #expect(try parseRequest("GET / HTTP/1.1\r\nHost:\r\n\r\n").fields.first("host") == [])
        #expect(try parseRequest("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n").fields.firstString("host") == "[::1]:8080")
    }

    @Test func moreFieldsThanTheLimitIs431() throws {
        let limits = HTTPLimits(maxFieldCount: 3)
        #expect(try parseRequest("GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 1\r\n\r\n", limits: limits).fields.count == 3)
        let error = parseError { try parseRequest("GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n", limits: limits) }
        #expect(error?.kind == .headTooLarge)
        #expect(error?.status == 431)
    }

    @Test func theParserOnlyAcceptsExactlyOneCompleteHead() {
        #expect(parseError { try parseRequest("GET / HTTP/1.1\r\nHost: a\r\n") }?.kind == .malformed)
        #expect(parseError { try parseRequest("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET") }?.kind == .malformed)
        #expect(parseError { try parseRequest("") }?.kind == .malformed)
        #expect(parseError { try parseRequest("GET / HTTP/1.1") }?.kind == .malformed)
    }

    @Test func bareLineFeedsAreAcceptedAsLineEnds() throws {
        let head = try parseRequest("GET / HTTP/1.1\nHost: a\nX: 1\n\n")
        #expect(head.fields.count == 2)
        #expect(head.fields.first("x") == bytes("1"))
    }
}

@Suite struct HTTPHeadParserResponseTests {
    @Test(arguments: [
        ("HTTP/1.1 200 OK\r\n\r\n", 200, "OK"),
        ("HTTP/1.1 404 Not Found\r\n\r\n", 404, "Not Found"),
        ("HTTP/1.0 204 \r\n\r\n", 204, ""),
        ("HTTP/1.1 200\r\n\r\n", 200, ""),
        ("HTTP/1.1 999 Custom\tReason\r\n\r\n", 999, "Custom\tReason"),
        ("HTTP/1.1 100 Continue\n\n", 100, "Continue"),
    ])
    func aWellFormedStatusLineIsParsed(head: String, status: Int, reason: String) throws {
        let response = try parseResponse(head)
        #expect(response.status == status)
        #expect(response.reason == bytes(reason))
    }

    @Test func fieldsAndVersionAreParsed() throws {
        let response = try parseResponse("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n")
        #expect(response.version == .http10)
        #expect(response.fields.fields == [
            HTTPField(name: "Content-Type", value: "text/plain"),
            HTTPField(name: "Content-Length", value: "2"),
        ])
    }

    @Test func obsTextInTheReasonIsKept() throws {
        let input = bytes("HTTP/1.1 200 ") + [0xC3, 0xA9, 0x80] + bytes("\r\n\r\n")
        #expect(try HTTPHeadParser.parseResponseHead(input).reason == [0xC3, 0xA9, 0x80])
    }

    @Test(arguments: [
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n",
        "HTTP/1.1 abc OK\r\n\r\n",
        "HTTP/1.1  200 OK\r\n\r\n",
        "HTTP/1.1 200OK\r\n\r\n",
        "HTTP/1.1 200 O\u{1}K\r\n\r\n",
        "HTTP/1.1 200 O\rK\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
        "HTTP/1.1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX : 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: 1\r\n folded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: \u{0}\r\n\r\n",
    ])
    func aMalformedResponseHeadIsRefused(head: String) {
        #expect(parseError { try parseResponse(head) }?.kind == .malformed)
    }

    @Test func aResponseInAnotherVersionIsNotSupported() {
        #expect(parseError { try parseResponse("HTTP/2.0 200 OK\r\n\r\n") }?.kind == .versionNotSupported)
    }

    @Test func aResponseNeedsNoHostAndAllowsRepeatedFields() throws {
        let response = try parseResponse("HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n")
        #expect(response.fields.values("set-cookie") == [bytes("a=1"), bytes("b=2")])
    }
}
