import Testing
@testable import HeraldConfig

@Suite struct TrustedProxiesTests {
    let proxies = try! TrustedProxies(parsing: ["10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "::1"])

    @Test(arguments: ["10.0.0.1", "10.255.255.255", "192.168.1.7", "2001:db8::5", "::1", "::ffff:10.1.2.3"])
    func addressesInARangeAreTrusted(host: String) {
        #expect(proxies.contains(host))
    }

    @Test(arguments: ["11.0.0.1", "192.168.1.8", "2001:db9::1", "::2", "", "not an address", "10.0.0.1:80", "[::1]"])
    func otherAddressesAndNonAddressesAreNot(host: String) {
        #expect(!proxies.contains(host))
    }

    @Test func anEmptyListTrustsNobody() {
        #expect(!TrustedProxies().contains("127.0.0.1"))
        #expect(TrustedProxies().clientAddress(peer: "10.0.0.1", forwardedFor: { ["6.6.6.6"] }) == "10.0.0.1")
    }

    @Test func slashZeroTrustsEveryAddressOfItsFamily() throws {
        let all = try TrustedProxies(parsing: ["0.0.0.0/0"])
        #expect(all.contains("203.0.113.9"))
        #expect(!all.contains("2001:db8::1"))
        #expect(try TrustedProxies(parsing: ["::/0"]).contains("2001:db8::1"))
    }

    @Test(arguments: ["10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "2001:db8::/129", "10.0.0", "example.com", "10.0.0.0/8/8"])
    func malformedEntriesAreRefusedByPosition(entry: String) {
        #expect(throws: ConfigValueError.self) { try TrustedProxies(parsing: ["::1", entry]) }
        do {
            _ = try TrustedProxies(parsing: ["::1", entry])
        } catch {
            #expect(error.expected.hasSuffix("at entry 2"))
        }
    }

    @Test func anUntrustedPeerIsTheClientWhateverItForwards() {
        var asked = false
        #expect(proxies.clientAddress(peer: "203.0.113.9", forwardedFor: { asked = true; return ["1.1.1.1"] }) == "203.0.113.9")
        #expect(!asked)
    }

    @Test func theRightMostUntrustedEntryIsTheClient() {
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: { ["6.6.6.6, 198.51.100.4, 10.1.1.1"] }) == "198.51.100.4")
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: { ["6.6.6.6", "198.51.100.4 ,10.1.1.1"] }) == "198.51.100.4")
        #expect(proxies.clientAddress(peer: "::1", forwardedFor: { ["2001:db9::7"] }) == "2001:db9::7")
    }

    @Test func theClientTakenFromForwardedForIsWrittenInCanonicalForm() {
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: { ["2001:DB8:0:0::7"] }) == "2001:db8::7")
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: { [" ::ffff:198.51.100.4 "] }) == "198.51.100.4")
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: { ["2001:db9::1:0:0:1"] }) == "2001:db9::1:0:0:1")
    }

    @Test func allTrustedGivesTheLeftMost() {
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: { ["10.9.9.9, 192.168.1.7"] }) == "10.9.9.9")
    }

    @Test func noForwardedForLeavesThePeer() {
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: { [] }) == "10.0.0.2")
    }

    @Test func anEntryThatIsNoAddressStopsAtTheLastTrustedOne() {
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: { ["1.2.3.4, garbage, 10.3.3.3"] }) == "10.3.3.3")
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: { ["unknown"] }) == "10.0.0.2")
    }

    @Test func theFileListIsReadAndABadEntryReportedInTheHouseFormat() throws {
        let settings = try ConfigLoader.parse("""
            [server]
            trusted_proxies = ["10.0.0.0/8", "::1"]
            proxy_protocol = true
            """, fileName: "proxy.conf")
        #expect(settings.server.trustedProxies.ranges.map(\.description) == ["10.0.0.0/8", "::1"])
        #expect(settings.server.proxyProtocol)
        let problems = ConfigLoader.problems(in: """
            [server]
            trusted_proxies = ["10.0.0.0/8", "10.0.0.0/40"]
            """)
        #expect(problems == ["proxy.conf: [server] trusted_proxies: expected \(TrustedProxies.expectedForm) at entry 2, got \"10.0.0.0/40\""])
        #expect(ConfigLoader.problems(in: "[server]\ntrusted_proxies = \"10.0.0.1\"").count == 1)
    }
}
