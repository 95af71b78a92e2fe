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

    @Test func aParsedFieldEqualsOneMadeFromItsNameAndValue() throws {
        let head = try HTTPHeadParser.parseRequestHead(Array("GET / HTTP/1.1\r\nHost: h\r\nX-A:  1 \r\n\r\n".utf8))
        #expect(head.fields.fields == [HTTPField(name: "Host", value: "h"), HTTPField(name: "X-A", value: "1")])
        #expect(head.fields.fields[1] != HTTPField(name: "X-A", value: "2"))
        #expect(head.fields.fields[1] != HTTPField(name: "X-B", value: "1"))
    }

    @Test func settingAParsedFieldsValueOrNameKeepsTheOther() throws {
        let head = try HTTPHeadParser.parseRequestHead(Array("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\r\n".utf8))
        var field = head.fields.fields[1]
        field.value = Array("22".utf8)
        #expect(field.name == "X-A" && field.valueString == "22")
        field.name = "Via"
        #expect(field.name == "Via" && field.valueString == "22" && field.known == .via)
        #expect(head.fields.fields[1] == HTTPField(name: "X-A", value: "1"))
    }

    /// A run of fields forwarded whole: its lines as they came when each was sent as Herald writes
    /// lines and they follow one another; written field by field otherwise, so the bytes are the
    /// same either way.
    private func forwarded(_ fields: HTTPFields, _ range: Range<Int>) -> String {
        var builder = HeadBuilder(capacity: 64)
        builder.fields(range, of: fields)
        return String(decoding: builder.bytes, as: UTF8.self)
    }

    @Test func aRunOfFieldsIsForwardedAsSerializedWhateverItsSpelling() throws {
        let head = try HTTPHeadParser.parseRequestHead(Array("GET / HTTP/1.1\r\nHost: h\r\nX-A:1\r\nX-B: 2\r\nX-C: 3 \r\nX-D: 4\n\r\n".utf8))
        #expect(forwarded(head.fields, 0..<5) == "Host: h\r\nX-A: 1\r\nX-B: 2\r\nX-C: 3\r\nX-D: 4\r\n")
        #expect(forwarded(head.fields, 0..<1) == "Host: h\r\n")
        #expect(forwarded(head.fields, 2..<3) == "X-B: 2\r\n")
        #expect(forwarded(head.fields, 1..<1) == "")
    }

    @Test func aRunAcrossARemovedFieldLeavesItOut() throws {
        var head = try HTTPHeadParser.parseRequestHead(Array("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-B: 2\r\n\r\n".utf8))
        head.fields.remove("x-a")
        #expect(forwarded(head.fields, 0..<2) == "Host: h\r\nX-B: 2\r\n")
        head.fields.append("X-C", "3")
        #expect(forwarded(head.fields, 0..<3) == "Host: h\r\nX-B: 2\r\nX-C: 3\r\n")
    }

    @Test func knownNamesAreFoundAsTheLinesHaveThemThroughEveryChange() throws {
        var head = try parseRequest("GET / HTTP/1.1\r\nHost: h\r\nCONNECTION: close\r\nX-A: 1\r\n\r\n")
        let all: [KnownFieldName] = [.other, .connection, .keepAlive, .proxyConnection, .te, .trailer, .transferEncoding,
                                     .upgrade, .close, .host, .via, .xForwardedFor, .xForwardedProto, .xForwardedHost, .contentLength]
        func expectAsTheLines(_ fields: HTTPFields) {
            for name in all { #expect(fields.contains(name) == fields.indices.contains { fields.known(at: $0) == name }, "\(name)") }
        }
        #expect(head.fields.contains(.connection) && head.fields.contains(.host) && head.fields.contains(.other))
        expectAsTheLines(head.fields)
        head.fields.append("Via", "1.1 a")
        #expect(head.fields.contains(.via))
        expectAsTheLines(head.fields)
        head.fields.remove("connection")
        #expect(!head.fields.contains(.connection))
        expectAsTheLines(head.fields)
        head.fields.removeHopByHop()
        expectAsTheLines(head.fields)
        head.fields.fields = [HTTPField(name: "Content-Length", value: "3")]
        #expect(head.fields.contains(.contentLength) && !head.fields.contains(.host))
        expectAsTheLines(head.fields)
        #expect(head.fields.firstCount(.contentLength) == 1)
        #expect(head.fields.firstCount(.host) == nil)
    }

    @Test func theSerializedCountBoundHoldsForEverySpellingOfALine() throws {
        // The least a line can take on the wire ("n:v" LF) against what writing it takes.
        let heads = ["GET / HTTP/1.1\nHost:h\nA:b\nC:\n\n", "GET / HTTP/1.1\r\nHost: h\r\nA:  b \r\n\r\n"]
        for text in heads {
            var head = try parseRequest(text)
            #expect(head.fields.serializedCountBound >= head.fields.serializedCount)
            head.fields.append("X", "")
            head.fields.remove("a")
            #expect(head.fields.serializedCountBound >= head.fields.serializedCount)
        }
        let built = HTTPFields([HTTPField(name: "A", value: ""), HTTPField(name: "B", value: "c")])
        #expect(built.serializedCountBound >= built.serializedCount)
    }

    @Test func whatConnectionListsIsAnsweredAsReadingTheValuesDoes() throws {
        let values = ["close", " Keep-Alive ,, UPGRADE\t", "x-private, close", "é, close", "", "closed, keep-alive-x",
                      "te, trailer", "Upgrade"]
        let options: [(KnownFieldName, StaticString)] = [(.close, "close"), (.keepAlive, "keep-alive"), (.upgrade, "upgrade")]
        func expectAsTheValues(_ fields: HTTPFields, _ context: String) {
            for (option, spelling) in options {
                #expect(fields.connectionLists(option, spelled: spelling) == fields.listContains(.connection, spelling),
                        "\(context): \(spelling)")
            }
        }
        for first in values {
            for second in values {
                var head = try parseRequest("GET / HTTP/1.1\r\nHost: h\r\nConnection: \(first)\r\n\r\n")
                expectAsTheValues(head.fields, first)
                head.fields.append("connection", second)
                expectAsTheValues(head.fields, "\(first) + \(second)")
                head.fields.removeAll { $0.hasName("connection") && $0.valueString == first }
                expectAsTheValues(head.fields, "\(second) alone")
            }
        }
    }
}
