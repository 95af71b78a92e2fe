import Testing
@testable import HTTP1

@Suite struct HTTPFieldsTests {
    private func fields(_ pairs: [(String, String)]) -> HTTPFields {
        HTTPFields(pairs.map { HTTPField(name: $0.0, value: $0.1) })
    }

    private func names(_ fields: HTTPFields) -> [String] { fields.fields.map(\.name) }

    @Test func lookupsIgnoreTheCaseOfBothNames() {
        let head = fields([("Content-Type", "text/plain"), ("X-A", "1"), ("x-a", "2")])
        #expect(head.firstString("content-type") == "text/plain")
        #expect(head.firstString("CONTENT-TYPE") == "text/plain")
        #expect(head.values("X-a") == [Array("1".utf8), Array("2".utf8)])
        #expect(head.contains("x-A"))
        #expect(!head.contains("x-b"))
    }

    @Test func removeTakesEveryFieldOfThatNameAndOnlyThose() {
        var head = fields([("X-A", "1"), ("Host", "h"), ("x-a", "2")])
        head.remove("X-A")
        #expect(names(head) == ["Host"])
        head.remove("absent")
        #expect(names(head) == ["Host"])
    }

    @Test func removeAllNamedOrListedMatchesNamesAndListElementsIgnoringCase() {
        var head = fields([
            ("Host", "h"), ("CONNECTION", " Keep-Alive ,, x-SECRET\t"), ("X-Secret", "1"), ("Keep-Alive", "5"),
            ("x-secret-not", "2"), ("TE", "trailers"),
        ])
        head.removeAll(named: ["connection", "keep-alive", "te"], orListedIn: "connection")
        #expect(names(head) == ["Host", "x-secret-not"])
    }

    @Test func removeAllNamedOrListedReadsNonASCIIValuesAsTokensDoes() {
        var head = fields([("Connection", "é, X-A"), ("X-A", "1"), ("X-B", "2")])
        head.removeAll(named: [], orListedIn: "connection")
        #expect(names(head) == ["Connection", "X-B"])
    }

    @Test func removeAllNamedOrListedLowercasesNonASCIINamesAsBefore() {
        // U+212A KELVIN SIGN lowercases to "k": the names compare as `lowercased()` says.
        var head = fields([("\u{212A}eep-alive", "1"), ("X-\u{212A}", "2"), ("Connection", "x-k"), ("Y", "3")])
        head.removeAll(named: ["keep-alive"], orListedIn: "connection")
        #expect(names(head) == ["Connection", "Y"])
    }

    @Test func removeAllNamedOrListedLeavesAHeadWithoutThemAlone() {
        var head = fields([("Host", "h"), ("Accept", "*/*")])
        head.removeAll(named: ["connection", "keep-alive"], orListedIn: "connection")
        #expect(names(head) == ["Host", "Accept"])
    }
}

@Suite struct HopByHopFieldsTests {
    private func fields(_ pairs: [(String, String)]) -> HTTPFields {
        HTTPFields(pairs.map { HTTPField(name: $0.0, value: $0.1) })
    }

    /// What the general removal keeps, which the fast test must agree with.
    private func keptByGeneralRemoval(_ head: HTTPFields) -> [String] {
        var copy = head
        copy.removeAll(named: KnownFieldName.hopByHopSpellings, orListedIn: "connection")
        return copy.fields.map(\.name)
    }

    private func keptByHopByHop(_ head: HTTPFields) -> [String] {
        let hopByHop = head.hopByHop
        return head.fields.filter { !hopByHop.contains($0) }.map(\.name)
    }

    @Test(arguments: [
        [("Host", "h"), ("Connection", "keep-alive"), ("Keep-Alive", "5"), ("Content-Length", "3")],
        [("Host", "h"), ("CONNECTION", " Keep-Alive ,, x-SECRET\t"), ("X-Secret", "1"), ("x-secret-not", "2"), ("TE", "trailers")],
        [("Connection", "close"), ("Close", "1"), ("Via", "1.1 a")],
        [("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Proxy-Connection", "x"), ("Trailer", "t"), ("Transfer-Encoding", "chunked")],
        [("Connection", "host, via"), ("Host", "h"), ("Via", "v"), ("X-Forwarded-For", "1.2.3.4")],
        [("Connection", "é, X-A"), ("X-A", "1"), ("X-B", "2")],
        [("\u{212A}eep-alive", "1"), ("X-\u{212A}", "2"), ("Connection", "x-k"), ("Y", "3")],
        [("Accept", "*/*"), ("User-Agent", "u")],
    ] as [[(String, String)]])
    func agreesWithTheGeneralRemoval(pairs: [(String, String)]) {
        let head = fields(pairs)
        #expect(keptByHopByHop(head) == keptByGeneralRemoval(head))
    }

    @Test func removeHopByHopKeepsEndToEndFieldsInOrder() {
        var head = fields([("Host", "h"), ("Connection", "x-a, close"), ("X-A", "1"), ("Accept", "*/*"), ("TE", "trailers")])
        head.removeHopByHop()
        #expect(head.fields.map(\.name) == ["Host", "Accept"])
    }

    @Test func parsedNamesAreRecognisedIgnoringCase() throws {
        let raw = Array("GET / HTTP/1.1\r\nhOST: a\r\nCONTENT-length: 0\r\nX-Forwarded-FOR: b\r\nX-Other: c\r\n\r\n".utf8)
        let head = try raw.withUnsafeBytes { try HTTPHeadParser.parseRequestHead($0, limits: HTTPLimits()) }
        #expect(head.fields.fields.map(\.known) == [.host, .contentLength, .xForwardedFor, .other])
        #expect(head.fields.firstBytes(.xForwardedFor).map(Array.init) == Array("b".utf8))
    }

    @Test func renamingAFieldRecognisesItsNewName() {
        var field = HTTPField(name: "X-A", value: "1")
        #expect(field.known == .other)
        field.name = "Via"
        #expect(field.known == .via)
    }
}
