/// A script's reply in the shapes Redis turns Lua values into: the engine converts its client's
/// reply to this, so the decoders here need no Redis client.
public indirect enum ScriptValue: Sendable, Equatable {
    /// A Lua number (truncated to an integer by Redis), or a status code.
    case integer(Int64)
    /// A Lua string: a bulk (or status) string, any bytes.
    case bytes([UInt8])
    /// A Lua table with consecutive keys from 1.
    case array([ScriptValue])
    /// Lua false, or a nil bulk string.
    case null
}

// Checked access for the reply decoders: `what` names the part of the reply for the error.
extension ScriptValue {
    func array(_ what: String, count: Int? = nil) throws(ClusterError) -> [ScriptValue] {
        guard case .array(let items) = self else { throw mismatch(what, expected: "an array") }
        if let count, items.count != count {
            throw ClusterError(reason: "\(what): expected \(count) items, got \(items.count)")
        }
        return items
    }

    func integer(_ what: String) throws(ClusterError) -> Int64 {
        guard case .integer(let value) = self else { throw mismatch(what, expected: "an integer") }
        return value
    }

    /// A count or a g: an integer that is not negative.
    func unsigned(_ what: String) throws(ClusterError) -> UInt64 {
        let value = try integer(what)
        guard value >= 0 else { throw ClusterError(reason: "\(what): expected at least 0, got \(value)") }
        return UInt64(value)
    }

    func bytes(_ what: String) throws(ClusterError) -> [UInt8] {
        guard case .bytes(let bytes) = self else { throw mismatch(what, expected: "a string") }
        return bytes
    }

    private func mismatch(_ what: String, expected: String) -> ClusterError {
        let got = switch self {
        case .integer(let value): "the integer \(value)"
        case .bytes(let bytes): "a string of \(bytes.count) bytes"
        case .array(let items): "an array of \(items.count)"
        case .null: "nil"
        }
        return ClusterError(reason: "\(what): expected \(expected), got \(got)")
    }
}
