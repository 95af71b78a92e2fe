import Testing
@testable import HTTP1

/// A head parsed with a pool is the head parsed without one, whatever was recycled before and
/// whatever still holds it; and recycled arrays are what the next head fills.
@Suite struct HeadBufferPoolTests {
    static let requests = [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /upload HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n",
        "GET /a-rather-long-target?with=query HTTP/1.1\r\nHost: a\r\nX-Long: \(String(repeating: "v", count: 300))\r\n\r\n",
        "GET / HTTP/1.0\r\nX: 1\r\n\r\n",
    ]

    private func read(_ text: String, _ pool: inout HeadBufferPool) throws -> HTTPRequestHead {
        let input = bytes(text)
        let found = try input.withUnsafeBytes { raw in try HTTPHeadParser.readRequestHead(raw, limits: HTTPLimits(), reusing: &pool) }
        return try #require(found).head
    }

    /// Where the first field's line lies in its head's bytes.
    private func address(_ head: HTTPRequestHead) -> Int? {
        head.fields.withCanonicalLines(0..<1) { Int(bitPattern: $0.baseAddress) } ?? nil
    }

    @Test func headsParsedWithRecycledArraysAreTheHeadsParsedWithout() throws {
        var pool = HeadBufferPool()
        // Every order of sizes: a short head into a long head's arrays and the other way round.
        for first in Self.requests {
            for second in Self.requests {
                var head = try read(first, &pool)
                pool.recycle(&head.fields)
                #expect(head.fields.isEmpty)
                #expect(try read(second, &pool) == parseRequest(second))
            }
        }
    }

    @Test func aRecycledHeadStillHeldKeepsItsFields() throws {
        var pool = HeadBufferPool()
        let kept = try read(Self.requests[1], &pool)
        pool.recycle(kept.fields)
        let next = try read(Self.requests[2], &pool)
        #expect(kept == (try parseRequest(Self.requests[1])))
        #expect(next == (try parseRequest(Self.requests[2])))
        #expect(address(kept) != address(next))
    }

    @Test func theNextHeadFillsTheRecycledArrays() throws {
        var pool = HeadBufferPool()
        var head: HTTPRequestHead? = try read(Self.requests[1], &pool)
        let recycled = head.flatMap(address)
        pool.recycle(&head!.fields)
        head = nil  // its target, a slice of the bytes, goes with it
        let next = try read(Self.requests[0], &pool)
        // The same offset in the same memory: the request line is shorter, so compare the start.
        let start = next.fields.withCanonicalLines(0..<1) { $0.baseAddress } ?? nil
        #expect(recycled != nil)
        #expect(start.map { Int(bitPattern: $0) - "GET / HTTP/1.1\r\n".utf8.count }
                    == recycled.map { $0 - "POST /upload HTTP/1.1\r\n".utf8.count })
        #expect(pool.spareCounts == (0, 0))
    }

    @Test func largeArraysAndSparesBeyondTheBoundAreNotKept() throws {
        var pool = HeadBufferPool()
        var large = try read("GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "v", count: HeadBufferPool.maxSpareBytes))\r\n\r\n", &pool)
        pool.recycle(&large.fields)
        #expect(pool.spareCounts.bytes == 0)
        #expect(pool.spareCounts.lines == 1)

        var many = try (0..<HeadBufferPool.maxSpares + 5).map { _ in try read(Self.requests[0], &pool) }
        for index in many.indices { pool.recycle(&many[index].fields) }
        #expect(pool.spareCounts == (HeadBufferPool.maxSpares, HeadBufferPool.maxSpares))
    }
}
