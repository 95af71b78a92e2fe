import HTTP1

/// Rewrites heads as they cross Herald: hop-by-hop fields removed (RFC 9110 §7.6.1), the
/// X-Forwarded-* and Via fields added, and the framing of each side stated anew.
public struct HeadRewriter: Sendable {
    /// The `Host` to send when an HTTP/1.0 client sent none ("host:port" of the upstream).
    public var upstreamAuthority: String

    public init(upstreamAuthority: String) {
        self.upstreamAuthority = upstreamAuthority
    }

    /// The head sent upstream for `request` from `clientAddress`, always as HTTP/1.1, written
    /// straight to bytes from the request's fields in their order. `tunnel` keeps Upgrade (a
    /// WebSocket handshake); `framing` is the request body's. (The tests hold a field-by-field
    /// model of the same rewrite and check the two agree byte for byte.)
    public func upstreamRequestBytes(_ request: HTTPRequestHead, clientAddress: String,
                                     framing: RequestBodyFraming, tunnel: Bool) -> [UInt8] {
        let fields = request.fields.fields
        let hopByHop = request.fields.hopByHop
        // The last X-Forwarded-For and Via forwarded get Herald's element appended.
        var forwardedFor: Int?
        var via: Int?
        for index in fields.indices where !hopByHop.contains(fields[index]) {
            if fields[index].known == .xForwardedFor { forwardedFor = index }
            if fields[index].known == .via { via = index }
        }
        let viaElement = request.version == .http10 ? "1.0 herald" : "1.1 herald"
        let host = request.fields.firstBytes(.host)

        var head = HeadBuilder(capacity: Self.capacity(request.fields, extra: request.targetBytes.count + clientAddress.utf8.count))
        head.requestLine(method: request.method, target: request.targetBytes, version: .http11)
        for index in fields.indices {
            let known = fields[index].known
            if known == .xForwardedProto || known == .xForwardedHost || hopByHop.contains(fields[index]) { continue }
            let element = index == forwardedFor ? clientAddress : index == via ? viaElement : nil
            head.field(fields[index].nameBytes, fields[index].bytes, appending: element)
        }
        if forwardedFor == nil { head.field("X-Forwarded-For", clientAddress) }
        head.field("X-Forwarded-Proto", "http")
        if let host {
            head.field("X-Forwarded-Host", host)
        } else {
            head.field("Host", upstreamAuthority)
        }
        if via == nil { head.field("Via", viaElement) }
        if framing == .chunked { head.field("Transfer-Encoding", "chunked") }
        if tunnel, let upgrade = request.fields.firstBytes(.upgrade) {
            head.field("Connection", "Upgrade")
            head.field("Upgrade", upgrade)
        }
        head.end()
        return head.bytes
    }

    /// The head sent downstream for the upstream's `response`, written straight to bytes:
    /// `framing` is how Herald delimits the body towards the client, `keepAlive` whether the
    /// client connection stays open.
    public func downstreamResponseBytes(_ response: HTTPResponseHead, framing: DownstreamFraming,
                                        keepAlive: Bool, clientVersion: HTTPVersion) -> [UInt8] {
        let fields = response.fields.fields
        let hopByHop = response.fields.hopByHop
        var via: Int?
        for index in fields.indices where fields[index].known == .via && !hopByHop.contains(fields[index]) { via = index }
        let viaElement = response.version == .http10 ? "1.0 herald" : "1.1 herald"

        var head = HeadBuilder(capacity: Self.capacity(response.fields, extra: response.reasonBytes.count))
        head.statusLine(version: .http11, status: response.status, reason: response.reasonBytes)
        for index in fields.indices where !hopByHop.contains(fields[index]) {
            head.field(fields[index].nameBytes, fields[index].bytes, appending: index == via ? viaElement : nil)
        }
        if via == nil { head.field("Via", viaElement) }
        switch framing {
        case .switchingProtocols:
            head.field("Connection", "Upgrade")
            if let upgrade = response.fields.firstBytes(.upgrade) { head.field("Upgrade", upgrade) }
            head.end()
            return head.bytes
        case .chunked:
            // Codings applied before chunked (e.g. gzip) describe the body itself: they go on with it.
            let otherCodings = response.fields.tokens("transfer-encoding").filter { $0 != "chunked" }
            head.field("Transfer-Encoding", (otherCodings + ["chunked"]).joined(separator: ", "))
        case .none, .contentLength, .untilClose:
            break
        }
        if !keepAlive {
            head.field("Connection", "close")
        } else if clientVersion == .http10 {
            head.field("Connection", "keep-alive")
        }
        head.end()
        return head.bytes
    }

    /// Room for a head's fields plus `extra` bytes and the fields Herald adds, so the bytes are
    /// allocated once: 256 bytes covers the added fields but a long Host or Transfer-Encoding.
    private static func capacity(_ fields: HTTPFields, extra: Int) -> Int {
        256 + extra + fields.serializedCount
    }
}

/// How Herald delimits a response body towards the client.
public enum DownstreamFraming: Sendable, Equatable {
    /// No body (HEAD, 1xx, 204, 304).
    case none
    /// The upstream's Content-Length, kept.
    case contentLength(UInt64)
    /// Re-chunked: the upstream's body was chunked or close-delimited and the client speaks HTTP/1.1.
    case chunked
    /// Close-delimited, for an HTTP/1.0 client.
    case untilClose
    /// 101: the connection becomes a tunnel.
    case switchingProtocols

    /// Chooses the framing for a response of `upstream` framing to a client of `clientVersion`.
    public init(upstream: ResponseBodyFraming, clientVersion: HTTPVersion) {
        switch upstream {
        case .none: self = .none
        case .contentLength(let length): self = .contentLength(length)
        case .chunked, .untilClose: self = clientVersion == .http11 ? .chunked : .untilClose
        }
    }
}
