/// Why a message could not be accepted; `status` is what a server answers with.
public struct HTTPParseError: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Malformed or ambiguous framing → 400.
        case malformed
        /// Start line longer than `maxStartLineBytes` → 414.
        case startLineTooLong
        /// Head longer than `maxHeadBytes` or too many fields → 431.
        case headTooLarge
        /// Body larger than allowed → 413.
        case bodyTooLarge
        /// An HTTP version other than 1.0 and 1.1 → 505.
        case versionNotSupported
        /// A request transfer coding Herald cannot decode (anything but `chunked` alone) → 501.
        case notImplemented
    }

    public var kind: Kind
    /// A short, human-readable reason, safe to send to a client.
    public var reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public static func malformed(_ reason: String) -> HTTPParseError { HTTPParseError(.malformed, reason) }

    /// The status a server answers with.
    public var status: Int {
        switch kind {
        case .malformed: 400
        case .startLineTooLong: 414
        case .headTooLarge: 431
        case .bodyTooLarge: 413
        case .versionNotSupported: 505
        case .notImplemented: 501
        }
    }
}
