/// A size in bytes as proxy.conf writes it: an integer (`65536`), or a string of digits with an
/// optional unit (`"512"`, `"64KiB"`, `"10MB"`).
///
/// Binary units (KiB, MiB, …) are powers of 1024 and decimal ones (KB, MB, …) powers of 1000, as
/// IEC defines them, so "10MB" never silently means 10 MiB.
enum ByteCount {
    /// What a size key accepts, as shown in messages.
    static let expectedForm = #"a size such as 65536 or "64KiB""#

    /// Units, binary ones first (`text(for:)` picks from those); `B` is a byte.
    private static let units: [(name: String, bytes: UInt64)] = [
        ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
        ("TB", 1_000_000_000_000), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000), ("B", 1),
    ]

    /// Parses a size string: digits, then optionally a unit (`B`, `KiB` … `TiB`, `KB` … `TB`).
    /// A value that does not fit in 64 bits is an error, as is anything else.
    static func parse(_ text: String) throws(ConfigValueError) -> UInt64 {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unitName = text.dropFirst(digits.count)
        guard !digits.isEmpty else {
            throw ConfigValueError(expected: expectedForm, got: ConfigValueError.quoted(text))
        }
        if unitName.hasPrefix(".") {
            throw ConfigValueError(expected: #"a whole number of bytes or units, such as "1536KiB""#,
                                   got: ConfigValueError.quoted(text))
        }
        let bytesPerUnit: UInt64
        if unitName.isEmpty {
            bytesPerUnit = 1
        } else if let unit = units.first(where: { $0.name == unitName }) {
            bytesPerUnit = unit.bytes
        } else {
            throw ConfigValueError(
                expected: "\(expectedForm) (units: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)",
                got: ConfigValueError.quoted(text))
        }
        guard let number = UInt64(digits) else {
            throw ConfigValueError(expected: "a size that fits in 64 bits", got: ConfigValueError.quoted(text))
        }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: bytesPerUnit)
        guard !overflow else {
            throw ConfigValueError(expected: "a size that fits in 64 bits", got: ConfigValueError.quoted(text))
        }
        return bytes
    }

    /// `bytes` in the largest binary unit that divides it exactly, e.g. `"64KiB"`, else plain `"1000"`.
    static func text(for bytes: UInt64) -> String {
        guard bytes > 0 else { return "0" }
        for unit in units where unit.name.hasSuffix("iB") && bytes % unit.bytes == 0 {
            return "\(bytes / unit.bytes)\(unit.name)"
        }
        return "\(bytes)"
    }

    /// `bytes` for a sentence: `"64KiB"` or `"1000 bytes"`.
    static func phrase(for bytes: UInt64) -> String {
        let text = text(for: bytes)
        return text.last?.isNumber == true ? "\(text) bytes" : text
    }
}
