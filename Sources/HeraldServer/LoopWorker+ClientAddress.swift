import HTTP1
import LibeventIO

/// Who the client is (`server.trusted_proxies`): the peer itself, or, when the peer is a trusted
/// proxy, the right-most untrusted X-Forwarded-For entry. With no list (the default) both are a
/// check of an empty array: nothing is parsed or allocated.
extension LoopWorker {
    /// The client's address for `request` on `downstream`, for the limits and the access log.
    func clientAddress(of request: HTTPRequestHead, on downstream: Connection) -> String {
        settings.server.trustedProxies.clientAddress(peer: downstream.peerHost) {
            request.fields.values("x-forwarded-for").map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Whether `downstream`'s peer is a trusted proxy, whose X-Forwarded-Proto and -Host are kept.
    func isTrustedProxy(_ downstream: Connection) -> Bool {
        settings.server.trustedProxies.contains(downstream.peerHost)
    }
}
