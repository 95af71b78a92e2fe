// The PROXY protocol (HAProxy's spec, versions 1 and 2): the header a load balancer (HAProxy, AWS
// NLB, nginx's `proxy_protocol on`) writes first on each connection it opens, naming the client it
// accepted. Parsing is pure: the caller offers the bytes read so far and hears "need more", a
// header and its length, or an error; the connection is closed on an error.
//
// v1:  "PROXY TCP4 <src> <dst> <sport> <dport>\r\n" (TCP6 alike; "PROXY UNKNOWN …\r\n"), ≤ 107 bytes.
// v2:  12-byte signature, version/command, family/transport, 2-byte length, addresses, TLVs.

import Glibc

/// A PROXY protocol header, v1 or v2, as read from the start of a connection.
public struct ProxyProtocolHeader: Sendable, Equatable {
    /// The client the balancer accepted, as text (`"203.0.113.7"`, `"2001:db8::1"`); nil when the
    /// header names none (v1 UNKNOWN, v2 LOCAL such as a health check, or a family other than
    /// TCP/UDP over IPv4 or IPv6): the connection's own peer stands.
    public var sourceAddress: String?
    /// The client's port (nil with `sourceAddress`).
    public var sourcePort: UInt16?
    /// 1 or 2.
    public var version: Int
    /// The header's length in bytes, TLVs included: what to drain before the request begins.
    public var length: Int

    public init(sourceAddress: String?, sourcePort: UInt16?, version: Int, length: Int) {
        self.sourceAddress = sourceAddress
        self.sourcePort = sourcePort
        self.version = version
        self.length = length
    }

    /// The longest v1 header, CRLF included (the spec's bound).
    public static let maxV1Length = 107
    /// v2's fixed part: the signature, version/command, family, length.
    static let v2FixedLength = 16
    static let v1Prefix: [UInt8] = Array("PROXY ".utf8)
    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// Parses the header at the start of `bytes`: nil while more bytes are needed to tell.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(ProxyProtocolError) -> ProxyProtocolHeader? {
        guard let first = bytes.first else { return nil }
        if first == v2Signature[0] {
            return try parseV2(bytes)
        } else if first == v1Prefix[0] {
            return try parseV1(bytes)
        }
        throw ProxyProtocolError("the connection does not start with a PROXY protocol header")
    }

    /// `[UInt8]` convenience for tests and callers holding an array.
    public static func parse(_ bytes: [UInt8]) throws(ProxyProtocolError) -> ProxyProtocolHeader? {
        let result = bytes.withUnsafeBytes { buffer in Result { () throws(ProxyProtocolError) in try parse(buffer) } }
        return try result.get()
    }

    // MARK: v1

    private static func parseV1(_ bytes: UnsafeRawBufferPointer) throws(ProxyProtocolError) -> ProxyProtocolHeader? {
        let prefixCount = min(bytes.count, v1Prefix.count)
        guard bytes.prefix(prefixCount).elementsEqual(v1Prefix.prefix(prefixCount)) else {
            throw ProxyProtocolError("the connection does not start with a PROXY protocol header")
        }
        let window = bytes.prefix(maxV1Length)
        guard let lf = window.firstIndex(of: 0x0A) else {
            if bytes.count >= maxV1Length { throw ProxyProtocolError("PROXY v1 header longer than \(maxV1Length) bytes") }
            return nil
        }
        guard lf > 0, bytes[lf - 1] == 0x0D else { throw ProxyProtocolError("PROXY v1 header not ended by CRLF") }
        let line = bytes[v1Prefix.count..<(lf - 1)]
        let words = line.split(separator: 0x20, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let length = lf + 1
        if words.first == "UNKNOWN" {
            return ProxyProtocolHeader(sourceAddress: nil, sourcePort: nil, version: 1, length: length)
        }
        guard words.count == 5, words[0] == "TCP4" || words[0] == "TCP6" else {
            throw ProxyProtocolError("PROXY v1 header is not \"TCP4|TCP6 <src> <dst> <sport> <dport>\" or UNKNOWN")
        }
        let family = words[0] == "TCP4" ? AF_INET : AF_INET6
        guard let source = canonical(words[1], family: family), canonical(words[2], family: family) != nil else {
            throw ProxyProtocolError("PROXY v1 header has an address that is not \(words[0] == "TCP4" ? "IPv4" : "IPv6")")
        }
        guard let sourcePort = port(words[3]), port(words[4]) != nil else {
            throw ProxyProtocolError("PROXY v1 header has a port that is not 0–65535")
        }
        return ProxyProtocolHeader(sourceAddress: source, sourcePort: sourcePort, version: 1, length: length)
    }

    /// A decimal port without leading zeros (the spec forbids them), 0–65535.
    private static func port(_ text: String) -> UInt16? {
        guard !text.isEmpty, text.count <= 5, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              text == "0" || !text.hasPrefix("0") else { return nil }
        return UInt16(text)
    }

    /// `text` as an address of `family`, written back in its canonical form; nil when it is none.
    private static func canonical(_ text: String, family: Int32) -> String? {
        var storage = in6_addr()
        guard inet_pton(family, text, &storage) == 1 else { return nil }
        return withUnsafeBytes(of: &storage) { presentation(UnsafeRawBufferPointer(rebasing: $0.prefix(family == AF_INET ? 4 : 16)), family: family) }
    }

    /// `inet_ntop` of 4 or 16 address bytes.
    private static func presentation(_ address: UnsafeRawBufferPointer, family: Int32) -> String {
        var storage = in6_addr()
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: address) }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        // SAFETY: `storage` holds the address (4 or 16 bytes) and `text` INET6_ADDRSTRLEN characters.
        _ = inet_ntop(family, &storage, &text, socklen_t(text.count))
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: v2

    private static func parseV2(_ bytes: UnsafeRawBufferPointer) throws(ProxyProtocolError) -> ProxyProtocolHeader? {
        let signatureCount = min(bytes.count, v2Signature.count)
        guard bytes.prefix(signatureCount).elementsEqual(v2Signature.prefix(signatureCount)) else {
            throw ProxyProtocolError("the connection does not start with a PROXY protocol header")
        }
        guard bytes.count >= v2FixedLength else { return nil }
        let versionCommand = bytes[12]
        guard versionCommand >> 4 == 2 else { throw ProxyProtocolError("PROXY v2 header of version \(versionCommand >> 4)") }
        let command = versionCommand & 0x0F
        guard command <= 1 else { throw ProxyProtocolError("PROXY v2 header with command \(command)") }
        let family = bytes[13] >> 4
        let addressLength = Int(bytes[14]) << 8 | Int(bytes[15])
        let length = v2FixedLength + addressLength
        guard bytes.count >= length else { return nil }
        // LOCAL: the balancer speaking for itself (a health check); its own address stands.
        guard command == 1 else { return ProxyProtocolHeader(sourceAddress: nil, sourcePort: nil, version: 2, length: length) }
        let block = UnsafeRawBufferPointer(rebasing: bytes[v2FixedLength..<length])
        switch family {
        case 1:
            guard block.count >= 12 else { throw ProxyProtocolError("PROXY v2 IPv4 header shorter than its addresses") }
            return ProxyProtocolHeader(sourceAddress: presentation(UnsafeRawBufferPointer(rebasing: block[0..<4]), family: AF_INET),
                                       sourcePort: UInt16(block[8]) << 8 | UInt16(block[9]), version: 2, length: length)
        case 2:
            guard block.count >= 36 else { throw ProxyProtocolError("PROXY v2 IPv6 header shorter than its addresses") }
            return ProxyProtocolHeader(sourceAddress: presentation(UnsafeRawBufferPointer(rebasing: block[0..<16]), family: AF_INET6),
                                       sourcePort: UInt16(block[32]) << 8 | UInt16(block[33]), version: 2, length: length)
        case 0, 3:
            // UNSPEC or a Unix socket: no IP client to name; the TLVs that follow are skipped.
            return ProxyProtocolHeader(sourceAddress: nil, sourcePort: nil, version: 2, length: length)
        default:
            throw ProxyProtocolError("PROXY v2 header of address family \(family)")
        }
    }
}

/// Why a connection's PROXY protocol header was refused (it is closed).
public struct ProxyProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
