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

        let host: Substring
        let port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw failure() }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let afterHost = authority[authority.index(after: close)...]
            guard afterHost.isEmpty || afterHost.hasPrefix(":") else { throw failure() }
            port = afterHost.isEmpty ? nil : afterHost.dropFirst()
            guard IPAddress(String(host))?.isIPv6 == true else {
                throw failure(" with a valid IPv6 address in brackets")
            }
        } else {
            let colon = authority.lastIndex(of: ":")
            host = colon.map { authority[..<$0] } ?? authority
            port = colon.map { authority[authority.index(after: $0)...] }
            guard Self.isNameOrIPv4(host) else {
                throw failure(" with host a name, an IPv4 address or a bracketed IPv6 address")
            }
        }
        let number: UInt16
        if let port {
            guard let parsed = ListenAddress.port(port), parsed > 0 else { throw failure(" with a port from 1 to 65535") }
            number = parsed
        } else {
            number = 80
        }
        self.init(host: String(host), port: number)
    }

    /// `host:port`, with brackets around an IPv6 host: what a `Host` header or a log line shows.
    public var authority: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// `http://host:port`.
    public var description: String { "http://\(authority)" }

    /// A DNS name (labels of letters, digits and inner hyphens, at most 63 bytes each and 253 in
    /// all) or a dotted-decimal IPv4 address. An all-numeric name that is not a valid IPv4
    /// address (`"1.2.3"`) is refused: resolvers would read it as a shorthand address.
    private static func isNameOrIPv4(_ host: Substring) -> Bool {
        if let address = IPAddress(String(host)) { return !address.isIPv6 }
        guard (1...253).contains(host.utf8.count) else { return false }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        let labelsAreValid = labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
        let isNumeric = host.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
        return labelsAreValid && !isNumeric
    }
}
