/// The field names Herald itself acts on, recognised once when a field is made (by the parser,
/// from the bytes), so finding them in a head compares a byte per field instead of a name.
public enum KnownFieldName: UInt8, Sendable {
    case other
    // Hop-by-hop (RFC 9110 §7.6.1), and `close`, the one connection option that is no field name.
    case connection, keepAlive, proxyConnection, te, trailer, transferEncoding, upgrade, close
    case host, via, xForwardedFor, xForwardedProto, xForwardedHost, contentLength

    /// Fields that describe one connection, never forwarded, whatever Connection says.
    static let hopByHop: [KnownFieldName] = [.connection, .keepAlive, .proxyConnection, .te, .trailer, .transferEncoding, .upgrade]
    static let hopByHopBits: UInt32 = hopByHop.reduce(0) { $0 | $1.bit }
    /// `hopByHop` spelled out, for the general test.
    static let hopByHopSpellings = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]

    /// The name `bytes` spell, ignoring ASCII case. Runs for every parsed field: a switch on the
    /// length, then one or two comparisons.
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        func spells(_ spelling: StaticString) -> Bool { Self.equalIgnoringCase(bytes, spelling) }
        switch bytes.count {
        case 2: self = spells("te") ? .te : .other
        case 3: self = spells("via") ? .via : .other
        case 4: self = spells("host") ? .host : .other
        case 5: self = spells("close") ? .close : .other
        case 7: self = spells("trailer") ? .trailer : spells("upgrade") ? .upgrade : .other
        case 10: self = spells("connection") ? .connection : spells("keep-alive") ? .keepAlive : .other
        case 14: self = spells("content-length") ? .contentLength : .other
        case 15: self = spells("x-forwarded-for") ? .xForwardedFor : .other
        case 16: self = spells("proxy-connection") ? .proxyConnection : spells("x-forwarded-host") ? .xForwardedHost : .other
        case 17: self = spells("transfer-encoding") ? .transferEncoding : spells("x-forwarded-proto") ? .xForwardedProto : .other
        default: self = .other
        }
    }

    /// The name `name` spells as `lowercased()` has it (so a non-ASCII name is what it lowercases to).
    init(_ name: String) {
        var lower = isASCII(name) ? name : name.lowercased()
        self = lower.withUTF8 { KnownFieldName($0) }
    }

    var bit: UInt32 { 1 << UInt32(rawValue) }

    private static func equalIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ spelling: StaticString) -> Bool {
        let lower = spelling.utf8Start
        for index in bytes.indices where HTTPByte.lowercased(bytes[index]) != lower[index] { return false }
        return true
    }
}
