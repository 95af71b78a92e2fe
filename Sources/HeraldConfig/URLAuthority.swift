/// The `host[:port]` of a URL Herald connects to (`UpstreamURL`, `RedisURL`), read by one rule, so
/// every URL in proxy.conf takes the same hosts: a DNS name, a dotted-decimal IPv4 address, or an
/// IPv6 address in brackets.
struct URLAuthority: Equatable {
    /// A name or an address, without brackets (as `getaddrinfo` takes it).
    var host: String
    /// Nil when the authority has no `:port`; the URL's scheme then picks one.
    var port: UInt16?

    /// Why an authority was refused: `detail` is appended to the URL's expected form.
    struct Problem: Error, Equatable {
        var detail: String

        static let malformed = Problem(detail: "")
        static let badIPv6 = Problem(detail: " with a valid IPv6 address in brackets")
        static let badHost = Problem(detail: " with host a name, an IPv4 address or a bracketed IPv6 address")
        static let badPort = Problem(detail: " with a port from 1 to 65535")
    }

    /// Parses `host`, `host:port`, `[v6]` or `[v6]:port`; the host is checked before the port.
    init(parsing authority: Substring) throws(Problem) {
        let host: Substring
        let port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .malformed }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let afterHost = authority[authority.index(after: close)...]
            guard afterHost.isEmpty || afterHost.hasPrefix(":") else { throw .malformed }
            port = afterHost.isEmpty ? nil : afterHost.dropFirst()
            guard IPAddress(String(host))?.isIPv6 == true else { throw .badIPv6 }
        } else {
            let colon = authority.lastIndex(of: ":")
            host = colon.map { authority[..<$0] } ?? authority
            port = colon.map { authority[authority.index(after: $0)...] }
            guard Self.isNameOrIPv4(host) else { throw .badHost }
        }
        self.host = String(host)
        if let port {
            guard let number = ListenAddress.port(port), number > 0 else { throw .badPort }
            self.port = number
        } else {
            self.port = nil
        }
    }

    /// `host:port`, with brackets around an IPv6 host.
    static func text(host: String, port: UInt16) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

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
