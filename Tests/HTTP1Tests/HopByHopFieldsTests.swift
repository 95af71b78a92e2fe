import Testing
@testable import HTTP1

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
        let hopByHop = head.hopByHop
        let keptByPlace = head.fields.indices.filter { !hopByHop.contains(at: $0, of: head) }.map { head.fields[$0].name }
        #expect(keptByPlace == keptByGeneralRemoval(head))
    }

    @Test func removeHopByHopKeepsEndToEndFieldsInOrder() {
        var head = fields([("Host", "h"), ("Connection", "x-a, close"), ("X-A", "1"), ("Accept", "*/*"), ("TE", "trailers")])
        head.removeHopByHop()
        #expect(head.fields.map(\.name) == ["Host", "Accept"])
    }
}
