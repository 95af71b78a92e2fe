/// Query-string helpers for subscribe URLs (pure): `?channel=a&channel=b&lastEventId=5`.
///
/// `values` reads a query as the WHATWG `application/x-www-form-urlencoded` parser does, so it
/// agrees with what a page built with `URLSearchParams`; `percentDecode` is the strict form, for
/// callers that must refuse malformed input rather than guess.
public enum QueryString {
    /// `target` split at its first `?`: the path, and the query after it (nil without a `?`).
    /// By bytes: a Character walk costs more than the rest of a subscribe's parsing.
    public static func split(target: String) -> (path: Substring, query: Substring?) {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return (target[...], nil) }
        return (target[..<mark], target[target.utf8.index(after: mark)...])
    }

    /// Every value of `name` in order (a name without `=` has the value ""), decoded as WHATWG
    /// urlencoded: `+` is a space, `%XX` a byte, and the bytes UTF-8. Like browsers it never fails: a
    /// `%` not followed by two hex digits stays as it is and ill-formed UTF-8 becomes U+FFFD, so a bad
    /// value reaches the caller's own validation (and its 400) instead of silently disappearing.
    /// Names are decoded the same way before comparing; a leading `?` is ignored.
    public static func values(_ name: String, in query: Substring) -> [String] {
        rawValues(name, in: query).map(formDecode)
    }

    /// Every value of `name` in order, as written (not decoded), for callers that decode strictly
    /// and must name a malformed value in their refusal: channel names (`ChannelName.decode`).
    public static func spellings(_ name: String, in query: Substring) -> [Substring] {
        rawValues(name, in: query).map { Substring($0) }
    }

    /// `%XX` escapes (either case of hex) replaced by their bytes, read as UTF-8; `+` stays `+`.
    /// Nil on a `%` not followed by two hex digits, or when the bytes are not well-formed UTF-8.
    public static func percentDecode(_ text: Substring) -> String? {
        strictDecode(text.utf8, plusIsSpace: false)
    }

    // MARK: - Internals

    /// The undecoded value of every pair whose decoded name is `name`, in order.
    static func rawValues(_ name: String, in query: Substring) -> [Substring.UTF8View] {
        var query = query.utf8
        if query.first == UInt8(ascii: "?") { query = query.dropFirst() }
        var values: [Substring.UTF8View] = []
        for pair in query.split(separator: UInt8(ascii: "&")) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let rawName = pair[..<(equals ?? pair.endIndex)]
            guard formDecode(rawName) == name else { continue }
            values.append(equals.map { pair[pair.index(after: $0)...] } ?? pair[pair.endIndex...])
        }
        return values
    }

    /// Decoded as `percentDecode` does, but optionally with `+` as a space (a query component).
    static func strictDecode(_ text: Substring.UTF8View, plusIsSpace: Bool) -> String? {
        let decoded = decode(text, plusIsSpace: plusIsSpace)
        guard decoded.escapesWellFormed else { return nil }
        return String(strictUTF8: decoded.bytes)
    }

    /// The WHATWG urlencoded reading of a name or value: never fails.
    private static func formDecode(_ text: Substring.UTF8View) -> String {
        String(decoding: decode(text, plusIsSpace: true).bytes, as: UTF8.self)
    }

    /// Percent-decodes leniently, noting whether every `%` began a well-formed escape.
    private static func decode(
        _ text: Substring.UTF8View, plusIsSpace: Bool
    ) -> (bytes: [UInt8], escapesWellFormed: Bool) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var wellFormed = true
        var index = text.startIndex
        while index != text.endIndex {
            let byte = text[index]
            text.formIndex(after: &index)
            switch byte {
            case UInt8(ascii: "+") where plusIsSpace:
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                let rest = text[index...]
                if let high = rest.first.flatMap(hexValue), let low = rest.dropFirst().first.flatMap(hexValue) {
                    bytes.append(high << 4 | low)
                    text.formIndex(&index, offsetBy: 2)
                } else {
                    bytes.append(byte)
                    wellFormed = false
                }
            default:
                bytes.append(byte)
            }
        }
        return (bytes, wellFormed)
    }

    /// The value of one hex digit (either case), nil for any other byte.
    public static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
