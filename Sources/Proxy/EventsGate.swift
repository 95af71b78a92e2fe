// What a request on an events route gets before any stream opens: the script client.js, a CORS
// preflight answer, a refusal (wrong method, origin not allowed), or a stream, with the CORS
// fields it must carry. Pure: the head in, a decision out.

import HTTP1

/// Decides how Herald answers a request on an events route.
public struct EventsGate: Sendable {
    /// What to do with the request.
    public enum Decision: Equatable, Sendable {
        /// Open a stream; its response head carries `fields` (CORS, for a cross-origin page).
        case stream(fields: [HTTPField])
        /// Serve client.js (GET or HEAD).
        case clientScript
        /// Answer a preflight or a plain OPTIONS with 204 and these fields; no stream opens.
        case options(fields: [HTTPField])
        /// Answer with this error (405, 403) and these extra fields, then close.
        case refuse(ProxyError, fields: [HTTPField])
    }

    /// The subscribe prefix (`events.path`).
    public let eventsPath: String
    /// Serve `<eventsPath>/client.js` (`events.client_script`).
    public var servesClientScript: Bool
    /// Origins allowed to read streams cross-origin (`events.allow_origins`), as browsers send them.
    public var allowedOrigins: Set<String>
    /// `"*"` was listed: every origin is allowed.
    public var allowsAnyOrigin: Bool

    /// `<eventsPath>/client.js`.
    private let clientScriptPath: [UInt8]

    public init(eventsPath: String, servesClientScript: Bool, allowedOrigins: Set<String> = [], allowsAnyOrigin: Bool = false) {
        self.eventsPath = eventsPath
        clientScriptPath = Array((eventsPath + "/client.js").utf8)
        self.servesClientScript = servesClientScript
        self.allowedOrigins = allowedOrigins
        self.allowsAnyOrigin = allowsAnyOrigin
    }

    /// A preflight's answer may be cached this long (seconds): streams reconnect often, the list
    /// changes only with a restart.
    static let preflightMaxAge = "600"
    static let methods = "GET, HEAD, OPTIONS"

    public func decide(_ request: HTTPRequestHead) -> Decision {
        if servesClientScript, isClientScript(request.targetBytes) {
            // A script is read by <script> and by `new SharedWorker`, which are never cross-origin reads
            // with credentials: no origin check.
            return ["GET", "HEAD"].contains(request.method) ? .clientScript : Self.methodNotAllowed
        }
        let origin = request.fields.firstString("origin")
        let cors: [HTTPField]
        switch originVerdict(origin, host: origin == nil ? nil : request.fields.firstString("host")) {
        case .sameOrigin:
            cors = []
        case .allowed(let origin):
            cors = [HTTPField(name: "Access-Control-Allow-Origin", value: origin),
                    HTTPField(name: "Access-Control-Allow-Credentials", value: "true"),
                    HTTPField(name: "Vary", value: "Origin")]
        case .refused(let origin):
            return .refuse(ProxyError(.downstream, status: 403, "origin \(origin) may not read event streams: it is not in events.allow_origins"),
                           fields: [HTTPField(name: "Vary", value: "Origin")])
        }
        switch request.method {
        case "GET", "HEAD":
            return .stream(fields: cors)
        case "OPTIONS":
            var fields = cors + [HTTPField(name: "Allow", value: Self.methods)]
            guard !cors.isEmpty, request.fields.contains("access-control-request-method") else { return .options(fields: fields) }
            fields.append(HTTPField(name: "Access-Control-Allow-Methods", value: "GET, HEAD"))
            // What a page's own reader asks to send (Last-Event-ID, Authorization, …) is harmless on
            // a read-only stream: allowed as asked, if it is a list of field names.
            if let asked = request.fields.firstString("access-control-request-headers"), Self.isFieldNameList(asked) {
                fields.append(HTTPField(name: "Access-Control-Allow-Headers", value: asked))
            }
            fields.append(HTTPField(name: "Access-Control-Max-Age", value: Self.preflightMaxAge))
            return .options(fields: fields)
        default:
            return Self.methodNotAllowed
        }
    }

    static let methodNotAllowed = Decision.refuse(
        ProxyError(.downstream, status: 405, "event streams are read with GET"),
        fields: [HTTPField(name: "Allow", value: methods)])

    enum OriginVerdict: Equatable {
        case sameOrigin, allowed(String), refused(String)
    }

    /// No `Origin`, or one naming the request's own `Host`: same-origin. Otherwise the list decides.
    /// `null` (sandboxed frames, file pages) is allowed only by `"*"`.
    func originVerdict(_ origin: String?, host: String?) -> OriginVerdict {
        guard let origin, !origin.isEmpty else { return .sameOrigin }
        if let host, Self.origin(origin, names: host) { return .sameOrigin }
        if allowsAnyOrigin || allowedOrigins.contains(origin) { return .allowed(origin) }
        return .refused(origin)
    }

    /// True when `origin` (`scheme://host[:port]`) has the authority `host` (a Host header), with
    /// the scheme's default port written or not. The scheme is not compared: a TLS terminator in
    /// front of Herald makes an `https` page arrive over plain HTTP.
    static func origin(_ origin: String, names host: String) -> Bool {
        let parts = origin.lowercased().split(separator: "://", maxSplits: 1)
        guard parts.count == 2 else { return false }
        let defaultPort = parts[0] == "https" ? ":443" : ":80"
        func withoutDefaultPort(_ authority: Substring) -> Substring {
            authority.hasSuffix(defaultPort) ? authority.dropLast(defaultPort.count) : authority
        }
        return withoutDefaultPort(parts[1]) == withoutDefaultPort(host.lowercased()[...])
    }

    static func isFieldNameList(_ text: String) -> Bool {
        text.split(separator: ",").allSatisfy { $0.trimmingASCIIWhitespace().isHTTPToken }
    }

    /// True when the target's path (before any `?`) is `<eventsPath>/client.js`.
    private func isClientScript(_ target: ArraySlice<UInt8>) -> Bool {
        guard target.starts(with: clientScriptPath) else { return false }
        let rest = target.dropFirst(clientScriptPath.count)
        return rest.first == nil || rest.first == UInt8(ascii: "?")
    }
}
