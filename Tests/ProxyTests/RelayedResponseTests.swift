import HTTP1
import Testing
@testable import Proxy

@Suite struct RelayedResponseTests {
    private func relay(_ status: Int, _ fields: [(String, String)], body: [UInt8]?, extra: [HTTPField] = [],
                       method: String = "GET") throws -> (HTTPResponseHead, [UInt8]) {
        let head = HTTPResponseHead(status: status, reason: "As The App Says",
                                    fields: HTTPFields(fields.map { HTTPField(name: $0.0, value: $0.1) }))
        let bytes = RelayedResponse.bytes(head, body: body, extraFields: extra, requestMethod: method)
        guard case .complete(let length) = try HTTPHeadParser.scanResponseHead(bytes) else { throw HTTPParseError.malformed("no head") }
        return (try HTTPHeadParser.parseResponseHead(Array(bytes[..<length])), Array(bytes[length...]))
    }

    @Test func theStatusReasonEndToEndFieldsAndBodyGoAsTheAppSentThem() throws {
        let (head, body) = try relay(302, [("Location", "/login"), ("Set-Cookie", "a=1"), ("Content-Type", "text/html"),
                                           ("Content-Length", "99"), ("Connection", "keep-alive, X-Hop"), ("X-Hop", "1"),
                                           ("Transfer-Encoding", "chunked"), ("Herald-Channels", "secret")],
                                     body: Array("<a href=/login>".utf8))
        #expect(head.status == 302)
        #expect(head.reason == Array("As The App Says".utf8))
        #expect(head.fields.fields.map(\.name) == ["Location", "Set-Cookie", "Content-Type", "Content-Length", "Connection"])
        #expect(head.fields.firstString("content-length") == "15")
        #expect(head.fields.firstString("connection") == "close")
        #expect(body == Array("<a href=/login>".utf8))
    }

    @Test func aBodyOverTheBoundIsDroppedButTheStatusAndFieldsGo() throws {
        let (head, body) = try relay(401, [("WWW-Authenticate", "Bearer")], body: nil)
        #expect(head.status == 401)
        #expect(head.fields.firstString("www-authenticate") == "Bearer")
        #expect(head.fields.firstString("content-length") == "0")
        #expect(body.isEmpty)
    }

    @Test func heraldsCORSFieldsReplaceTheAppsOwn() throws {
        let (head, _) = try relay(401, [("Access-Control-Allow-Origin", "*"), ("Vary", "Cookie")], body: [],
                                  extra: [HTTPField(name: "Access-Control-Allow-Origin", value: "https://a.example"),
                                          HTTPField(name: "Vary", value: "Origin")])
        #expect(head.fields.values("access-control-allow-origin") == [Array("https://a.example".utf8)])
        #expect(head.fields.values("vary") == [Array("Origin".utf8)])
    }

    @Test func aHEADGetsTheHeadAloneAndA304HasNoLength() throws {
        let (head, body) = try relay(403, [], body: Array("no".utf8), method: "HEAD")
        #expect(head.fields.firstString("content-length") == "2")
        #expect(body.isEmpty)
        let (notModified, _) = try relay(304, [("Content-Length", "5")], body: [])
        #expect(!notModified.fields.contains("content-length"))
    }
}
