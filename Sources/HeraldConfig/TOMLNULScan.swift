// TOMLKit passes the text to C as a C string and hands every string value back as one, so a NUL,
// whether a raw byte or a `\u0000` escape in a basic string, would silently cut the file or the
// value short (`token = "abc\u0000def"` would read as "abc"). Both are refused before parsing.

/// Finds the first NUL in TOML text, tracking just enough of the syntax (comments and the four
/// kinds of string) to tell a `\u0000` escape from the same characters in a comment or a literal
/// string, where they are harmless text.
enum TOMLNULScan {
    /// Where TOML text would be read as far as a NUL: a raw NUL byte, or a `\u0000` (`\U00000000`)
    /// escape in a basic string. Line and column are 1-based; columns count bytes.
    static func firstNUL(in toml: String) -> (line: Int, column: Int, reason: String)? {
        let bytes = Array(toml.utf8)
        var context = Context.bare
        var (index, line, column) = (0, 1, 1)
        let tripleQuote = "\"\"\""
        func next(_ text: String) -> Bool { bytes[index...].starts(with: text.utf8) }
        /// How many of `quote` follow, at most 5: a closing `"""` may have two quotes of content before it.
        func run(of quote: UInt8) -> Int { bytes[index...].prefix(5).prefix { $0 == quote }.count }

        while index < bytes.count {
            var width = 1
            switch context {
            case .bare:
                if next("#") {
                    context = .comment
                } else if next(tripleQuote) {
                    (context, width) = (.multiLineBasic, 3)
                } else if next("\"") {
                    context = .basic
                } else if next("'''") {
                    (context, width) = (.multiLineLiteral, 3)
                } else if next("'") {
                    context = .literal
                }
            case .comment:
                if next("\n") { context = .bare }
            case .basic, .multiLineBasic:
                if next("\\u0000") || next("\\U00000000") {
                    return (line, column, #"a \u0000 escape (NUL cannot be in a value)"#)
                } else if next("\\") {
                    width = 2
                } else if context == .basic && (next("\"") || next("\n")) {
                    context = .bare
                } else if context == .multiLineBasic && next(tripleQuote) {
                    (context, width) = (.bare, run(of: UInt8(ascii: "\"")))
                }
            case .literal:
                if next("'") || next("\n") { context = .bare }
            case .multiLineLiteral:
                if next("'''") { (context, width) = (.bare, run(of: UInt8(ascii: "'"))) }
            }
            for byte in bytes[index..<min(index + width, bytes.count)] {
                if byte == 0 { return (line, column, "a NUL byte") }
                (line, column) = byte == UInt8(ascii: "\n") ? (line + 1, 1) : (line, column + 1)
            }
            index += width
        }
        return nil
    }

    /// Where the scan is: outside any string, in a comment, or in one of TOML's four kinds of string.
    private enum Context {
        case bare, comment, basic, multiLineBasic, literal, multiLineLiteral
    }
}
