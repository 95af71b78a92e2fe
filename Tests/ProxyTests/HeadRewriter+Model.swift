import HTTP1
@testable import Proxy

/// A field-by-field model of HeadRewriter's byte writers, easy to read and to check by eye:
/// the tests assert both produce the same bytes, and assert behaviour through the model.
extension HeadRewriter {
    /// RFC 9110 §7.6.1's fixed hop-by-hop names: the model removes them by name, the general way.
    static let hopByHopNames = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]

    /// The head sent upstream for `request` from `clientAddress`, always as HTTP/1.1.
    /// `tunnel` keeps Upgrade (a WebSocket handshake); `framing` is the request body's.
    func upstreamRequest(_ request: HTTPRequestHead, clientAddress: String,
                                framing: RequestBodyFraming, tunnel: Bool, fromTrustedProxy: Bool = false) -> HTTPRequestHead {
        var head = request
        head.version = .http11
        let upgrade = request.fields.first("upgrade")
        head.fields.removeAll(named: Self.hopByHopNames, orListedIn: "connection")

        appendToList(&head.fields, "X-Forwarded-For", "x-forwarded-for", clientAddress)
        // A trusted proxy's X-Forwarded-Proto and -Host stay as sent; anyone else's are replaced.
        if !(fromTrustedProxy && head.fields.contains("x-forwarded-proto")) {
            head.fields.remove("x-forwarded-proto")
            head.fields.append("X-Forwarded-Proto", "http")
        }
        let host = request.fields.first("host")
        let keepsHost = fromTrustedProxy && head.fields.contains("x-forwarded-host")
        if !keepsHost { head.fields.remove("x-forwarded-host") }
        if let host {
            if !keepsHost { head.fields.append("X-Forwarded-Host", host) }
        } else {
            head.fields.append("Host", upstreamAuthority)
        }
        appendToList(&head.fields, "Via", "via", request.version == .http10 ? "1.0 herald" : "1.1 herald")

        if framing == .chunked { head.fields.append("Transfer-Encoding", "chunked") }
        if tunnel, let upgrade {
            head.fields.append("Connection", "Upgrade")
            head.fields.append("Upgrade", upgrade)
        }
        return head
    }

    /// The head sent downstream for the upstream's `response`; `framing` is how Herald will
    /// delimit the body towards the client, `keepAlive` whether the client connection stays open.
    func downstreamResponse(_ response: HTTPResponseHead, framing: DownstreamFraming,
                                   keepAlive: Bool, clientVersion: HTTPVersion) -> HTTPResponseHead {
        var head = response
        head.version = .http11
        let upgrade = response.fields.first("upgrade")
        head.fields.removeAll(named: Self.hopByHopNames, orListedIn: "connection")
        appendToList(&head.fields, "Via", "via", response.version == .http10 ? "1.0 herald" : "1.1 herald")

        switch framing {
        case .switchingProtocols:
            head.fields.append("Connection", "Upgrade")
            if let upgrade { head.fields.append("Upgrade", upgrade) }
            return head
        case .chunked:
            // Codings applied before chunked (e.g. gzip) describe the body itself: they go on with it.
            let otherCodings = response.fields.tokens("transfer-encoding").filter { $0 != "chunked" }
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

    /// Appends `value` to the last `name` field as a list element, or adds the field.
    private func appendToList(_ fields: inout HTTPFields, _ name: String, _ lowercasedName: String, _ value: String) {
        if let index = fields.fields.lastIndex(where: { $0.hasName(lowercasedName) }) {
            fields.fields[index].value.append(contentsOf: ", ".utf8)
            fields.fields[index].value.append(contentsOf: value.utf8)
        } else {
            fields.append(name, value)
        }
    }
}
