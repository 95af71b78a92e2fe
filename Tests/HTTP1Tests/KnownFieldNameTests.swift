import Testing
@testable import HTTP1

@Suite struct KnownFieldNameTests {
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

    @Test(arguments: [("TE", KnownFieldName.te), ("Via", .via), ("HOST", .host), ("Trailer", .trailer),
                      ("Upgrade", .upgrade), ("Keep-Alive", .keepAlive), ("Transfer-Encoding", .transferEncoding),
                      ("X-Forwarded-Proto", .xForwardedProto), ("Proxy-Connection", .proxyConnection),
                      ("X-Forwarded-Host", .xForwardedHost), ("Hosts", .other), ("Vias", .other), ("", .other)])
    func everyKnownNameIsRecognisedAndNoOther(name: String, expected: KnownFieldName) {
        #expect(KnownFieldName(name) == expected)
    }
}
