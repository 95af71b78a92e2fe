import Testing
@testable import Proxy

@Suite struct ProxyProtocolHeaderTests {
    private let request = Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)

    private func v2(command: UInt8 = 1, family: UInt8, addresses: [UInt8], tlvs: [UInt8] = []) -> [UInt8] {
        let block = addresses + tlvs
        return ProxyProtocolHeader.v2Signature + [0x20 | command, family, UInt8(block.count >> 8), UInt8(block.count & 0xFF)] + block
    }

    @Test func v1TCP4NamesTheClientAndLeavesTheRequestAfterIt() throws {
        let header = Array("PROXY TCP4 203.0.113.7 10.0.0.1 56324 443\r\n".utf8)
        let parsed = try #require(try ProxyProtocolHeader.parse(header + request))
        #expect(parsed == ProxyProtocolHeader(sourceAddress: "203.0.113.7", sourcePort: 56324, version: 1, length: header.count))
    }

    @Test func v1TCP6IsWrittenInCanonicalForm() throws {
        let header = Array("PROXY TCP6 2001:DB8:0:0::7 2001:db8::1 65535 80\r\n".utf8)
        let parsed = try #require(try ProxyProtocolHeader.parse(header))
        #expect(parsed.sourceAddress == "2001:db8::7")
        #expect(parsed.sourcePort == 65535)
    }

    @Test func v1UnknownNamesNoClient() throws {
        let header = Array("PROXY UNKNOWN ffff:f...f:ffff 1.2.3.4 65535 65535\r\n".utf8)
        #expect(try ProxyProtocolHeader.parse(header + request)
                == ProxyProtocolHeader(sourceAddress: nil, sourcePort: nil, version: 1, length: header.count))
        #expect(try ProxyProtocolHeader.parse(Array("PROXY UNKNOWN\r\n".utf8))?.length == 15)
    }

    @Test func v2ProxyOverIPv4() throws {
        let header = v2(family: 0x11, addresses: [203, 0, 113, 7, 10, 0, 0, 1, 0xDC, 0x04, 0x01, 0xBB])
        #expect(try ProxyProtocolHeader.parse(header + request)
                == ProxyProtocolHeader(sourceAddress: "203.0.113.7", sourcePort: 0xDC04, version: 2, length: 28))
    }

    @Test func v2ProxyOverIPv6WithTLVsSkipped() throws {
        let source: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + Array(repeating: 0, count: 11) + [9]
        let destination: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + Array(repeating: 0, count: 11) + [1]
        // PP2_TYPE_AWS (0xEA) carrying a VPC endpoint id, and a NOOP.
        let tlvs: [UInt8] = [0xEA, 0x00, 0x05, 0x01, 0x76, 0x70, 0x63, 0x65, 0x04, 0x00, 0x00]
        let header = v2(family: 0x21, addresses: source + destination + [0x30, 0x39, 0x00, 0x50], tlvs: tlvs)
        let parsed = try #require(try ProxyProtocolHeader.parse(header + request))
        #expect(parsed == ProxyProtocolHeader(sourceAddress: "2001:db8::9", sourcePort: 12345, version: 2, length: header.count))
    }

    @Test func v2LocalAndUnspecifiedOrUnixNameNoClient() throws {
        let local = v2(command: 0, family: 0x00, addresses: [])
        #expect(try ProxyProtocolHeader.parse(local) == ProxyProtocolHeader(sourceAddress: nil, sourcePort: nil, version: 2, length: 16))
        let localWithAddresses = v2(command: 0, family: 0x11, addresses: Array(repeating: 1, count: 12))
        #expect(try ProxyProtocolHeader.parse(localWithAddresses)?.sourceAddress == nil)
        let unix = v2(family: 0x31, addresses: Array(repeating: 0, count: 216))
        #expect(try ProxyProtocolHeader.parse(unix) == ProxyProtocolHeader(sourceAddress: nil, sourcePort: nil, version: 2, length: 232))
    }

    @Test func everyTruncationOfAValidHeaderNeedsMore() throws {
        let headers = [
            Array("PROXY TCP4 203.0.113.7 10.0.0.1 56324 443\r\n".utf8),
            v2(family: 0x11, addresses: [203, 0, 113, 7, 10, 0, 0, 1, 0, 1, 0, 2], tlvs: [0x04, 0x00, 0x01, 0x00]),
        ]
        for header in headers {
            for count in 0..<header.count {
                #expect(try ProxyProtocolHeader.parse(Array(header.prefix(count))) == nil, "\(count) bytes")
            }
            #expect(try ProxyProtocolHeader.parse(header)?.length == header.count)
        }
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\n",
        "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
        "PROXY TCP4 2001:db8::1 5.6.7.8 1 2\r\n",
        "PROXY TCP6 1.2.3.4 2001:db8::1 1 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n",
        "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
        "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
    ])
    func malformedV1IsAnError(text: String) {
        #expect(throws: ProxyProtocolError.self) { try ProxyProtocolHeader.parse(Array(text.utf8)) }
    }

    @Test func aV1LineWithoutCRLFWithinItsBoundIsAnError() {
        let long = Array(("PROXY UNKNOWN " + String(repeating: "x", count: 120)).utf8)
        #expect(throws: ProxyProtocolError.self) { try ProxyProtocolHeader.parse(long) }
    }

    @Test func malformedV2IsAnError() {
        var badSignature = v2(family: 0x11, addresses: Array(repeating: 0, count: 12))
        badSignature[7] = 0x52
        var version1 = v2(family: 0x11, addresses: Array(repeating: 0, count: 12))
        version1[12] = 0x11
        var command2 = v2(family: 0x11, addresses: Array(repeating: 0, count: 12))
        command2[12] = 0x22
        let shortIPv4 = v2(family: 0x11, addresses: Array(repeating: 0, count: 8))
        let shortIPv6 = v2(family: 0x21, addresses: Array(repeating: 0, count: 20))
        let family5 = v2(family: 0x51, addresses: [])
        for header in [badSignature, version1, command2, shortIPv4, shortIPv6, family5] {
            #expect(throws: ProxyProtocolError.self) { try ProxyProtocolHeader.parse(header) }
        }
    }
}
