@testable import herald_bench
import Testing

/// The stamps `herald-bench publish` writes and `herald-bench subscribe` reads back.
@Suite struct EventStampTests {
    /// Feeds `text` to a fresh parser in pieces of `piece` bytes and returns what it dispatched.
    private func stamps(_ text: String, piece: Int = .max) -> [EventStamp] {
        var parser = SSEStreamParser()
        var found: [EventStamp] = []
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + piece)
            bytes[start..<end].withUnsafeBytes { parser.consume($0) { found.append($0) } }
            start = end
        }
        return found
    }

    @Test func aRenderedBodyCarriesItsSendTimeSequenceAndDueTime() {
        let template = BodyTemplate(BodyTemplate.defaultText, paddingBytes: 0)
        var body: [UInt8] = []
        template.render(into: &body, timestamp: 1_764_059_000_123_456_789, sequence: 42, due: 1_764_059_000_120_000_000)
        #expect(String(decoding: body, as: UTF8.self) == "ts=1764059000123456789 seq=42 due=1764059000120000000")
    }

    @Test func everyStampIsReadWhereverTheReadsSplitTheStream() {
        let stream = "id: 7\ndata: ts=1764059000123456789 seq=42 due=1764059000120000000 xxxx\n\n"
            + "data: ts=1764059000200000000 seq=43\n\n"
        let expected = [
            EventStamp(timestamp: 1_764_059_000_123_456_789, sequence: 42, due: 1_764_059_000_120_000_000, hasID: true),
            EventStamp(timestamp: 1_764_059_000_200_000_000, sequence: 43, due: nil, hasID: false),
        ]
        for piece in [1, 2, 3, 7, 64, Int.max] {
            #expect(stamps(stream, piece: piece) == expected, "pieces of \(piece)")
        }
    }

    @Test func aStampOutOfOrderOrMisspeltIsNotRead() {
        #expect(stamps("data: ts=5 due=6 seq=7\n\n") == [EventStamp(timestamp: 5)])
        #expect(stamps("data: ts=5 seq=6 dew=7\n\n") == [EventStamp(timestamp: 5, sequence: 6)])
        #expect(stamps("data: ts=5 seq=6 due=\n\n") == [EventStamp(timestamp: 5, sequence: 6)])
        #expect(stamps("data: seq=6 due=7\n\n") == [EventStamp()])
        // 19 digits fit; a 20th makes the line no stamp line, in one read or split anywhere
        #expect(stamps("data: ts=1234567890123456789 seq=1\n\n") == [EventStamp(timestamp: 1_234_567_890_123_456_789, sequence: 1)])
        for piece in [1, 5, Int.max] {
            #expect(stamps("data: ts=12345678901234567890 seq=1\n\n", piece: piece) == [EventStamp()], "pieces of \(piece)")
        }
    }

    @Test func onlyTheFirstDataLineIsRead() {
        #expect(stamps("data: hello\ndata: ts=5 seq=6 due=7\n\n") == [EventStamp()])
    }
}
