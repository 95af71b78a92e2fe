@testable import herald_bench
import LibeventIO
import Testing

/// The last event id `herald-bench subscribe` resumes from, read as WHATWG's EventSource reads it.
@Suite struct LastEventIDTests {
    /// The parser's last event id after `text`, fed in pieces of `piece` bytes.
    private func lastID(_ text: String, piece: Int = .max, from parser: SSEStreamParser = SSEStreamParser()) -> LastEventID {
        var parser = parser
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + piece)
            bytes[start..<end].withUnsafeBytes { parser.consume($0) { _ in } }
            start = end
        }
        return parser.lastEventID
    }

    @Test func theIdOfTheLastDispatchedEventIsKeptWhereverTheReadsSplit() {
        let stream = "id: 1764-41\ndata: a\n\nid: 1764-42\ndata: ts=5 seq=2\n\n"
        for piece in [1, 2, 5, Int.max] {
            #expect(lastID(stream, piece: piece) == LastEventID("1764-42"), "pieces of \(piece)")
        }
    }

    @Test func anEventWithoutAnIdKeepsThePreviousOne() {
        #expect(lastID("id: 7\ndata: a\n\ndata: b\n\n") == LastEventID("7"))
    }

    @Test func theIdTakesEffectOnlyAtTheBlankLine() {
        #expect(lastID("id: 7\ndata: a\n\nid: 8\ndata: b\n") == LastEventID("7"))
        // A blank line sets it even when the event has no data (and so is not dispatched).
        #expect(lastID("id: 9\n\n") == LastEventID("9"))
    }

    @Test func onlyOneLeadingSpaceIsDroppedAndAnEmptyIdClearsIt() {
        #expect(lastID("id:  x\ndata: a\n\n") == LastEventID(" x"))
        #expect(lastID("id:x\ndata: a\n\n") == LastEventID("x"))
        #expect(lastID("id: 7\ndata: a\n\nid\ndata: b\n\n").isEmpty)
        #expect(lastID("id: 7\ndata: a\n\nid:\ndata: b\n\n").isEmpty)
    }

    @Test func anIdWithNULIsIgnored() {
        #expect(lastID("id: 7\ndata: a\n\nid: 8\u{0}9\ndata: b\n\n") == LastEventID("7"))
    }

    @Test func anIdLongerThanTheCapacityIsMarkedNotKept() {
        let long = String(repeating: "x", count: LastEventID.capacity + 1)
        let id = lastID("id: \(long)\ndata: a\n\n")
        #expect(id.isTooLong)
        #expect(id.text == nil)
        let fits = String(repeating: "y", count: LastEventID.capacity)
        #expect(lastID("id: \(fits)\ndata: a\n\n").text == fits)
    }

    @Test func aResumingParserStartsFromTheIdItWasGiven() {
        let resumed = SSEStreamParser(resumingAfter: LastEventID("41"))
        #expect(resumed.lastEventID == LastEventID("41"))
        #expect(lastID("data: replayed\n\n", from: resumed) == LastEventID("41"))
        #expect(lastID("id: 42\ndata: next\n\n", from: resumed) == LastEventID("42"))
    }

    @Test func aReconnectRequestCarriesTheId() throws {
        let settings = SubscribeSettings(
            url: try #require(BenchURL(argument: "http://127.0.0.1:9/events/a")),
            address: try SocketAddress.resolve(host: "127.0.0.1", port: 9), sources: [], connections: 1, connectConcurrency: 1,
            connectTimeout: BenchDuration(seconds: 1), durationLimit: BenchDuration(seconds: 1), expectEvents: 0,
            quietExit: BenchDuration(seconds: 1), headers: [], label: "t")
        let text = String(decoding: settings.request(lastEventID: "1764-42"), as: UTF8.self)
        #expect(text.contains("\r\nLast-Event-ID: 1764-42\r\n"))
        #expect(!String(decoding: settings.request, as: UTF8.self).contains("Last-Event-ID"))
    }
}
