/// A JSON value (RFC 8259) as a webhook body holds it, read so that a route can name a field.
///
/// Numbers keep the text they were written with (`1.50`, `-0`, `1e3`, an id beyond 2^53), so a
/// field put into a channel or an id is the sender's own spelling, never a Double's.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number exactly as written in the document.
    case number(String)
    case string(String)
    /// Members in document order. A name given twice keeps both; lookups take the last, as
    /// JavaScript's `JSON.parse` does.
    case object([Member])
    case array([JSONValue])

    /// One `"name": value` of an object.
    public struct Member: Sendable, Equatable {
        public var name: String
        public var value: JSONValue

        public init(_ name: String, _ value: JSONValue) {
            self.name = name
            self.value = value
        }
    }

    /// The value of the last member named `name`, compared code point by code point (RFC 6901
    /// §4: no Unicode normalization, which Swift's `==` on strings would apply).
    public func member(_ name: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.name.unicodeScalars.elementsEqual(name.unicodeScalars) }?.value
    }

    /// What the value is, for a message: `a string`, `an object`, `null`.
    public var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .object: "an object"
        case .array: "an array"
        }
    }
}
