import EventStream
import Foundation
import HeraldConfig
import HTTP1

/// `<events.path>/client.js`: the browser script that shares one stream per origin across tabs
/// (its source is client.js beside this file, embedded in the binary at build time). Built once
/// per loop with the configuration the script must know, then served from memory.
struct ClientScript {
    /// The script: a line of configuration, then the embedded source.
    let body: [UInt8]
    /// A strong validator for `If-None-Match`: browsers revalidate instead of fetching it again.
    let etag: String

    init(settings: EventsSettings) {
        let config: [String: Any] = [
            "path": settings.path, "resetEvent": settings.resetEvent,
            // The worker reopens a stream that stays silent for several heartbeats.
            "heartbeatMs": settings.heartbeatMilliseconds,
        ]
        let json = (try? JSONSerialization.data(withJSONObject: config, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        body = Array("const HERALD_CONFIG = \(String(decoding: json, as: UTF8.self));\n".utf8) + PackageResources.client_js
        etag = "\"" + String(Self.fnv1a(body), radix: 16) + "\""
    }

    /// 200 with the script (its head only for HEAD), or 304 when the browser holds this version.
    func response(to request: HTTPRequestHead, keepAlive: Bool) -> (status: Int, bytes: [UInt8]) {
        let unchanged = request.fields.firstString("if-none-match").map { $0.split(separator: ",").contains { $0.trimmingASCIIWhitespace() == etag } } ?? false
        var head = HTTPResponseHead(status: unchanged ? 304 : 200, reason: unchanged ? "Not Modified" : "OK")
        head.fields.append("Content-Type", "text/javascript; charset=utf-8")
        // Revalidated on every load, so a new Herald's script is picked up at once.
        head.fields.append("Cache-Control", "no-cache")
        head.fields.append("ETag", etag)
        if !unchanged { head.fields.append("Content-Length", String(body.count)) }
        if !keepAlive { head.fields.append("Connection", "close") }
        let withBody = !unchanged && request.method != "HEAD"
        return (head.status, head.serialized() + (withBody ? body : []))
    }

    /// FNV-1a, 64 bits: enough to tell versions of one file apart.
    private static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}
