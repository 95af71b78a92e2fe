import Testing
@testable import Proxy

@Suite struct RequestIDTests {
    @Test func plainIDsAreKept() {
        #expect(RequestID.isAcceptable(Array("4bf92f3577b34da6a3ce929d0e0e4736".utf8)))
        #expect(RequestID.isAcceptable(Array("req-1:a/b=c~!".utf8)))
        #expect(RequestID.isAcceptable(Array(String(repeating: "a", count: RequestID.maxBytes).utf8)))
    }

    @Test func emptyLongSpacedControlOrNonASCIIIDsAreReplaced() {
        #expect(!RequestID.isAcceptable([UInt8]()))
        #expect(!RequestID.isAcceptable(Array(String(repeating: "a", count: RequestID.maxBytes + 1).utf8)))
        #expect(!RequestID.isAcceptable(Array("a b".utf8)))
        #expect(!RequestID.isAcceptable(Array("a\tb".utf8)))
        #expect(!RequestID.isAcceptable(Array("a\"b\u{7F}".utf8)))
        #expect(!RequestID.isAcceptable(Array("ré".utf8)))
    }

    @Test func madeIDsAre32HexDigitsAndDiffer() {
        var source = SystemRandomNumberGenerator()
        var generator = RequestIDGenerator(seededBy: &source)
        var seen = Set<String>()
        for _ in 0..<1000 {
            let id = generator.next()
            #expect(id.utf8.count == 32)
            #expect(id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
            #expect(RequestID.isAcceptable(Array(id.utf8)))
            seen.insert(id)
        }
        #expect(seen.count == 1000)
    }

    @Test func anAllZeroSeedStillMakesDistinctIDs() {
        var zeros = Zeros()
        var generator = RequestIDGenerator(seededBy: &zeros)
        let first = generator.next(), second = generator.next()
        #expect(first != second)
        #expect(first != String(repeating: "0", count: 32))
    }

    private struct Zeros: RandomNumberGenerator {
        mutating func next() -> UInt64 { 0 }
    }
}
