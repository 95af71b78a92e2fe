import HTTP1

/// Where a request on the public listener goes.
public enum Route: Sendable, Equatable {
    /// Forwarded to the upstream app.
    case forward
    /// An events route: held by Herald, never forwarded.
    case events
    /// Answered by Herald with this error; nothing reaches the upstream.
    case refuse(ProxyError)
}

/// Decides a request's route from its head alone.
public struct Router: Sendable {
    /// The subscribe prefix (`events.path`), e.g. "/events".
    public var eventsPath: String

    public init(eventsPath: String = "/events") {
        self.eventsPath = eventsPath
    }

    public func route(_ head: HTTPRequestHead) -> Route {
        let target = head.target
        if head.method == "CONNECT" {
            return .refuse(ProxyError(.downstream, status: 405, "CONNECT is not supported: Herald is not a forward proxy"))
        }
        if target.first != UInt8(ascii: "/") {
            if target == [UInt8(ascii: "*")] { return .forward }
            if let authority = Self.absoluteFormAuthority(target) {
                let host = head.fields.first("host") ?? []
                if !asciiEqualsIgnoringCase(authority, host) {
                    return .refuse(ProxyError(.downstream, status: 403, "absolute-form target names another host: Herald is not an open proxy"))
                }
                return .forward
            }
            return .refuse(ProxyError(.downstream, status: 400, "request-target must be a path"))
        }
        return isEventsPath(target) ? .events : .forward
    }

    /// True for `<eventsPath>`, `<eventsPath>/…` and `<eventsPath>?…`.
    func isEventsPath(_ target: [UInt8]) -> Bool {
        let prefix = Array(eventsPath.utf8)
        guard target.count >= prefix.count, target.starts(with: prefix) else { return false }
        guard target.count > prefix.count else { return true }
        let next = target[prefix.count]
        return next == UInt8(ascii: "/") || next == UInt8(ascii: "?")
    }

    /// The authority of an `http://` or `https://` absolute-form target, or nil for other forms.
    static func absoluteFormAuthority(_ target: [UInt8]) -> [UInt8]? {
        for scheme in ["http://", "https://"] {
            let schemeBytes = Array(scheme.utf8)
            if target.count > schemeBytes.count, asciiEqualsIgnoringCase(Array(target.prefix(schemeBytes.count)), schemeBytes) {
                let rest = target.dropFirst(schemeBytes.count)
                return Array(rest.prefix { $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") })
            }
        }
        return nil
    }
}

func asciiEqualsIgnoringCase(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
    return a.count == b.count && zip(a, b).allSatisfy { lower($0) == lower($1) }
}
