/// `events.allow_origins`: the web origins whose pages may open event streams cross-origin, with
/// the user's cookies (`new EventSource(url, {withCredentials: true})`). Proxy's `EventsGate`
/// matches requests against it.
///
/// Origins are kept as browsers serialize them in the `Origin` header (`scheme://host[:port]`,
/// lowercase, no default port, no path), so a request's header is matched byte for byte.
public struct OriginList: Sendable, Equatable {
    /// The listed origins, serialized as a browser sends them.
    public var origins: Set<String>
    /// `"*"` was listed: every origin may read the streams (each is answered with its own name,
    /// since a wildcard answer cannot carry credentials).
    public var allowsAny: Bool

    public init(origins: Set<String> = [], allowsAny: Bool = false) {
        self.origins = origins
        self.allowsAny = allowsAny
    }

    /// What `serialize` accepts, as shown in messages.
    static let expectedForm = #"an origin such as "https://app.example.com" or "http://127.0.0.1:3000", or "*""#

    /// One entry in a browser's serialization: the scheme and host lowercased, the scheme's
    /// default port dropped. A path (even `/`), query, fragment or user info is refused: an
    /// `Origin` header never has one, so such an entry could never match.
    static func serialize(_ text: String) throws(ConfigValueError) -> String {
        func failure(_ detail: String = "") -> ConfigValueError {
            ConfigValueError(expected: expectedForm + detail, got: ConfigValueError.quoted(text))
        }
        let lower = text.lowercased()
        let defaultPort: UInt16
        let scheme: String
        if lower.hasPrefix("http://") {
            (scheme, defaultPort) = ("http://", 80)
        } else if lower.hasPrefix("https://") {
            (scheme, defaultPort) = ("https://", 443)
        } else {
            throw failure(" (scheme http or https)")
        }
        let authority = lower.dropFirst(scheme.count)
        if authority.contains(where: { "/?#".contains($0) }) { throw failure(" with no path, not even a trailing \"/\"") }
        if authority.contains("@") { throw failure(" with no user info") }
        // The host rules are the upstream URL's; only the scheme and the default port differ.
        guard !authority.isEmpty, let url = try? UpstreamURL(parsing: "http://" + authority) else { throw failure() }
        let portGiven = authority.hasPrefix("[") ? authority.contains("]:") : authority.contains(":")
        let host = url.host.contains(":") ? "[\(url.host)]" : url.host
        return scheme + host + (portGiven && url.port != defaultPort ? ":\(url.port)" : "")
    }
}
