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
