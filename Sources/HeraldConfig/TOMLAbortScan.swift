// toml++ (inside TOMLKit) asserts what its callers should have checked, and SwiftPM builds C++
// with assertions on, release too. The config fuzz target found four that malformed text reaches:
// a table header whose `[` or `[[` is not followed by a key (`[[[routes]]`, `[=]`, a `[` ending
// its line), a date and `T` not followed by a time (`d = 1979-05-27Tx`), a date, a space and
// one digit (`d = 1979-05-27 0`), and a `}` where an array expects a value (`a = [}`, `a = [1, }`). Each aborted the process, so a typo in proxy.conf ended
// a running herald on reload. All are refused before parsing, as toml++ would refuse them without
// the assertion.

/// Finds the first text toml++ would abort on, tracking just enough of the syntax (comments, the
/// four kinds of string, where values start, their brackets and braces) to tell a header from a
/// `[` inside an array that spans lines, and a value from a key.
enum TOMLAbortScan {
    /// Where the first such text is: line and column (1-based, columns count bytes) of the byte
    /// toml++ would have asserted on.
    static func firstAbort(in toml: String) -> (line: Int, column: Int, reason: String)? {
        let bytes = Array(toml.utf8)
        var (index, line, lineStart) = (0, 1, 0)
        /// The brackets and braces values opened and have not closed, innermost last: a `[` inside
        /// one is an array.
        var open: [UInt8] = []
        /// Just after an array's `[` or a `,` in an array (blanks, line ends and comments aside):
        /// toml++ asserts when a `}` comes here.
        var arrayWantsValue = false
        /// Only white space since the last line end outside any value: a `[` here opens a header.
        var atStatementStart = true
        /// In a header's line, whose brackets are no value's.
        var inHeader = false
        /// After a key's `=`, until the value ends: where a date can be.
        var inValue = false
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\n"):
                (line, lineStart, inHeader) = (line + 1, index + 1, false)
                (atStatementStart, inValue) = (open.isEmpty, !open.isEmpty)
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
            case UInt8(ascii: "="):
                inValue = !inHeader
                (index, atStatementStart) = (index + 1, false)
            case UInt8(ascii: "0")...UInt8(ascii: "9") where inValue:
                if let column = dateWithoutTime(bytes, at: index) {
                    return (line, column - lineStart + 1, "a date and T need a time after them, such as 1979-05-27T07:32:00")
                }
                if let column = dateWithLoneDigit(bytes, at: index) {
                    return (line, column - lineStart + 1, "a date and a space need a time after them, such as 1979-05-27 07:32:00")
                }
                while index < bytes.count && !isValueEnd(bytes[index]) { index += 1 }
                atStatementStart = false
            case UInt8(ascii: "}") where arrayWantsValue:
                return (line, index - lineStart + 1, "an array needs a value or ] here, got '}'")
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                if !inHeader { open.append(byte) }
                arrayWantsValue = !inHeader && byte == UInt8(ascii: "[")
                (index, atStatementStart) = (index + 1, false)
                continue
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if !inHeader { _ = open.popLast() }
                (index, atStatementStart) = (index + 1, false)
            case UInt8(ascii: ",") where open.last == UInt8(ascii: "["):
                (index, atStatementStart, arrayWantsValue) = (index + 1, false, true)
                continue
            default:
                (index, atStatementStart) = (index + 1, false)
            }
            // Blanks, line ends and comments leave an array still wanting its value; anything else
            // is that value (or its end).
            if !isBlankOrComment(byte) { arrayWantsValue = false }
        }
        return nil
    }

    /// The index of the byte after `YYYY-MM-DDT` (or `t`) starting at `start`, when it is no digit.
    private static func dateWithoutTime(_ bytes: [UInt8], at start: Int) -> Int? {
        let shape = Array("dddd-dd-ddT".utf8)
        guard start + shape.count < bytes.count else { return nil }
        for (offset, expected) in shape.enumerated() {
            let byte = bytes[start + offset]
            let matches = switch expected {
            case UInt8(ascii: "d"): (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            case UInt8(ascii: "T"): byte | 0x20 == UInt8(ascii: "t")
            default: byte == expected
            }
            guard matches else { return nil }
        }
        let after = start + shape.count
        return (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[after]) ? nil : after
    }

    private static func isBlankOrComment(_ byte: UInt8) -> Bool {
        [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: "#")].contains(byte)
    }

    /// The index of the digit in `dddd-dd-dd d` (a value shaped like a date, one space, one digit
    /// and the value's end) starting at `start`: toml++ takes the digit for a time's and asserts.
    private static func dateWithLoneDigit(_ bytes: [UInt8], at start: Int) -> Int? {
        let digit = start + 11
        guard digit < bytes.count, bytes[start + 4] == UInt8(ascii: "-"), bytes[start + 7] == UInt8(ascii: "-"),
              bytes[start + 10] == UInt8(ascii: " "), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[digit]),
              digit + 1 == bytes.count || isValueEnd(bytes[digit + 1]) else { return nil }
        return digit
    }

    /// Where a bare value ends, as toml++ reads it.
    private static func isValueEnd(_ byte: UInt8) -> Bool {
        [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: ","),
         UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: "#")].contains(byte)
    }

    /// A bare key's bytes, a quote, or the `]` toml++ itself reports as a blank key.
    private static func canStartKey(_ byte: UInt8) -> Bool {
        TOMLWriter.isBareKeyByte(byte) || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "]")
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
