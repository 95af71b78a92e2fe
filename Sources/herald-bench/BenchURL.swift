import ArgumentParser
import LibeventIO

/// An `http://host[:port]/path[?query]` URL, split into what a request needs. Only plain HTTP:
/// the benchmarks talk to servers on loopback.
struct BenchURL: Sendable, CustomStringConvertible {
    var host: String
    var port: UInt16
    /// The request-target: path and query, "/" when the URL has none.
    var target: String

    enum ParseError: Error, CustomStringConvertible {
        case invalid(String, reason: String)
        var description: String {
            switch self {
            case .invalid(let url, let reason): "invalid URL \(url): \(reason)"
            }
        }
    }

    init(_ text: String) throws(ParseError) {
        let scheme = "http://"
        guard text.hasPrefix(scheme) else { throw .invalid(text, reason: "expected http://host:port/path") }
        let rest = text.dropFirst(scheme.count)
        let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<slash]
        var target = String(rest[slash...])
        if target.isEmpty { target = "/" } else if target.first == "?" { target = "/" + target }
        let hostPart: Substring
        var port: UInt16 = 80
        // "[::1]:8080", "127.0.0.1:8080", "localhost"
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            guard let parsed = UInt16(authority[authority.index(after: colon)...]), parsed > 0 else {
                throw .invalid(text, reason: "bad port")
            }
            port = parsed
            hostPart = authority[..<colon]
        } else {
            hostPart = authority
        }
        guard !hostPart.isEmpty else { throw .invalid(text, reason: "no host") }
        host = String(hostPart)
        self.port = port
        self.target = target
    }

    /// The Host header's value.
    var authority: String { port == 80 ? host : "\(host):\(port)" }

    var description: String { "http://\(authority)\(target)" }

    /// Resolves the host once, before the loop runs.
    func resolve() throws(LibeventError) -> SocketAddress {
        try SocketAddress.resolve(host: host, port: port)
    }
}

extension BenchURL: ExpressibleByArgument {
    init?(argument: String) {
        guard let url = try? BenchURL(argument) else { return nil }
        self = url
    }
}
