import Testing
@testable import HTTP1

/// What a decoder let through for one input: what a connection would see.
struct DecodedBody: Equatable {
    var data: [UInt8] = []
    var framingBytes = 0
    var trailerBytes = 0
    var done = false
    /// Bytes left in the input after the body.
    var rest: [UInt8] = []
}

/// Feeds `input` to a decoder `pieceSize` bytes at a time, as reads would deliver it, and acts on
/// each step as a connection does.
func decode(_ input: [UInt8], pieceSize: Int, limits: HTTPLimits = HTTPLimits()) throws -> DecodedBody {
    var decoder = ChunkedDecoder(limits: limits)
    var result = DecodedBody()
    var pending: [UInt8] = []
    var arrived = 0
    while true {
        let step = try withRawBytes(pending) { bytes throws(HTTPParseError) in try decoder.next(bytes) }
        switch step {
        case .needMore:
            guard arrived < input.count else { return result }
            let next = min(input.count, arrived + pieceSize)
            pending += input[arrived..<next]
            arrived = next
        case .framing(let count):
            #expect(count > 0 && count <= pending.count)
            result.framingBytes += count
            pending.removeFirst(count)
        case .data(let remaining):
            #expect(remaining > 0)
            let count = Int(min(UInt64(pending.count), remaining))
            if count == 0 {
                guard arrived < input.count else { return result }
                let next = min(input.count, arrived + pieceSize)
                pending += input[arrived..<next]
                arrived = next
                continue
            }
            result.data += pending[..<count]
            pending.removeFirst(count)
            decoder.consumeData(count)
        case .done(let trailers):
            result.trailerBytes = trailers
            pending.removeFirst(trailers)
            result.done = true
            #expect(decoder.isDone)
            result.rest = pending + input[arrived...]
            return result
        }
    }
}

@Suite struct ChunkedDecoderTests {
    static let bodies: [String] = [
        "5\r\nhello\r\n0\r\n\r\n",
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        "A\r\n0123456789\r\n1\r\n!\r\n000\r\n\r\n",
        "a;name=value;flag\r\n0123456789\r\n0\r\n\r\n",
        "5 ; a = b ;c=\"quoted \\\" ;value\"\t;d\r\nhello\r\n0;last\r\n\r\n",
        "5\nhello\n0\n\n",
        "3\r\nabc\r\n0\r\nExpires: never\r\nX-Checksum: 1234\r\n\r\n",
        "3\r\nabc\r\n0\r\nX-T: 1\n\n",
        "0\r\n\r\n",
    ]

    @Test(arguments: bodies)
    func byteByByteAndInOnePieceAgree(body: String) throws {
        let input = bytes(body + "NEXT")
        let whole = try decode(input, pieceSize: input.count)
        let byByte = try decode(input, pieceSize: 1)
        #expect(whole.done && byByte.done)
        #expect(whole == byByte)
        #expect(whole.rest == bytes("NEXT"))
        #expect(whole.framingBytes + whole.data.count + whole.trailerBytes == body.utf8.count)
        for pieceSize in [2, 3, 7] {
            #expect(try decode(input, pieceSize: pieceSize) == whole)
        }
    }

    @Test func theDataIsTheConcatenationOfTheChunks() throws {
        let body = try decode(bytes("5\r\nhello\r\n6\r\n world\r\n0\r\nX: 1\r\n\r\n"), pieceSize: 1)
        #expect(body.data == bytes("hello world"))
        #expect(body.trailerBytes == "X: 1\r\n\r\n".utf8.count)
    }

    @Test func stepsArriveInOrderAndTheNextSizeLineJoinsTheDataEnd() throws {
        var decoder = ChunkedDecoder()
        func step(_ text: String) throws -> ChunkedDecoder.Step {
            try withRawBytes(bytes(text)) { raw throws(HTTPParseError) in try decoder.next(raw) }
        }
        #expect(try step("") == .needMore)
        #expect(try step("5") == .needMore)
        #expect(try step("5\r") == .needMore)
        #expect(try step("5\r\nhel") == .framing(3))
        #expect(try step("hel") == .data(5))
        decoder.consumeData(3)
        #expect(try step("lo") == .data(2))
        decoder.consumeData(2)
        #expect(try step("") == .needMore)
        #expect(try step("\r") == .needMore)
        #expect(try step("\r\n1") == .framing(2))
        #expect(try step("1\r\nx") == .framing(3))
        #expect(try step("x") == .data(1))
        decoder.consumeData(1)
        #expect(try step("\r\n0\r\n") == .framing(5))
        #expect(!decoder.isDone)
        #expect(try step("\r") == .needMore)
        #expect(try step("\r\n") == .done(trailers: 2))
        #expect(decoder.isDone)
        #expect(try step("more") == .done(trailers: 0))
    }

    @Test func sixteenHexDigitsAreTheLargestChunkSize() throws {
        var decoder = ChunkedDecoder()
        let step = try withRawBytes(bytes("ffffffffffffffff\r\n")) { raw throws(HTTPParseError) in try decoder.next(raw) }
        #expect(step == .framing(18))
        let data = try withRawBytes([]) { raw throws(HTTPParseError) in try decoder.next(raw) }
        #expect(data == .data(UInt64.max))
    }

    @Test(arguments: [
        ("x\r\n", "invalid chunk size"),
        ("\r\n", "invalid chunk size"),
        ("-5\r\nhello\r\n", "invalid chunk size"),
        ("0x5\r\nhello\r\n", "invalid chunk size"),
        ("+5\r\n", "invalid chunk size"),
        (" 5\r\n", "invalid chunk size"),
        ("5\u{0}\r\n", "invalid chunk size"),
        ("10000000000000000\r\n", "chunk size too large"),
        ("00000000000000005\r\n", "chunk size too large"),
        ("5 \r\nhello\r\n", "invalid chunk extension"),
        ("5;\r\nhello\r\n", "invalid chunk extension"),
        ("5;=v\r\nhello\r\n", "invalid chunk extension"),
        ("5;a=\r\nhello\r\n", "invalid chunk extension"),
        ("5;a=b c\r\nhello\r\n", "invalid chunk extension"),
        ("5;a=\"b\"c\r\nhello\r\n", "invalid chunk extension"),
        ("5;a=\"b\r\nhello\r\n", "bare CR in chunk size line"),
        ("5;a=\"b\u{1}\"\r\nhello\r\n", "invalid chunk extension"),
        ("5;a b\r\nhello\r\n", "invalid chunk extension"),
        ("5;a@b\r\nhello\r\n", "invalid chunk extension"),
        ("5\r\r\nhello\r\n", "bare CR in chunk size line"),
        ("5\rx\nhello\r\n", "bare CR in chunk size line"),
        ("5\r\nhelloX", "chunk data not followed by CRLF"),
        ("5\r\nhello\rX", "chunk data not followed by CRLF"),
        ("5\r\nhello world\r\n", "chunk data not followed by CRLF"),
        ("5\r\nhello\r\n0\r\nX: 1\r\n folded\r\n\r\n", "obs-fold is not allowed"),
        ("5\r\nhello\r\n0\r\nX : 1\r\n\r\n", "white space before colon"),
        ("5\r\nhello\r\n0\r\nX: a\rb\r\n\r\n", "bare CR in trailer section"),
        ("5\r\nhello\r\n0\r\nX: a\u{0}b\r\n\r\n", "control character in field value"),
        ("5\r\nhello\r\n0\r\nnot a field\r\n\r\n", "white space before colon"),
        ("5\r\nhello\r\n0\r\n: v\r\n\r\n", "empty field name"),
    ])
    func aMalformedChunkedBodyIsRefusedWith400(body: String, reason: String) {
        for pieceSize in [1, body.utf8.count] {
            let error = parseError { try decode(bytes(body), pieceSize: pieceSize) }
            #expect(error?.kind == .malformed)
            #expect(error?.status == 400)
            #expect(error?.reason == reason)
        }
    }

    @Test func garbageFailsBeforeTheLineLimit() {
        var decoder = ChunkedDecoder()
        let error = parseError { try withRawBytes(bytes("zz")) { raw throws(HTTPParseError) in try decoder.next(raw) } }
        #expect(error?.reason == "invalid chunk size")
    }

    @Test func aSizeLineLongerThanTheLimitIsMalformed() throws {
        let limits = HTTPLimits(maxChunkLineBytes: 16)
        let fits = "5;ext=0123456789\r\nhello\r\n0\r\n\r\n"      // 16 bytes before CRLF
        #expect(try decode(bytes(fits), pieceSize: 1, limits: limits).data == bytes("hello"))
        let tooLong = "5;ext=01234567890\r\nhello\r\n0\r\n\r\n"  // 17
        for pieceSize in [1, tooLong.utf8.count] {
            let error = parseError { try decode(bytes(tooLong), pieceSize: pieceSize, limits: limits) }
            #expect(error?.kind == .malformed)
        }
        // Without a line end the decoder gives up once the limit is passed.
        var decoder = ChunkedDecoder(limits: limits)
        let unended = bytes("5;ext=" + String(repeating: "a", count: 11))
        #expect(parseError { try withRawBytes(unended) { raw throws(HTTPParseError) in try decoder.next(raw) } }?.kind == .malformed)
    }

    @Test func aTrailerSectionLargerThanAHeadIs431() throws {
        let limits = HTTPLimits(maxHeadBytes: 64)
        let trailer = "X-Trailer: " + String(repeating: "t", count: 60) + "\r\n\r\n"
        let error = parseError { try decode(bytes("1\r\na\r\n0\r\n" + trailer), pieceSize: 1, limits: limits) }
        #expect(error?.kind == .headTooLarge)
        let unended = parseError { try decode(bytes("1\r\na\r\n0\r\nX-Trailer: " + String(repeating: "t", count: 80)),
                                              pieceSize: 1, limits: limits) }
        #expect(unended?.kind == .headTooLarge)
    }

    @Test func moreTrailerFieldsThanAHeadMayHoldIs431() throws {
        let limits = HTTPLimits(maxFieldCount: 2)
        #expect(try decode(bytes("0\r\nA: 1\r\nB: 2\r\n\r\n"), pieceSize: 1, limits: limits).done)
        let error = parseError { try decode(bytes("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), pieceSize: 1, limits: limits) }
        #expect(error?.kind == .headTooLarge)
    }

    @Test func anUnfinishedBodyIsNotDone() throws {
        for body in ["5\r\nhel", "5\r\nhello\r\n", "5\r\nhello\r\n0\r\n", "5\r\nhello\r\n0\r\nX: 1\r\n"] {
            #expect(try !decode(bytes(body), pieceSize: 1).done, "\(body)")
        }
    }
}
