/// Channel names: 1–200 bytes of `A–Z a–z 0–9 - _ . : @ /` (DESIGN §1.1), so a name is safe in a
/// path, a log line, a metric label and a Redis key without escaping.
///
/// A name that arrives in a URL or a header (a path, `?channel=`, `/channels/…`, `Grip-Channel`,
/// `Herald-Channels`) may be percent-encoded, as many HTTP libraries encode `:` and `@` in a path
/// segment: `decode` turns every spelling into the one canonical name, so `user%3A42` and `user:42`
/// are one channel everywhere after it. A name in JSON is a JSON string, taken as it is.
public enum ChannelName {
    public static let maxBytes = 200

    /// The canonical name `spelling` stands for: each `%XX` (hex of either case, RFC 3986) decoded,
    /// and with `plusIsSpace` (a query value, form-encoded) each `+` read as a space. Throws, naming
    /// the spelling, on a malformed escape or when the decoded bytes are not a valid name.
    public static func decode(_ spelling: Substring, plusIsSpace: Bool = false) throws(ChannelNameError) -> String {
        let raw = spelling.utf8
        // Most names arrive plain: no copy, no decoding.
        guard raw.contains(where: { $0 == percent || (plusIsSpace && $0 == plus) }) else {
            try check(raw, spelling: spelling, decoded: false)
            return String(spelling)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index != raw.endIndex {
            let byte = raw[index]
            raw.formIndex(after: &index)
            if byte == percent {
                let digits = raw[index...].prefix(2)
                guard digits.count == 2, let high = digits.first.flatMap(QueryString.hexValue), let low = digits.last.flatMap(QueryString.hexValue) else {
                    // Quoted as the spelling is: what follows the % may be a control byte.
                    let escape = ("%" + String(decoding: digits, as: UTF8.self)).debugDescription
                    throw refusal(spelling, "malformed percent-escape \(escape) (expected % and two hex digits)")
                }
                bytes.append(high << 4 | low)
                index = digits.endIndex
            } else {
                bytes.append(plusIsSpace && byte == plus ? UInt8(ascii: " ") : byte)
            }
        }
        try check(bytes, spelling: spelling, decoded: true)
        return String(decoding: bytes, as: UTF8.self)  // ASCII: check passed
    }

    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && isValidPrefix(name)
    }

    /// True when `text` can begin a name: at most `maxBytes` allowed bytes, possibly none (a
    /// public channel pattern's prefix before its `*`).
    public static func isValidPrefix(_ text: String) -> Bool {
        let bytes = text.utf8
        return bytes.count <= maxBytes && bytes.allSatisfy(isAllowed)
    }

    /// The allowed bytes as messages name them.
    public static let allowedBytes = "A-Z a-z 0-9 - _ . : @ /"

    /// One byte of a channel name; key prefixes (Redis) and channel templates check with it too.
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

    /// The reason a name taken as it is (never percent-decoded: a JSON string) is refused, for a 400.
    public static func problem(_ name: String) -> String {
        name.isEmpty ? "empty channel name"
            : name.utf8.count > maxBytes ? "channel name longer than \(maxBytes) bytes"
            : name.contains("%") ? "channel name may only contain \(allowedBytes) (it is not percent-decoded here)"
            : "channel name may only contain \(allowedBytes)"
    }

    // MARK: - Internals

    private static let percent = UInt8(ascii: "%")
    private static let plus = UInt8(ascii: "+")
    /// How much of a refused spelling its reason quotes: enough to recognize it, never a whole body.
    private static let shownCharacters = 64

    /// Throws unless the decoded `bytes` are 1–200 allowed bytes.
    private static func check(_ bytes: some Collection<UInt8>, spelling: Substring, decoded: Bool) throws(ChannelNameError) {
        guard !bytes.isEmpty else { throw ChannelNameError(reason: "empty channel name") }
        let note = decoded ? " after percent-decoding" : ""
        if let bad = bytes.first(where: { !isAllowed($0) }) {
            let shown = (0x20..<0x7F).contains(bad) ? " (\"\(Character(Unicode.Scalar(bad)))\")" : ""
            throw refusal(spelling, "byte 0x\(hex(bad))\(shown)\(note) is not allowed: channel names use \(allowedBytes)")
        }
        guard bytes.count <= maxBytes else {
            throw refusal(spelling, "\(bytes.count) bytes\(note), more than \(maxBytes)")
        }
    }

    private static func refusal(_ spelling: Substring, _ reason: String) -> ChannelNameError {
        let shown = String(spelling.prefix(shownCharacters)).debugDescription
        return ChannelNameError(reason: "channel \(shown)\(spelling.count > shownCharacters ? "…" : ""): \(reason)")
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]], as: UTF8.self)
    }
}

/// A channel name refused: always the sender's mistake, so its reason goes into a 400 (or, for a
/// name the app sent, a 502).
public struct ChannelNameError: Error, Sendable, Equatable {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }
}
