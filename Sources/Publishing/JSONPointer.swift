/// An RFC 6901 JSON Pointer such as `/repository/full_name`: the path to one value of a document.
///
/// Each `/` starts a reference token; in a token `~1` stands for `/` and `~0` for `~`. The empty
/// pointer `""` names the whole document.
public struct JSONPointer: Sendable, Equatable, CustomStringConvertible {
    /// The reference tokens, unescaped (`/a~1b` has the one token `a/b`).
    public let tokens: [String]
    /// The pointer as written.
    public let description: String

    /// Why a text is not a JSON pointer: what was expected, and where (the offset of
    /// the offending character, in Unicode scalars from 0).
    public struct SyntaxError: Error, Sendable, Equatable {
        public var expected: String
        public var offset: Int
    }

    public init(parsing text: String) throws(SyntaxError) {
        description = text
        guard !text.isEmpty else {
            tokens = []
            return
        }
        guard text.first == "/" else { throw SyntaxError(expected: #""/" starting a JSON pointer"#, offset: 0) }
        // Scalar by scalar: a "~" followed by a combining mark is still an escape to check.
        var tokens: [String] = []
        var token = String.UnicodeScalarView()
        var escaping = false
        for (offset, scalar) in text.unicodeScalars.dropFirst().enumerated() {
            if escaping {
                switch scalar {
                case "0": token.append("~")
                case "1": token.append("/")
                default: throw SyntaxError(expected: #""~0" or "~1" (a "~" in a name is written "~0")"#, offset: offset)
                }
                escaping = false
            } else if scalar == "~" {
                escaping = true
            } else if scalar == "/" {
                tokens.append(String(token))
                token = String.UnicodeScalarView()
            } else {
                token.append(scalar)
            }
        }
        guard !escaping else {
            throw SyntaxError(expected: #""~0" or "~1" (a "~" in a name is written "~0")"#, offset: text.unicodeScalars.count - 1)
        }
        tokens.append(String(token))
        self.tokens = tokens
    }

    /// The value the pointer names in `document`, or nil when there is none: a missing member, an
    /// index past the end (or `-`, the element after the last), or a token into a string, number,
    /// boolean or null.
    public func resolve(in document: JSONValue) -> JSONValue? {
        var value = document
        for token in tokens {
            switch value {
            case .object:
                guard let member = value.member(token) else { return nil }
                value = member
            case .array(let elements):
                guard let index = Self.arrayIndex(token), index < elements.count else { return nil }
                value = elements[index]
            default:
                return nil
            }
        }
        return value
    }

    /// `0` or digits without a leading zero (RFC 6901 §4); anything else names no element.
    private static func arrayIndex(_ token: String) -> Int? {
        let utf8 = token.utf8
        guard let first = utf8.first, utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              first != UInt8(ascii: "0") || utf8.count == 1
        else { return nil }
        return Int(token)
    }
}
