/// A request head: `method SP request-target SP HTTP-version CRLF` then fields.
public struct HTTPRequestHead: Sendable, Equatable {
    /// The method token exactly as sent (any token, not only the common ones).
    public var method: String
    /// The request-target byte for byte (origin-form, absolute-form, authority-form or `*`); a
    /// parsed head's shares the head's storage, as its field values do.
    public var targetBytes: ArraySlice<UInt8>
    /// The request-target as an array of its own (a copy).
    public var target: [UInt8] {
        get { Array(targetBytes) }
        set { targetBytes = newValue[...] }
    }
    public var version: HTTPVersion
    public var fields: HTTPFields

    public init(method: String, target: [UInt8], version: HTTPVersion, fields: HTTPFields) {
        self.init(method: method, targetBytes: target[...], version: version, fields: fields)
    }

    public init(method: String, targetBytes: ArraySlice<UInt8>, version: HTTPVersion, fields: HTTPFields) {
        self.method = method
        self.targetBytes = targetBytes
        self.version = version
        self.fields = fields
    }

    /// The target as a string, for routing and logs.
    public var targetString: String { String(decoding: targetBytes, as: UTF8.self) }
}
