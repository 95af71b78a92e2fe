/// An address a listener binds: `"host:port"`, with host an IPv4 address, `"localhost"`, or a
/// bracketed IPv6 address (`"[::1]:8080"`); port 0–65535, where 0 asks for any free port.
///
/// `host` is kept without brackets, as `getaddrinfo` takes it; `description` puts them back.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// An IPv4 address, `"localhost"` or an IPv6 address (without brackets).
    public var host: String
    /// The port; 0 = any free port (the bound port is logged).
    public var port: UInt16

    /// Takes `host` as given, without checking it; surrounding brackets are dropped.
    public init(host: String, port: UInt16) {
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = port
    }

    /// What `init(parsing:)` accepts, as shown in messages.
    static let expectedForm = #""host:port""#

    /// Parses `"host:port"`; an error says what was expected and repeats what was given.
    public init(parsing text: String) throws(ConfigValueError) {
        let got = ConfigValueError.quoted(text)
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[close...].hasPrefix("]:") else {
                throw ConfigValueError(expected: Self.expectedForm, got: got)
            }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
            guard let address = IPAddress(String(host)), address.isIPv6 else {
                throw ConfigValueError(expected: "\(Self.expectedForm) with a valid IPv6 address in brackets", got: got)
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ConfigValueError(expected: Self.expectedForm, got: got)
            }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            if host.contains(":") {
                throw ConfigValueError(expected: #"\#(Self.expectedForm) with an IPv6 host in brackets, such as "[::1]:8080""#, got: got)
            }
            let isIPv4 = IPAddress(String(host)).map { !$0.isIPv6 } ?? false
            guard isIPv4 || host.lowercased() == "localhost" else {
                throw ConfigValueError(
                    expected: #"\#(Self.expectedForm) with host an IPv4 address, "localhost" or a bracketed IPv6 address"#,
                    got: got)
            }
        }
        guard let number = Self.port(port) else {
            throw ConfigValueError(expected: "\(Self.expectedForm) with a port from 0 to 65535", got: got)
        }
        self.init(host: host.lowercased() == "localhost" ? "localhost" : String(host), port: number)
    }

    /// `"host:port"`, with brackets around an IPv6 host.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// True for 127.0.0.0/8, ::1 and `localhost`: only this machine can connect.
    public var isLoopback: Bool {
        host == "localhost" || (IPAddress(host)?.isLoopback ?? false)
    }

    /// 1–5 decimal digits naming a port number.
    static func port(_ digits: Substring) -> UInt16? {
        guard (1...5).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt16(digits)
    }
}

extension ListenAddress {
    /// True when two listeners would claim the same socket: the same port (other than 0, which
    /// picks a free one) on the same host, on a wildcard host, or `localhost` beside a loopback
    /// address. Listeners bind with SO_REUSEPORT, so such a pair would not fail: the kernel would
    /// share connections between them.
    func overlaps(_ other: ListenAddress) -> Bool {
        guard port != 0, port == other.port else { return false }
        if host == other.host { return true }
        let mine = IPAddress(host)
        let theirs = IPAddress(other.host)
        if mine?.isUnspecified == true || theirs?.isUnspecified == true { return true }
        if host == "localhost" { return theirs?.isLoopback ?? false }
        if other.host == "localhost" { return mine?.isLoopback ?? false }
        return mine != nil && mine == theirs
    }
}
