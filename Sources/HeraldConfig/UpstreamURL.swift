/// Where the upstream app listens: `"http://host:port"` (port 80 when left out). Plain HTTP only,
/// with no path (each request-target is forwarded as received), query, fragment or user info.
///
/// `host` is kept without brackets, as `getaddrinfo` takes it; `authority` puts them back.
public struct UpstreamURL: Sendable, Equatable, CustomStringConvertible {
    /// A host name, an IPv4 address or an IPv6 address (without brackets).
    public var host: String
    /// The port, 1–65535.
    public var port: UInt16

    /// Takes `host` as given, without checking it; surrounding brackets are dropped.
    public init(host: String, port: UInt16) {
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = port
    }

    /// What `init(parsing:)` accepts, as shown in messages.
    static let expectedForm = #""http://host:port""#

    /// Parses `"http://host:port"` (a trailing `/` is allowed); an error says what was expected.
    public init(parsing text: String) throws(ConfigValueError) {
        func failure(_ detail: String = "") -> ConfigValueError {
            ConfigValueError(expected: Self.expectedForm + detail, got: ConfigValueError.quoted(text))
        }
        let scheme = "http://"
        guard text.lowercased().hasPrefix(scheme) else {
            throw text.lowercased().hasPrefix("https://")
                ? failure(" (plain HTTP: Herald does not connect to the upstream over TLS)") : failure()
        }
        let afterScheme = text.dropFirst(scheme.count)
        let authority = afterScheme.prefix { !"/?#".contains($0) }
        let rest = afterScheme.dropFirst(authority.count)
        if rest.contains("?") || rest.contains("#") { throw failure(" with no query or fragment") }
        guard rest.isEmpty || rest == "/" else {
            throw failure(" with no path (each request is forwarded with its own path)")
        }
        if authority.contains("@") { throw failure(" with no user info") }

        let parsed: URLAuthority
        do throws(URLAuthority.Problem) {
            parsed = try URLAuthority(parsing: authority)
        } catch {
            throw failure(error.detail)
        }
        self.init(host: parsed.host, port: parsed.port ?? 80)
    }

    /// `host:port`, with brackets around an IPv6 host: what a `Host` header or a log line shows.
    public var authority: String { URLAuthority.text(host: host, port: port) }

    /// `http://host:port`.
    public var description: String { "http://\(authority)" }
}
