/// One reply from Redis, as Swift values (RESP2's types; an error reply is no case: it fails its
/// command with `RedisError.replied`).
public enum RedisReply: Sendable, Equatable {
    /// A simple string: `+OK`, `+PONG`, `+QUEUED`.
    case status(String)
    case integer(Int64)
    /// A bulk string: any bytes (NUL and CRLF included).
    case bulk([UInt8])
    /// A nil bulk string or nil array (`GET` of a missing key, `BLPOP` timing out).
    case null
    case array([RedisReply])
}

extension RedisReply {
    /// The bytes of a bulk string, or of a status's text; nil otherwise.
    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let bytes): bytes
        case .status(let text): Array(text.utf8)
        default: nil
        }
    }

    /// A bulk string or status as UTF-8 text (invalid bytes repaired); nil otherwise.
    public var string: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    /// An integer reply, or a bulk string holding a decimal integer (Lua numbers come back as
    /// integers, stream ids and hash fields as bulk strings); nil otherwise.
    public var int: Int64? {
        switch self {
        case .integer(let value): value
        case .bulk(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    /// The elements of an array reply; nil otherwise (`.null` too).
    public var array: [RedisReply]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// True for the `+OK` status (SET, AUTH, SELECT).
    public var isOK: Bool { self == .status("OK") }
}
