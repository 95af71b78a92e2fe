import Testing
@testable import Fanout

@Suite struct EventBytesTests {
    @Test func theBytesAreStoredAsOneChunkOfTheChunkedCoding() {
        let bytes = EventBytes(Array("data: hi\n\n".utf8))
        #expect(bytes.array == Array("data: hi\n\n".utf8))
        #expect(Array(bytes.chunk) == Array("a\r\ndata: hi\n\n\r\n".utf8))
    }

    @Test func joinedBytesAreOneChunkOfAllTheirBytes() {
        let parts = (0..<20).map { EventBytes(Array("data: \($0)\n\n".utf8)) }
        let joined = EventBytes(concatenating: parts)
        let all = parts.flatMap(\.array)
        #expect(joined.array == all)
        #expect(Array(joined.chunk) == Array((String(all.count, radix: 16) + "\r\n").utf8) + all + Array("\r\n".utf8))
    }

    @Test func noBytesMakeNoChunkSinceASizeOfZeroWouldEndTheBody() {
        #expect(EventBytes([]).chunk.isEmpty)
        #expect(EventBytes(concatenating: [EventBytes([])]).chunk.isEmpty)
    }
}
