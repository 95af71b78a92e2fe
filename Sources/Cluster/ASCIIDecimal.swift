/// Decimal numbers written as ASCII digits, as Redis and the Lua scripts write them, read without
/// building a String (every event an instance receives goes through here).
enum ASCIIDecimal {
    /// Enough digits for any UInt64 or Int64; a longer number is malformed, not big.
    static let maxDigits = 20

    /// 1–20 digits with no sign, or nil when that is not what `bytes` hold or the value overflows.
    static func unsigned(_ bytes: some Collection<UInt8>) -> UInt64? {
        guard !bytes.isEmpty, bytes.count <= maxDigits else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }

    /// Digits with an optional leading `-`, or nil when malformed or out of Int64's range.
    static func signed(_ bytes: some Collection<UInt8>) -> Int64? {
        if bytes.first == UInt8(ascii: "-") {
            guard let magnitude = unsigned(bytes.dropFirst()), magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard let magnitude = unsigned(bytes), magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }
}
