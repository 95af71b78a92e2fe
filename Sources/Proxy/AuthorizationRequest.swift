// The auth request: what Herald asks the app before an event stream opens (`events.authorize =
// "upstream"`), and asks again to re-authorize it. Pure: the subscribe request's head in, the
// bytes of a `GET` out. Only what identifies the user crosses (Cookie, Authorization, the
// X-Forwarded-* chain); nothing else of the browser's request does, so the app's answer depends on
// who asks and for which channels, never on headers Herald cannot re-send later.

import HTTP1

/// One auth request: the channels it asks about and its bytes, kept by the stream to ask again.
public struct AuthorizationRequest: Sendable, Equatable {
    /// The channels the app is asked about (`Herald-Channels`), in the order the client asked.
    public let askedChannels: [String]
    /// The request head on the wire (a `GET` without body).
    public let bytes: [UInt8]

    /// The fields of the subscribe request that go with the auth request, in this order: they
    /// identify the user, and are re-sent unchanged by every re-authorization.
    static let credentialFields = ["cookie", "authorization"]

    /// The auth request for `subscribe` from `clientAddress`, asking about `askedChannels`.
    /// `path` is `events.authorize_path`; empty means the subscribe request's own target.
    /// `upstreamAuthority` is the `Host` sent when the client sent none (HTTP/1.0).
    /// `clientAddress` is appended to X-Forwarded-For as a forwarded request's peer is; from a
    /// trusted proxy (`fromTrustedProxy`) the X-Forwarded-Proto and -Host it sent are passed on.
    public init(subscribe: HTTPRequestHead, askedChannels: [String], clientAddress: String,
                path: String, upstreamAuthority: String, fromTrustedProxy: Bool = false) {
        self.askedChannels = askedChannels
        let target = path.isEmpty ? subscribe.target : Array(path.utf8)
        let host = subscribe.fields.first("host")
        var head = HeadBuilder(capacity: 512 + target.count)
        head.requestLine(method: "GET", target: target[...], version: .http11)
        head.field("Host", host ?? Array(upstreamAuthority.utf8))
        for name in Self.credentialFields {
            for value in subscribe.fields.values(name) { head.field(Self.canonical(name), value) }
        }
        head.field("Herald-Channels", askedChannels.joined(separator: ", "))
        // What the browser asked for, when the app is asked at another path.
        head.field("X-Original-URI", subscribe.target)
        let forwardedFor = subscribe.fields.values("x-forwarded-for")
        if forwardedFor.isEmpty {
            head.field("X-Forwarded-For", clientAddress)
        } else {
            head.field("X-Forwarded-For", Array(forwardedFor.joined(separator: Array(", ".utf8)))[...], appending: clientAddress)
        }
        if let forwardedProto = fromTrustedProxy ? subscribe.fields.first("x-forwarded-proto") : nil {
            head.field("X-Forwarded-Proto", forwardedProto)
        } else {
            head.field("X-Forwarded-Proto", "http")
        }
        if let forwardedHost = fromTrustedProxy ? subscribe.fields.first("x-forwarded-host") : nil {
            head.field("X-Forwarded-Host", forwardedHost)
        } else if let host {
            head.field("X-Forwarded-Host", host)
        }
        head.field("Via", subscribe.version.viaElement)
        head.end()
        bytes = head.bytes
    }

    private static func canonical(_ name: String) -> String {
        name == "cookie" ? "Cookie" : "Authorization"
    }
}
