import HTTP1

/// Where a request on the public listener goes.
public enum Route: Sendable, Equatable {
    /// Forwarded to the upstream app.
    case forward
    /// An events route: held by Herald, never forwarded.
    case events
    /// `server.health_path`: Herald's readiness, answered by Herald.
    case health
    /// Answered by Herald with this error; nothing reaches the upstream.
    case refuse(ProxyError)
}

/// Decides a request's route from its head alone.
public struct Router: Sendable {
    /// The subscribe prefix (`events.path`), e.g. "/events".
    public var eventsPath: String
    /// `server.health_path` ("" = off).
    public var healthPath: String

    public init(eventsPath: String = "/events", healthPath: String = "") {
        self.eventsPath = eventsPath
        self.healthPath = healthPath
    }

    public func route(_ head: HTTPRequestHead) -> Route {
        let target = head.targetBytes
        if head.method == "CONNECT" {
            return .refuse(ProxyError(.downstream, status: 405, "CONNECT is not supported: Herald is not a forward proxy"))
        }
        if target.first != UInt8(ascii: "/") {
            if target.elementsEqual([UInt8(ascii: "*")]) { return .forward }
            if Self.isAbsoluteForm(target) {
                // A reverse proxy has no name of its own to compare the authority with, and an
                // absolute-form target is how clients address forward proxies: refuse them all.
                return .refuse(ProxyError(.downstream, status: 403, "absolute-form targets are refused: Herald is not an open proxy"))
            }
            return .refuse(ProxyError(.downstream, status: 400, "request-target must be a path"))
        }
        if isEventsPath(target) { return .events }
        return !healthPath.isEmpty && isHealthPath(target) ? .health : .forward
    }

    /// True for `<healthPath>` and `<healthPath>?…`.
    func isHealthPath(_ target: ArraySlice<UInt8>) -> Bool {
        let path = healthPath.utf8
        guard target.starts(with: path) else { return false }
        let next = target.dropFirst(path.count).first
        return next == nil || next == UInt8(ascii: "?")
    }

    /// True for `<eventsPath>`, `<eventsPath>/…` and `<eventsPath>?…`.
    func isEventsPath(_ target: ArraySlice<UInt8>) -> Bool {
        let prefix = eventsPath.utf8
        guard target.count >= prefix.count, target.starts(with: prefix) else { return false }
        guard let next = target.dropFirst(prefix.count).first else { return true }
        return next == UInt8(ascii: "/") || next == UInt8(ascii: "?")
    }

    /// True for a target that starts with a URI scheme (`http://…`, `https://…`, `ftp://…`).
    static func isAbsoluteForm(_ target: ArraySlice<UInt8>) -> Bool {
        guard let colon = target.firstIndex(of: UInt8(ascii: ":")), colon > target.startIndex else { return false }
        let scheme = target[..<colon]
        let isSchemeByte: (UInt8) -> Bool = { byte in
            (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2B || byte == 0x2D || byte == 0x2E
        }
        return scheme.allSatisfy(isSchemeByte) && target[colon...].starts(with: Array("://".utf8))
    }
}
