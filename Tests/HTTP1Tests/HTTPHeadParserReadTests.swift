import Testing
@testable import HTTP1

/// `read…Head`, which parses a whole head at once and asks the scan only about the rest, must
/// answer as the scan followed by a parse of what it found: the same head and length, the same
/// wait for more bytes, the same error.
@Suite struct HTTPHeadParserReadTests {
    enum Outcome<Head: Equatable>: Equatable {
        case incomplete
        case head(Head, length: Int)
        case error(HTTPParseError)
    }

    static let limits = [HTTPLimits(), HTTPLimits(maxStartLineBytes: 16, maxHeadBytes: 48, maxFieldCount: 2)]

    static let requests = [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        "\r\n\nGET / HTTP/1.0\nX: 1\n\nbody",
        "GET /a-rather-long-target HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Long: \(String(repeating: "v", count: 40))\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\rX",
        "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nNo-Colon\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n",
        "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
        "G@T / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n folded\r\n\r\nmore",
        "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    ]

    static let responses = [
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
        "HTTP/1.1 204 \r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
        "HTTP/1.0 200\nServer: x\n\n",
        "HTTP/1.1 200 A reason much longer than sixteen\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 200 O\rK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX : 1\r\n\r\n",
        "HTTP/2.0 200 OK\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
    ]

    private func outcome<Head>(_ body: () throws(HTTPParseError) -> (head: Head, length: Int)?) -> Outcome<Head> {
        do throws(HTTPParseError) {
            guard let found = try body() else { return .incomplete }
            return .head(found.head, length: found.length)
        } catch {
            return .error(error)
        }
    }

    /// Every prefix of `text`, cut at every byte.
    private func prefixes(_ text: String) -> [[UInt8]] {
        let all = bytes(text)
        return (0...all.count).map { Array(all[..<$0]) }
    }

    @Test func readingARequestHeadAnswersAsScanningThenParsing() {
        for limits in Self.limits {
            for text in Self.requests {
                for input in prefixes(text) {
                    let read = outcome { () throws(HTTPParseError) in try HTTPHeadParser.readRequestHead(input, limits: limits) }
                    let scanned = outcome { () throws(HTTPParseError) -> (head: HTTPRequestHead, length: Int)? in
                        guard case .complete(let length) = try HTTPHeadParser.scanRequestHead(input, limits: limits) else { return nil }
                        return (try HTTPHeadParser.parseRequestHead(Array(input[..<length]), limits: limits), length)
                    }
                    #expect(read == scanned, "\(input.count) bytes of \(text.debugDescription)")
                }
            }
        }
    }

    @Test func readingAResponseHeadAnswersAsScanningThenParsing() {
        for limits in Self.limits {
            for text in Self.responses {
                for input in prefixes(text) {
                    let read = outcome { () throws(HTTPParseError) in try HTTPHeadParser.readResponseHead(input, limits: limits) }
                    let scanned = outcome { () throws(HTTPParseError) -> (head: HTTPResponseHead, length: Int)? in
                        guard case .complete(let length) = try HTTPHeadParser.scanResponseHead(input, limits: limits) else { return nil }
                        return (try HTTPHeadParser.parseResponseHead(Array(input[..<length]), limits: limits), length)
                    }
                    #expect(read == scanned, "\(input.count) bytes of \(text.debugDescription)")
                }
            }
        }
    }

    @Test func aHeadIsReadWithoutTheBytesThatFollowIt() throws {
        let found = try #require(try HTTPHeadParser.readRequestHead(bytes("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b")))
        #expect(found.length == 28)
        #expect(found.head.targetString == "/a")
        #expect(found.head.fields.fields == [HTTPField(name: "Host", value: "h")])
    }
}
