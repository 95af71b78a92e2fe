extension HTTPResponseHead {
    /// How the body is delimited: RFC 9112 §6.3 for responses. A response to HEAD and a 1xx, 204 or
    /// 304 have none; a final chunked coding wins over Content-Length; another Transfer-Encoding is
    /// read until close; an invalid or differing Content-Length throws; neither field → until close.
    public func bodyFraming(requestMethod: String) throws(HTTPParseError) -> ResponseBodyFraming {
        if requestMethod == "HEAD" || (100..<200).contains(status) || status == 204 || status == 304 {
            return .none
        }
        if let codings = fields.transferCodings() {
            guard codings.lastIsChunked else { return .untilClose }
            if codings.chunkedCount > 1 { throw .malformed("chunked applied more than once") }
            return .chunked
        }
        if let length = try fields.contentLength() { return .contentLength(length) }
        return .untilClose
    }

    /// HTTP/1.1: true unless Connection lists `close`; HTTP/1.0: only if Connection lists
    /// `keep-alive` (and not `close`).
    public var wantsKeepAlive: Bool {
        if fields.connectionLists(.close, spelled: "close") { return false }
        return version == .http11 || fields.connectionLists(.keepAlive, spelled: "keep-alive")
    }
}
