import HTTP1

/// Rewrites heads as they cross Herald: hop-by-hop fields removed (RFC 9110 §7.6.1), the
/// X-Forwarded-* and Via fields added, and the framing of each side stated anew.
public struct HeadRewriter: Sendable {
    /// Fields that describe one connection, never forwarded, whatever Connection says.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
    ]

    /// The `Host` to send when an HTTP/1.0 client sent none ("host:port" of the upstream).
    public var upstreamAuthority: String

    public init(upstreamAuthority: String) {
        self.upstreamAuthority = upstreamAuthority
    }

    /// The head sent upstream for `request` from `clientAddress`, always as HTTP/1.1.
    /// `tunnel` keeps Upgrade (a WebSocket handshake); `framing` is the request body's.
    public func upstreamRequest(_ request: HTTPRequestHead, clientAddress: String,
                                framing: RequestBodyFraming, tunnel: Bool) -> HTTPRequestHead {
        var head = request
        head.version = .http11
        let upgrade = request.fields.first("upgrade")
        Self.removeHopByHop(&head.fields)

        appendToList(&head.fields, "X-Forwarded-For", clientAddress)
        head.fields.remove("x-forwarded-proto")
        head.fields.append("X-Forwarded-Proto", "http")
        let host = request.fields.first("host")
        head.fields.remove("x-forwarded-host")
        if let host {
            head.fields.append("X-Forwarded-Host", host)
        } else {
            head.fields.append("Host", upstreamAuthority)
        }
        appendToList(&head.fields, "Via", request.version == .http10 ? "1.0 herald" : "1.1 herald")

        if framing == .chunked { head.fields.append("Transfer-Encoding", "chunked") }
        if tunnel, let upgrade {
            head.fields.append("Connection", "Upgrade")
            head.fields.append("Upgrade", upgrade)
        }
        return head
    }

    /// The head sent downstream for the upstream's `response`; `framing` is how Herald will
    /// delimit the body towards the client, `keepAlive` whether the client connection stays open.
    public func downstreamResponse(_ response: HTTPResponseHead, framing: DownstreamFraming,
                                   keepAlive: Bool, clientVersion: HTTPVersion) -> HTTPResponseHead {
        var head = response
        head.version = .http11
        let upgrade = response.fields.first("upgrade")
        // Codings applied before chunked (e.g. gzip) describe the body itself: they go on with it.
        let otherCodings = response.fields.tokens("transfer-encoding").filter { $0 != "chunked" }
        Self.removeHopByHop(&head.fields)
        appendToList(&head.fields, "Via", response.version == .http10 ? "1.0 herald" : "1.1 herald")

        switch framing {
        case .switchingProtocols:
            head.fields.append("Connection", "Upgrade")
            if let upgrade { head.fields.append("Upgrade", upgrade) }
            return head
        case .chunked:
            head.fields.append("Transfer-Encoding", (otherCodings + ["chunked"]).joined(separator: ", "))
        case .none, .contentLength, .untilClose:
            break
        }
        if !keepAlive {
            head.fields.append("Connection", "close")
        } else if clientVersion == .http10 {
            head.fields.append("Connection", "keep-alive")
        }
        return head
    }

    /// Removes the fixed hop-by-hop fields and every field the Connection header names.
    public static func removeHopByHop(_ fields: inout HTTPFields) {
        let named = Set(fields.tokens("connection"))
        fields.removeAll { field in
            let name = field.name.lowercased()
            return hopByHop.contains(name) || named.contains(name)
        }
    }

    /// Appends `value` to the last `name` field as a list element, or adds the field.
    private func appendToList(_ fields: inout HTTPFields, _ name: String, _ value: String) {
        let lower = name.lowercased()
        if let index = fields.fields.lastIndex(where: { $0.hasName(lower) }) {
            fields.fields[index].value += Array(", \(value)".utf8)
        } else {
            fields.append(name, value)
        }
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
