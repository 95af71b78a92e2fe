/// The event id a reconnecting browser reports, from which replay starts.
public enum LastEventID {
    /// The id a reconnecting client sent: the `Last-Event-ID` header value (bytes as received, read
    /// as UTF-8) or, when the header is absent or empty, the first `lastEventId` query parameter
    /// (`+` as space, percent-decoded). The header, when it has a value, decides alone.
    /// Nil when neither is present, or the chosen value is empty, is not well-formed (ill-formed
    /// UTF-8, a bad `%` escape), or contains CR, LF or NUL: none of these can name an event to resume
    /// after, since `validate` keeps such ids from ever being sent.
    public static func from(header: [UInt8]?, query: String?) -> String? {
        if let header, !header.isEmpty {
            return String(strictUTF8: header).flatMap(usable)
        }
        guard let query, let raw = QueryString.rawValues("lastEventId", in: query[...]).first else {
            return nil
        }
        return QueryString.strictDecode(raw, plusIsSpace: true).flatMap(usable)
    }

    private static func usable(_ id: String) -> String? {
        let breaksFraming = id.utf8.contains { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") || $0 == 0 }
        return id.isEmpty || breaksFraming ? nil : id
    }
}
