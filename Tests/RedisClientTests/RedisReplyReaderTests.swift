// hiredis's reader behind RedisReplyReader, fed bytes by hand: whole replies only, every type,
// errors, and the bound on an unfinished reply.

@testable import RedisClient
import Testing

struct RedisReplyReaderTests {
    /// Feeds `text` whole and reads every reply it holds.
    private func replies(_ text: String, maxReplyBytes: Int = 1 << 20) throws -> [Result<RedisReply, RedisError>] {
        let reader = RedisReplyReader(maxReplyBytes: maxReplyBytes)
        try feed(reader, Array(text.utf8))
        var replies: [Result<RedisReply, RedisError>] = []
        while let reply = try reader.next() { replies.append(reply) }
        return replies
    }

    private func feed(_ reader: RedisReplyReader, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try reader.feed($0) }
    }

    @Test func everyReplyTypeBecomesItsSwiftValue() throws {
        let read = try replies("+OK\r\n:-42\r\n$5\r\na\0\r\nb\r\n$-1\r\n*-1\r\n*0\r\n*3\r\n:1\r\n*1\r\n$1\r\nx\r\n$0\r\n\r\n-ERR wrong\r\n")
        #expect(read == [
            .success(.status("OK")),
            .success(.integer(-42)),
            .success(.bulk([97, 0, 13, 10, 98])),
            .success(.null),
            .success(.null),
            .success(.array([])),
            .success(.array([.integer(1), .array([.bulk("x")]), .bulk("")])),
            .failure(.replied("ERR wrong")),
        ])
    }

    /// A reply arrives only once its last byte does, however the bytes are split.
    @Test func aReplySplitAnywhereComesOutWholeOnce() throws {
        let bytes = Array("*2\r\n$5\r\nhello\r\n:7\r\n".utf8)
        let reader = RedisReplyReader(maxReplyBytes: 1024)
        var read: [Result<RedisReply, RedisError>] = []
        for byte in bytes {
            #expect(read.isEmpty)
            try feed(reader, [byte])
            while let reply = try reader.next() { read.append(reply) }
        }
        #expect(read == [.success(.array([.bulk("hello"), .integer(7)]))])
        #expect(reader.bufferedCount == 0)
    }

    /// RedisReply has no error case: an error inside an array (EXEC's results) fails the reply.
    @Test func anErrorNestedInAnArrayFailsTheWholeReply() throws {
        #expect(try replies("*2\r\n+OK\r\n-WRONGTYPE no\r\n+PONG\r\n") == [.failure(.replied("WRONGTYPE no")), .success(.status("PONG"))])
    }

    @Test func bytesThatAreNotRESPThrowHiredisError() {
        #expect(throws: RedisError.protocolError(#"Protocol error, got "H" as reply type byte"#)) {
            try replies("HTTP/1.1 200 OK\r\n")
        }
    }

    /// An unfinished reply past the bound throws; one just under it is read.
    @Test func anUnfinishedReplyPastTheBoundThrows() throws {
        let reader = RedisReplyReader(maxReplyBytes: 100)
        try feed(reader, Array("$150\r\n".utf8) + Array(repeating: 120, count: 90))
        #expect(try reader.next() == nil)
        try feed(reader, Array(repeating: 120, count: 20))
        #expect(throws: RedisError.protocolError("a reply larger than 100 bytes")) { try reader.next() }

        let small = try replies("$90\r\n" + String(repeating: "y", count: 90) + "\r\n", maxReplyBytes: 100)
        #expect(small == [.success(.bulk(String(repeating: "y", count: 90)))])
    }

    /// The bound counts a reply's bytes on the wire, its elements read so far included (hiredis
    /// consumes those), and starts again at each whole reply.
    @Test func theBoundCountsAWholeArrayAndRestartsPerReply() throws {
        let reader = RedisReplyReader(maxReplyBytes: 100)
        let element = Array("$4\r\nabcd\r\n".utf8)  // 10 bytes
        // Two whole replies of 96 bytes (a 6-byte header and 9 elements) in one feed, then most
        // of a third.
        let whole = Array("*9\r\n".utf8) + Array(repeating: element, count: 9).joined()
        try feed(reader, whole + whole + Array("*20\r\n".utf8) + Array(repeating: element, count: 9).joined())
        #expect(try reader.next()?.value?.array?.count == 9)
        #expect(try reader.next()?.value?.array?.count == 9)
        #expect(try reader.next() == nil)
        try feed(reader, element)
        #expect(throws: RedisError.protocolError("a reply larger than 100 bytes")) { try reader.next() }
    }
}
