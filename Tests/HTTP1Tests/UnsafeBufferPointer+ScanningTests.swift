import Testing
@testable import HTTP1

/// The eight-bytes-at-a-time searches must agree with a plain loop wherever the match falls
/// relative to word boundaries, and whatever bytes surround it.
@Suite struct ByteScanningTests {
    /// Every interesting byte at every offset of a run of ordinary bytes, with starts and ends that
    /// cut words anywhere.
    static let specialBytes: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x21, 0x7E, 0x7F, 0x80, 0xFF]

    private func forEachCase(_ body: (UnsafeBufferPointer<UInt8>, Int, Int) -> Void) {
        for filler: UInt8 in [0x61, 0x09, 0x80, 0xFF, 0x20] {
            for special in Self.specialBytes {
                for position in 0..<20 {
                    var input = [UInt8](repeating: filler, count: 20)
                    input[position] = special
                    input.withUnsafeBufferPointer { bytes in
                        for from in 0..<4 {
                            for to in [19, 20] where from <= to { body(bytes, from, to) }
                        }
                    }
                }
            }
        }
    }

    @Test func firstNonTokenAgreesWithAPlainLoop() {
        forEachCase { bytes, from, to in
            let expected = (from..<to).first { !HTTPByte.isToken(bytes[$0]) } ?? to
            #expect(bytes.firstNonToken(from: from, to: to) == expected)
        }
        // Each byte value among name bytes, at each offset of a word.
        for byte in 0...255 {
            for position in 0..<16 {
                var input = Array("Content-Length.x".utf8)
                input[position] = UInt8(byte)
                input.withUnsafeBufferPointer { bytes in
                    let expected = (0..<16).first { !HTTPByte.isToken(bytes[$0]) } ?? 16
                    #expect(bytes.firstNonToken(from: 0, to: 16) == expected)
                }
            }
        }
    }

    @Test func bytesNotNameLikeFlagsExactlyTheBytesOutsideLettersDigitsDashAndDot() {
        for byte in 0...255 {
            let nameLike = (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                || byte == 0x2D || byte == 0x2E
            for position in 0..<8 {
                let word = Word.ones &* 0x61 & ~(0xFF << UInt64(position * 8)) | UInt64(byte) << UInt64(position * 8)
                let expected: UInt64 = nameLike ? 0 : 0x80 << UInt64(position * 8)
                #expect(Word.bytesNotNameLike(word) == expected)
            }
        }
    }

    @Test func firstLineFeedAgreesWithAPlainLoop() {
        forEachCase { bytes, from, to in
            let expected = (from..<to).first { bytes[$0] == 0x0A }
            #expect(bytes.firstLineFeed(from: from, to: to) == expected)
        }
    }

    @Test func firstNonFieldContentAgreesWithAPlainLoop() {
        forEachCase { bytes, from, to in
            let expected = (from..<to).first { !HTTPByte.isFieldContent(bytes[$0]) } ?? to
            #expect(bytes.firstNonFieldContent(from: from, to: to) == expected)
        }
    }

    @Test func firstNonTargetByteAgreesWithAPlainLoop() {
        forEachCase { bytes, from, to in
            let expected = (from..<to).first { !HTTPByte.isTargetByte(bytes[$0]) } ?? to
            #expect(bytes.firstNonTargetByte(from: from, to: to) == expected)
        }
    }

    @Test func aTabBeforeAControlByteInOneWordDoesNotHideIt() {
        let input: [UInt8] = [0x61, 0x09, 0x61, 0x09, 0x01, 0x61, 0x61, 0x61, 0x61]
        input.withUnsafeBufferPointer { bytes in
            #expect(bytes.firstNonFieldContent(from: 0, to: bytes.count) == 4)
        }
    }
}
