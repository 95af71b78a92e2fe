// toml++ (inside TOMLKit) asserts that a table header's `[` or `[[` is followed by a key, and
// SwiftPM builds C++ with assertions on, release too: `[[[routes]]`, `[=]` or a `[` ending its
// line aborted the process (the config fuzz target found it), so a typo in proxy.conf ended a
// running herald on reload. Such a header is refused before parsing, as toml++ would refuse it
// without the assertion.

/// Finds the first table header that does not begin with a key, tracking just enough of the
/// syntax (comments, the four kinds of string, brackets and braces of values) to tell a header
/// from a `[` inside an array that spans lines.
enum TOMLHeaderScan {
    /// Where the first header lacking a key is: line and column (1-based, columns count bytes) of
    /// the byte where its key should start.
    static func firstHeaderWithoutKey(in toml: String) -> (line: Int, column: Int, reason: String)? {
        let bytes = Array(toml.utf8)
        var (index, line, lineStart) = (0, 1, 0)
        /// Brackets and braces a value opened and has not closed: a `[` inside one is an array.
        var depth = 0
        /// Only white space since the last line end outside any value: a `[` here opens a header.
        var atStatementStart = true
        /// In a header's line, whose brackets are no value's.
        var inHeader = false
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\n"):
                (line, lineStart, inHeader) = (line + 1, index + 1, false)
                atStatementStart = depth == 0
                index += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                index += 1
            case UInt8(ascii: "#"):
                while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let end = stringEnd(bytes, from: index)
                for at in index..<end where bytes[at] == UInt8(ascii: "\n") { (line, lineStart) = (line + 1, at + 1) }
                (index, atStatementStart) = (end, false)
            case UInt8(ascii: "[") where atStatementStart:
                var key = index + 1
                let spaced = skipBlanks(bytes, from: &key)
                if !spaced && key < bytes.count && bytes[key] == UInt8(ascii: "[") {
                    key += 1
                    _ = skipBlanks(bytes, from: &key)
                }
                if key < bytes.count && !canStartKey(bytes[key]) {
                    let shown = bytes[key] == UInt8(ascii: "\n") ? "the end of the line" : "'\(String(decoding: [bytes[key]], as: UTF8.self))'"
                    return (line, key - lineStart + 1, "a table header needs a key after its [ or [[, got \(shown)")
                }
                (index, atStatementStart, inHeader) = (key, false, true)
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                if !inHeader { depth += 1 }
                (index, atStatementStart) = (index + 1, false)
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if !inHeader { depth = max(0, depth - 1) }
                (index, atStatementStart) = (index + 1, false)
            default:
                (index, atStatementStart) = (index + 1, false)
            }
        }
        return nil
    }

    /// A bare key's bytes, a quote, or the `]` toml++ itself reports as a blank key.
    private static func canStartKey(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]"):
            true
        default:
            false
        }
    }

    /// Moves `index` past spaces and tabs; true when there were any.
    private static func skipBlanks(_ bytes: [UInt8], from index: inout Int) -> Bool {
        let start = index
        while index < bytes.count && (bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t")) { index += 1 }
        return index > start
    }

    /// The index just past the string opening at `start`: basic strings end at an unescaped quote
    /// or the line's end, literal ones at a quote or the line's end, multi-line ones at their
    /// triple quote (with up to two quotes of content before it).
    private static func stringEnd(_ bytes: [UInt8], from start: Int) -> Int {
        let quote = bytes[start]
        let isBasic = quote == UInt8(ascii: "\"")
        let isMultiLine = bytes[start...].prefix(3).allSatisfy { $0 == quote } && start + 2 < bytes.count
        var index = start + (isMultiLine ? 3 : 1)
        while index < bytes.count {
            let byte = bytes[index]
            if isBasic && byte == UInt8(ascii: "\\") {
                index += 2
            } else if byte == quote {
                guard isMultiLine else { return index + 1 }
                let run = bytes[index...].prefix(5).prefix { $0 == quote }.count
                if run >= 3 { return index + run }
                index += run
            } else if byte == UInt8(ascii: "\n") && !isMultiLine {
                return index
            } else {
                index += 1
            }
        }
        return bytes.count
    }
}
