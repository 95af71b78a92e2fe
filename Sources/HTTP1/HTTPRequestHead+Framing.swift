extension HTTPRequestHead {
    /// How the body is delimited: RFC 9112 §6.3 for requests, strictly. Every ambiguity that lets
    /// two parsers disagree on where a body ends (request smuggling) is refused.
    ///
    /// Both Content-Length and Transfer-Encoding → malformed; several Content-Length values that
    /// differ → malformed (identical repeats are accepted); a Content-Length that is not 1*DIGIT or
    /// overflows → malformed; Transfer-Encoding in an HTTP/1.0 request, a final coding other than
    /// chunked, or chunked twice → malformed; chunked after other codings → notImplemented (501).
    public func bodyFraming() throws(HTTPParseError) -> RequestBodyFraming {
        if let codings = fields.transferCodings() {
            if fields.contains(.contentLength) {
                throw .malformed("both Content-Length and Transfer-Encoding")
            }
            if version == .http10 { throw .malformed("Transfer-Encoding in an HTTP/1.0 request") }
            guard codings.count > 0 else { throw .malformed("empty Transfer-Encoding") }
            guard codings.lastIsChunked else { throw .malformed("final transfer coding is not chunked") }
            if codings.chunkedCount > 1 { throw .malformed("chunked applied more than once") }
            if codings.count > 1 {
                throw HTTPParseError(.notImplemented, "only the chunked transfer coding is supported")
            }
            return .chunked
        }
        if let length = try fields.contentLength() { return .contentLength(length) }
        return .none
    }

    /// The request has a body, or framing that cannot be trusted: answered without reading it, its
    /// connection cannot take another request, and the client may still be sending.
    public var mayHaveBody: Bool {
        (try? bodyFraming()) != RequestBodyFraming.none
    }

    /// HTTP/1.1: true unless Connection lists `close`; HTTP/1.0: only if Connection lists
    /// `keep-alive` (and not `close`).
    public var wantsKeepAlive: Bool {
        if fields.connectionLists(.close, spelled: "close") { return false }
        return version == .http11 || fields.connectionLists(.keepAlive, spelled: "keep-alive")
    }

    /// Connection lists `upgrade` and an Upgrade field is present (RFC 9110 §7.8).
    public var isUpgradeRequest: Bool {
        fields.contains(.upgrade) && fields.connectionLists(.upgrade, spelled: "upgrade")
    }
}
