import Testing
@testable import HeraldConfig

@Suite struct ByteCountTests {
    @Test(arguments: [
        ("0", UInt64(0)), ("512", 512), ("512B", 512), ("64KiB", 65_536), ("10MiB", 10 << 20), ("1GiB", 1 << 30),
        ("2TiB", 2 << 40), ("1KB", 1_000), ("10MB", 10_000_000), ("3GB", 3_000_000_000), ("1TB", 1_000_000_000_000),
    ])
    func aSizeStringWithOrWithoutAUnitParses(text: String, expected: UInt64) throws {
        #expect(try ByteCount.parse(text) == expected)
    }

    @Test(arguments: ["", "KiB", "-1", "+1", " 64KiB"])
    func aStringThatIsNotASizeIsRefused(text: String) {
        #expect(throws: ConfigValueError(expected: ByteCount.expectedForm, got: ConfigValueError.quoted(text))) {
            try ByteCount.parse(text)
        }
    }

    @Test func aFractionIsRefusedSuggestingASmallerUnit() {
        #expect(throws: ConfigValueError(expected: #"a whole number of bytes or units, such as "1536KiB""#, got: #""1.5MiB""#)) {
            try ByteCount.parse("1.5MiB")
        }
    }

    @Test(arguments: ["10 MiB", "10kib", "10k", "10m", "1PiB", "64Ki"])
    func anUnknownUnitIsRefusedListingTheUnits(text: String) throws {
        let error = try #require(throws: ConfigValueError.self) { try ByteCount.parse(text) }
        #expect(error.expected.contains("units: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB"))
        #expect(error.got == ConfigValueError.quoted(text))
    }

    @Test(arguments: ["18446744073709551616", "16777216TiB", "99999999999999999999999"])
    func aSizeBeyondSixtyFourBitsIsRefused(text: String) {
        #expect(throws: ConfigValueError(expected: "a size that fits in 64 bits", got: ConfigValueError.quoted(text))) {
            try ByteCount.parse(text)
        }
    }

    @Test func textUsesTheLargestBinaryUnitThatDividesExactly() {
        #expect(ByteCount.text(for: 0) == "0")
        #expect(ByteCount.text(for: 1000) == "1000")
        #expect(ByteCount.text(for: 8192) == "8KiB")
        #expect(ByteCount.text(for: 1536 << 20) == "1536MiB")
        #expect(ByteCount.text(for: 1 << 30) == "1GiB")
        #expect(ByteCount.phrase(for: 64) == "64 bytes")
        #expect(ByteCount.phrase(for: 1 << 20) == "1MiB")
    }
}
