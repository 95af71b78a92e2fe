// proxy.conf writes durations as strings with a unit, so a bare number can never be misread as
// seconds where milliseconds were meant (or the reverse).

extension Duration {
    /// What a duration key accepts, as shown in messages.
    static let expectedForm = #"a duration such as "15s""#

    /// Parses `"500ms"`, `"15s"`, `"5m"`, `"1h"` or a sum of them such as `"1m30s"`.
    ///
    /// Whole numbers only, no sign and no spaces; anything else, including a number without a
    /// unit, is an error naming the accepted form.
    init(parsing text: String) throws(ConfigValueError) {
        let error = ConfigValueError(expected: Self.expectedForm, got: ConfigValueError.quoted(text))
        // Bounds each number so the sum below cannot overflow: 10^12 h is far beyond any timeout.
        let maxDigits = 12
        var totalMilliseconds: Int64 = 0
        var rest = Substring(text)
        guard !rest.isEmpty else { throw error }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count <= maxDigits, let number = Int64(digits) else { throw error }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(unit.count)
            let scale: Int64
            switch unit {
            case "ms": scale = 1
            case "s": scale = 1_000
            case "m": scale = 60_000
            case "h": scale = 3_600_000
            default: throw error
            }
            let (product, overflowA) = number.multipliedReportingOverflow(by: scale)
            let (sum, overflowB) = totalMilliseconds.addingReportingOverflow(product)
            guard !overflowA, !overflowB else { throw error }
            totalMilliseconds = sum
        }
        self = .milliseconds(totalMilliseconds)
    }

    /// This duration as proxy.conf writes it, e.g. `"1m30s"`, `"500ms"`, `"0s"`; parsing it gives
    /// the duration back (below a millisecond is dropped).
    public var configText: String {
        var milliseconds = wholeMilliseconds
        guard milliseconds > 0 else { return milliseconds == 0 ? "0s" : "\(self)" }
        var text = ""
        for (unit, scale) in [("h", Int64(3_600_000)), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
            let count = milliseconds / scale
            if count > 0 { text += "\(count)\(unit)" }
            milliseconds %= scale
        }
        return text
    }

    /// This duration in whole milliseconds (below a millisecond is dropped).
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
