import Testing
@testable import HTTP1

@Suite struct BodyReaderTests {
    /// Feeds `input` through a reader's loop as a connection would, returning the data bytes it let through.
    private func run(_ reader: inout BodyReader, _ input: [UInt8]) throws -> (data: [UInt8], finished: Bool) {
        var data: [UInt8] = []
        let finished = try input.withUnsafeBytes { bytes throws(HTTPParseError) in
            var source = BodyBuffer(bytes)
            return try reader.read(from: &source) { source, count in
                data += source.front.prefix(count)
                source.consumeInput(count)
            }
        }
        return (data, finished)
    }

    @Test func aContentLengthBodyEndsAfterItsLength() throws {
        var reader = BodyReader(request: .contentLength(5), maxDataBytes: nil, limits: HTTPLimits())
        let result = try run(&reader, Array("helloEXTRA".utf8))
        #expect(result.data == Array("hello".utf8))
        #expect(result.finished)
    }

    @Test func aChunkedBodyYieldsItsDataWithoutFraming() throws {
        var reader = BodyReader(request: .chunked, maxDataBytes: nil, limits: HTTPLimits())
        let result = try run(&reader, Array("5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT".utf8))
        #expect(String(decoding: result.data, as: UTF8.self) == "hello world")
        #expect(result.finished)
    }

    @Test func aBodyOverTheLimitIsRefusedWith413() {
        var reader = BodyReader(request: .chunked, maxDataBytes: 4, limits: HTTPLimits())
        #expect(throws: HTTPParseError.self) { try run(&reader, Array("5\r\nhello\r\n0\r\n\r\n".utf8)) }
    }

    @Test func aCloseDelimitedResponseNeverFinishesByItself() throws {
        var reader = BodyReader(response: .untilClose, limits: HTTPLimits())
        let result = try run(&reader, Array("data: 1\n\n".utf8))
        #expect(result.data.count == 9)
        #expect(!result.finished)
        #expect(reader.endsAtClose)
    }

    @Test func chunkedEncodingFramesEachPiece() {
        #expect(BodyEncoding.chunked.prefix(count: 255) == Array("ff\r\n".utf8))
        #expect(BodyEncoding.chunked.suffix == Array("\r\n".utf8))
        #expect(BodyEncoding.chunked.end == Array("0\r\n\r\n".utf8))
        #expect(BodyEncoding.identity.prefix(count: 3) == nil)
    }

    @Test func onlyAChunkedBodyReadsFramingFromTheInput() throws {
        let limits = HTTPLimits()
        #expect(BodyReader(request: .chunked, maxDataBytes: nil, limits: limits).readsFraming)
        #expect(!BodyReader(request: .contentLength(3), maxDataBytes: nil, limits: limits).readsFraming)
        #expect(!BodyReader(request: .none, maxDataBytes: nil, limits: limits).readsFraming)
        #expect(!BodyReader(response: .untilClose, limits: limits).readsFraming)
        var body = BodyReader(response: .contentLength(3), limits: limits)
        #expect(try body.next(UnsafeRawBufferPointer(start: nil, count: 0)) == .data(3))
        try body.consumed(3)
        #expect(try body.next(UnsafeRawBufferPointer(start: nil, count: 0)) == .finished(drop: 0))
    }

    // MARK: checkFraming: refusing a response before any of it is sent on

    private func check(_ reader: BodyReader, _ text: String) throws {
        try Array(text.utf8).withUnsafeBytes { bytes in try reader.checkFraming(of: bytes) }
    }

    @Test func aBadChunkSizeAfterAGoodChunkIsFound() {
        let reader = BodyReader(response: .chunked, limits: HTTPLimits())
        #expect(throws: HTTPParseError.self) { try check(reader, "5\r\nhello\r\nzz\r\nbad\r\n") }
        #expect(throws: HTTPParseError.self) { try check(reader, "zz\r\n") }
    }

    @Test func chunkDataNotFollowedByCRLFIsFound() {
        let reader = BodyReader(response: .chunked, limits: HTTPLimits())
        #expect(throws: HTTPParseError.self) { try check(reader, "5\r\nhelloX\r\n0\r\n\r\n") }
    }

    @Test func aSizeLineLongerThanTheLimitIsFoundBeforeItEnds() {
        let reader = BodyReader(response: .chunked, limits: HTTPLimits(maxChunkLineBytes: 8))
        #expect(throws: HTTPParseError.self) { try check(reader, "5;name=" + String(repeating: "v", count: 20)) }
    }

    @Test func goodFramingCutAnywhereIsNotJudged() throws {
        let body = Array("5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nX-T: 1\r\n\r\n".utf8)
        var reader = BodyReader(response: .chunked, limits: HTTPLimits())
        for end in 0...body.count {
            try check(reader, String(decoding: body[..<end], as: UTF8.self))
        }
        // The walk moved a copy: the reader still reads the body from its start.
        let result = try run(&reader, body)
        #expect(String(decoding: result.data, as: UTF8.self) == "hello world")
        #expect(result.finished)
    }

    @Test func aCheckFromAReaderInsideAChunkStartsThere() throws {
        var reader = BodyReader(response: .chunked, limits: HTTPLimits())
        _ = try run(&reader, Array("5\r\nhel".utf8))
        try check(reader, "lo\r\n0\r\n\r\n")
        #expect(throws: HTTPParseError.self) { try check(reader, "loX\r\n") }
    }

    @Test func aBodyWithoutFramingIsNeverJudged() throws {
        try check(BodyReader(response: .contentLength(3), limits: HTTPLimits()), "zz\r\n")
        try check(BodyReader(response: .untilClose, limits: HTTPLimits()), "zz\r\n")
    }
}
