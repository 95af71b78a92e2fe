/// Why one value could not be used: what a key (or flag) accepts and what it was given.
///
/// Rendered as `expected <expected>, got <got>`; the loader puts the file, section and key in front.
public struct ConfigValueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What would have been accepted, e.g. `"host:port"` or `a duration such as "15s"`.
    public var expected: String
    /// What was given, e.g. `"abc"` (strings are quoted) or `integer 8080` (for a wrong TOML type).
    public var got: String

    public init(expected: String, got: String) {
        self.expected = expected
        self.got = got
    }

    public var description: String { "expected \(expected), got \(got)" }
}

extension ConfigValueError {
    /// `text` as it is shown after "got": quoted, escaped, and cut at 64 characters so a pasted
    /// blob does not flood the terminal.
    static func quoted(_ text: String) -> String {
        let limit = 64
        var out = "\""
        for (index, scalar) in text.unicodeScalars.enumerated() {
            if index == limit {
                out += "…"
                break
            }
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
