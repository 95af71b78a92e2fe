import Glibc

/// `server.trusted_proxies`: the peers (load balancers, CDNs, another proxy) whose X-Forwarded-*
/// fields Herald believes, and the rule that finds the client behind them.
///
/// The client is the right-most X-Forwarded-For entry that is not trusted, as nginx's
/// `real_ip_recursive on` finds it: every trusted hop appended the address it saw, so the first
/// untrusted one from the right is the last address nobody could forge. Matching parses with
/// `inet_pton` into a stack value and compares 128 bits under a mask: no allocation, so the common
/// case (no list, or an untrusted peer) costs a parse at most.
public struct TrustedProxies: Sendable, Equatable {
    /// The ranges, IPv4 ones held as IPv4-mapped IPv6 (::ffff:a.b.c.d/96+n) so that one compare
    /// covers both families and a dual-stack socket's mapped peers.
    public private(set) var ranges: [AddressRange] = []

    public init() {}

    /// Parses each entry (`"10.0.0.1"`, `"10.0.0.0/8"`, `"2001:db8::/32"`, `"::1"`).
    public init(parsing entries: [String]) throws(ConfigValueError) {
        for (index, entry) in entries.enumerated() {
            guard let range = AddressRange(entry) else {
                throw ConfigValueError(expected: "\(Self.expectedForm) at entry \(index + 1)", got: ConfigValueError.quoted(entry))
            }
            ranges.append(range)
        }
    }

    static let expectedForm = "an IP address or CIDR range such as \"10.0.0.0/8\" or \"2001:db8::/32\""

    public var isEmpty: Bool { ranges.isEmpty }

    /// Whether `host` (a numeric address, without brackets or port) is in one of the ranges.
    public func contains(_ host: String) -> Bool {
        guard !ranges.isEmpty, let address = Address128(host) else { return false }
        return contains(address)
    }

    func contains(_ address: Address128) -> Bool {
        ranges.contains { $0.contains(address) }
    }

    /// The client's address for a connection from `peer` whose request carried `forwardedFor`
    /// (the X-Forwarded-For values in order, asked for only when `peer` is trusted). Walking from
    /// the right, the first entry not trusted is the client; an entry that is no address ends the
    /// walk at the last trusted one (nginx does the same); all trusted → the left-most. An entry
    /// that becomes the client is written in canonical form (`2001:DB8:0::1` → `2001:db8::1`,
    /// `::ffff:192.0.2.1` → `192.0.2.1`), so that one client is one key of the per-IP limit.
    public func clientAddress(peer: String, forwardedFor: () -> [String]) -> String {
        guard contains(peer) else { return peer }
        var client: Address128?
        for value in forwardedFor().reversed() {
            for element in value.split(separator: ",", omittingEmptySubsequences: true).reversed() {
                let entry = String(element.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
                if entry.isEmpty { continue }
                guard let address = Address128(entry) else { return client?.presentation ?? peer }
                client = address
                if !contains(address) { return address.presentation }
            }
        }
        return client?.presentation ?? peer
    }
}

/// One entry of `server.trusted_proxies`: an address and a prefix length over 128 bits.
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    let network: Address128
    let mask: Address128
    /// The entry as written, for messages.
    public let description: String

    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = Address128(String(parts[0])) else { return nil }
        let width = address.isMappedIPv4 && !parts[0].contains(":") ? 32 : 128
        var prefix = width
        if parts.count == 2 {
            guard let bits = Int(parts[1]), (0...width).contains(bits), parts[1].allSatisfy(\.isASCII) else { return nil }
            prefix = bits
        }
        let bits = prefix + (128 - width)
        mask = Address128(prefixLength: bits)
        network = address.masked(by: mask)
        description = text
    }

    func contains(_ address: Address128) -> Bool {
        address.masked(by: mask) == network
    }
}

/// An IP address as 128 bits in two words, IPv4 as IPv4-mapped IPv6.
struct Address128: Equatable, Sendable {
    var high: UInt64
    var low: UInt64

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A numeric IPv4 or IPv6 address, parsed as the socket layer parses it (`inet_pton`).
    init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(high: 0, low: 0xFFFF_0000_0000 | UInt64(UInt32(bigEndian: v4.s_addr)))
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let (high, low) = withUnsafeBytes(of: &v6) { raw in
            raw.enumerated().reduce(into: (UInt64(0), UInt64(0))) { words, byte in
                if byte.offset < 8 { words.0 = words.0 << 8 | UInt64(byte.element) } else { words.1 = words.1 << 8 | UInt64(byte.element) }
            }
        }
        self.init(high: high, low: low)
    }

    /// The mask of the first `bits` bits.
    init(prefixLength bits: Int) {
        high = bits >= 64 ? ~0 : (bits == 0 ? 0 : ~0 << (64 - bits))
        low = bits <= 64 ? 0 : (bits == 128 ? ~0 : ~0 << (128 - bits))
    }

    var isMappedIPv4: Bool { high == 0 && low >> 32 == 0xFFFF }

    /// The address as `inet_ntop` writes it; an IPv4-mapped one as plain IPv4.
    var presentation: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if isMappedIPv4 {
            var v4 = in_addr(s_addr: UInt32(truncatingIfNeeded: low).bigEndian)
            // SAFETY: `v4` is an in_addr and `text` holds INET6_ADDRSTRLEN characters.
            _ = inet_ntop(AF_INET, &v4, &text, socklen_t(text.count))
        } else {
            var v6 = in6_addr()
            withUnsafeMutableBytes(of: &v6) { raw in
                for index in 0..<16 {
                    let word = index < 8 ? high : low
                    raw[index] = UInt8(truncatingIfNeeded: word >> (56 - 8 * UInt64(index % 8)))
                }
            }
            // SAFETY: `v6` is an in6_addr and `text` holds INET6_ADDRSTRLEN characters.
            _ = inet_ntop(AF_INET6, &v6, &text, socklen_t(text.count))
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func masked(by mask: Address128) -> Address128 {
        Address128(high: high & mask.high, low: low & mask.low)
    }
}
