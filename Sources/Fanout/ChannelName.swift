/// Channel names: 1–200 bytes of `A–Z a–z 0–9 - _ . : @ /` (DESIGN §1.1), so a name is safe in a
/// path, a log line, a metric label and a Redis key without escaping.
public enum ChannelName {
    public static let maxBytes = 200

    public static func isValid(_ name: String) -> Bool {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= maxBytes else { return false }
        return bytes.allSatisfy(isAllowed)
    }

    /// One byte of a channel name; config validation (public channel patterns) checks with it too.
    public static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "/"):
            true
        default:
            false
        }
    }

    /// The reason a name is refused, for a 400.
    public static func problem(_ name: String) -> String {
        name.isEmpty ? "empty channel name"
            : name.utf8.count > maxBytes ? "channel name longer than \(maxBytes) bytes"
            : "channel name may only contain A-Z a-z 0-9 - _ . : @ /"
    }
}
