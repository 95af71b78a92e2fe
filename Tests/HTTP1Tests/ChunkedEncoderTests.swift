import Testing
@testable import HTTP1

@Suite struct ChunkedEncoderTests {
    @Test(arguments: [(1, "1\r\n"), (15, "f\r\n"), (16, "10\r\n"), (255, "ff\r\n"), (4096, "1000\r\n"),
                      (Int.max, "7fffffffffffffff\r\n")])
    func aChunkHeaderIsTheSizeInHex(size: Int, header: String) {
        #expect(ChunkedEncoder.header(size: size) == bytes(header))
    }

    @Test func theFixedPiecesAreTheRFCsBytes() {
        #expect(ChunkedEncoder.dataTerminator == bytes("\r\n"))
        #expect(ChunkedEncoder.lastChunk == bytes("0\r\n\r\n"))
    }

    @Test func whatTheEncoderWritesTheDecoderReadsBack() throws {
        let pieces = [bytes("data: one\n\n"), Array(repeating: 0xFF, count: 300), bytes("x")]
        var wire: [UInt8] = []
        for piece in pieces {
            wire += ChunkedEncoder.header(size: piece.count) + piece + ChunkedEncoder.dataTerminator
        }
        wire += ChunkedEncoder.lastChunk
        let decoded = try decode(wire, pieceSize: 5)
        #expect(decoded.done)
        #expect(decoded.data == pieces.flatMap { $0 })
        #expect(decoded.trailerBytes == 2)
    }
}
