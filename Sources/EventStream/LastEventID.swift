/// The event id a reconnecting client reports, from which replay starts.
///
/// A value that cannot be an id Herald sent (ill-formed UTF-8, a bad `%` escape, CR, LF or NUL:
/// `validate` keeps such ids from ever being sent) is not ignored: it is `unusable`, and the client
/// gets a reset like one whose id the history no longer holds, since it may have missed events.
public enum LastEventID: Sendable, Equatable {
    /// An id to find in the history.
    case id(String)
    /// A value that names no event; `shown` is it decoded leniently (ill-formed UTF-8 as U+FFFD, a
    /// bad escape as it stands), for the reset's data.
    case unusable(shown: String)

    /// The id a reconnecting client sent: the `Last-Event-ID` header value (bytes as received, read
    /// as UTF-8) or, when the header is absent or empty, the first `lastEventId` query parameter
    /// (`+` as space, percent-decoded). The header, when it has a value, decides alone.
    /// Nil when neither is present or the chosen value is empty: a new client, nothing to resume.
    public static func from(header: [UInt8]?, query: String?) -> LastEventID? {
        if let header, !header.isEmpty {
            return String(strictUTF8: header).flatMap(usable) ?? .unusable(shown: String(decoding: header, as: UTF8.self))
        }
        guard let query, let raw = QueryString.rawValues("lastEventId", in: query[...]).first, !raw.isEmpty else {
            return nil
        }
        return QueryString.strictDecode(raw, plusIsSpace: true).flatMap(usable)
            ?? .unusable(shown: QueryString.values("lastEventId", in: query[...]).first ?? "")
    }

    /// What the client sent, for the reset's data.
    public var shown: String {
        switch self {
        case .id(let id): id
        case .unusable(let shown): shown
        }
    }

    private static func usable(_ id: String) -> LastEventID? {
        let breaksFraming = id.utf8.contains { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") || $0 == 0 }
        return breaksFraming ? nil : .id(id)
    }
}
