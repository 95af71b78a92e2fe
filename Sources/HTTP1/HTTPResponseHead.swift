/// A response head: `HTTP-version SP status SP reason CRLF` then fields.
public struct HTTPResponseHead: Sendable, Equatable {
    public var version: HTTPVersion
    public var status: Int
    /// The reason phrase as sent (may be empty); a parsed head's shares the head's storage.
    public var reasonBytes: ArraySlice<UInt8>
    /// The reason phrase as an array of its own (a copy).
    public var reason: [UInt8] {
        get { Array(reasonBytes) }
        set { reasonBytes = newValue[...] }
    }
    public var fields: HTTPFields

    public init(version: HTTPVersion, status: Int, reason: [UInt8], fields: HTTPFields) {
        self.init(version: version, status: status, reasonBytes: reason[...], fields: fields)
    }

    public init(version: HTTPVersion, status: Int, reasonBytes: ArraySlice<UInt8>, fields: HTTPFields) {
        self.version = version
        self.status = status
        self.reasonBytes = reasonBytes
        self.fields = fields
    }

    public init(version: HTTPVersion = .http11, status: Int, reason: String, fields: HTTPFields = HTTPFields()) {
        self.init(version: version, status: status, reason: Array(reason.utf8), fields: fields)
    }
}
