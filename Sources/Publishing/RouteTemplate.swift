import EventStream

/// How a route makes a channel, an event type or an id from a request: literal text with parts
/// filled from the request, such as `repo-{/repository/full_name}` or `{header:X-GitHub-Event}`.
///
/// Syntax: `{/json/pointer}` is the value of a field of the JSON body (RFC 6901; `~1` for `/` and
/// `~0` for `~` in a name); `{header:Name}` is a request header (any case); `{{` and `}}` are a
/// literal `{` and `}`. A part ends at the first `}`, so it cannot name a field whose name holds a
/// brace. Everything a template can be refused for at startup is refused by `init(parsing:for:)`:
/// what remains to go wrong is the request's, and `WebhookRoute` answers it with a 4xx.
public struct RouteTemplate: Sendable, Equatable, CustomStringConvertible {
    public enum Part: Sendable, Equatable {
        case literal(String)
        case field(JSONPointer)
        /// The header's name as written; matched ignoring case.
        case header(String)
    }

    /// What a template makes; it decides what the text may hold and what a result must be.
    public enum Role: String, Sendable {
        case channel, event, id
    }

    public let parts: [Part]
    public let role: Role
    /// The template as written.
    public let description: String

    /// True when a part names a field of the body, which must then be JSON.
    public var readsBody: Bool {
        parts.contains { if case .field = $0 { true } else { false } }
    }

    /// Why a template is refused: what was expected (with where, when a place is to blame).
    public struct SyntaxError: Error, Sendable, Equatable {
        public var expected: String
    }

    public init(parsing text: String, for role: Role) throws(SyntaxError) {
        description = text
        self.role = role
        parts = try Self.parts(of: text)
        try checkRole()
    }

    /// The parts, scanned scalar by scalar; `at` in messages counts characters from 1.
    private static func parts(of text: String) throws(SyntaxError) -> [Part] {
        let scalars = Array(text.unicodeScalars)
        var parts: [Part] = []
        var literal = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "}" {
                guard index + 1 < scalars.count, scalars[index + 1] == "}" else {
                    throw SyntaxError(expected: #""}}" for a literal "}" at character \#(index + 1)"#)
                }
                literal.append("}")
                index += 2
            } else if scalar == "{" && index + 1 < scalars.count && scalars[index + 1] == "{" {
                literal.append("{")
                index += 2
            } else if scalar == "{" {
                guard let end = scalars[(index + 1)...].firstIndex(of: "}") else {
                    throw SyntaxError(expected: #"a "}" closing the "{" at character \#(index + 1)"#)
                }
                if let nested = scalars[(index + 1)..<end].firstIndex(of: "{") {
                    throw SyntaxError(expected: #""}" before the "{" at character \#(nested + 1) (a part holds no braces)"#)
                }
                if !literal.isEmpty {
                    parts.append(.literal(String(literal)))
                    literal = String.UnicodeScalarView()
                }
                parts.append(try part(String(String.UnicodeScalarView(scalars[(index + 1)..<end])), at: index + 1))
                index = end + 1
            } else {
                literal.append(scalar)
                index += 1
            }
        }
        if !literal.isEmpty { parts.append(.literal(String(literal))) }
        return parts
    }

    /// One `{…}`'s content; `at` is the character number of its `{`.
    private static func part(_ content: String, at: Int) throws(SyntaxError) -> Part {
        if content.hasPrefix("/") {
            do {
                return .field(try JSONPointer(parsing: content))
            } catch {
                throw SyntaxError(expected: "\(error.expected) at character \(at + 1 + error.offset)")
            }
        }
        if content.hasPrefix("header:") {
            let name = String(content.dropFirst("header:".count))
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else {
                throw SyntaxError(expected: "a header name (letters, digits and !#$%&'*+-.^_`|~) after \"header:\" at character \(at)")
            }
            return .header(name)
        }
        let whole = content.isEmpty ? #" ("{}" would be the whole body, which is the data already)"# : ""
        throw SyntaxError(expected: "{/json/pointer} or {header:Name} at character \(at)\(whole)")
    }

    /// RFC 9110 tchar: the bytes a header name is made of.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// Refuses text that would make every result of the role invalid, and an id with no part.
    private func checkRole() throws(SyntaxError) {
        guard !parts.isEmpty else {
            throw SyntaxError(expected: "a template such as \(role.example)")
        }
        let text = parts.map { if case .literal(let text) = $0 { text } else { "" } }.joined()
        switch role {
        case .channel:
            if let bad = text.unicodeScalars.first(where: { !$0.isASCII || !ChannelName.isAllowed(UInt8($0.value)) }) {
                throw SyntaxError(expected: "only A-Z a-z 0-9 - _ . : @ / and {…} parts in a channel template (not \(Self.quoted(String(bad))))")
            }
            if text.utf8.count > ChannelName.maxBytes {
                throw SyntaxError(expected: "at most \(ChannelName.maxBytes) bytes of text in a channel template")
            }
        case .event, .id:
            if text.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                throw SyntaxError(expected: "no CR, LF or NUL in an \(role) template")
            }
            if role == .id && parts.allSatisfy({ if case .literal = $0 { true } else { false } }) {
                throw SyntaxError(expected: "an id template with a {…} part (a fixed id would make every event a duplicate of the first)")
            }
        }
    }

    /// `text` in quotes for a message, with CR, LF, NUL and quotes escaped, cut at 64 characters.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for (index, scalar) in text.unicodeScalars.enumerated() {
            if index == 64 {
                out += "…"
                break
            }
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            case _ where scalar.value < 0x20: out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension RouteTemplate.Role {
    /// A template of this role, for messages.
    var example: String {
        switch self {
        case .channel: #""repo-{/repository/full_name}""#
        case .event: #""{header:X-GitHub-Event}""#
        case .id: #""{header:X-GitHub-Delivery}""#
        }
    }
}
