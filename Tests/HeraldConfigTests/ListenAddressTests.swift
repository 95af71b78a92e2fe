import Testing
@testable import HeraldConfig

@Suite struct ListenAddressTests {
    @Test(arguments: [
        ("0.0.0.0:8080", "0.0.0.0", UInt16(8080), "0.0.0.0:8080"),
        ("127.0.0.1:0", "127.0.0.1", 0, "127.0.0.1:0"),
        ("localhost:65535", "localhost", 65535, "localhost:65535"),
        ("LocalHost:80", "localhost", 80, "localhost:80"),
        ("[::1]:8080", "::1", 8080, "[::1]:8080"),
        ("[::]:8081", "::", 8081, "[::]:8081"),
    ])
    func aHostAndPortParse(text: String, host: String, port: UInt16, description: String) throws {
        let address = try ListenAddress(parsing: text)
        #expect(address == ListenAddress(host: host, port: port))
        #expect(address.description == description)
    }

    @Test(arguments: ["abc", "8080", "", "[::1]8080", "[::1"])
    func textWithoutHostColonPortIsRefused(text: String) {
        #expect(throws: ConfigValueError(expected: #""host:port""#, got: ConfigValueError.quoted(text))) {
            try ListenAddress(parsing: text)
        }
    }

    @Test(arguments: [":8080", "example.com:80", "01.2.3.4:80", "1.2.3:80", "256.0.0.1:80"])
    func aHostThatIsNotAnAddressOrLocalhostIsRefused(text: String) throws {
        let error = try #require(throws: ConfigValueError.self) { try ListenAddress(parsing: text) }
        #expect(error.expected == #""host:port" with host an IPv4 address, "localhost" or a bracketed IPv6 address"#)
    }

    @Test(arguments: ["1.2.3.4:65536", "1.2.3.4:", "1.2.3.4:-1", "1.2.3.4:+80", "1.2.3.4:http", "[::1]:123456"])
    func aPortOutsideZeroTo65535IsRefused(text: String) throws {
        let error = try #require(throws: ConfigValueError.self) { try ListenAddress(parsing: text) }
        #expect(error.expected == #""host:port" with a port from 0 to 65535"#)
    }

    @Test func anUnbracketedIPv6HostIsRefusedWithTheBracketedForm() throws {
        let error = try #require(throws: ConfigValueError.self) { try ListenAddress(parsing: "::1:8080") }
        #expect(error.description == #"expected "host:port" with an IPv6 host in brackets, such as "[::1]:8080", got "::1:8080""#)
    }

    @Test(arguments: ["[zz]:80", "[127.0.0.1]:80", "[]:80"])
    func aBracketedHostMustBeIPv6(text: String) throws {
        let error = try #require(throws: ConfigValueError.self) { try ListenAddress(parsing: text) }
        #expect(error.expected == #""host:port" with a valid IPv6 address in brackets"#)
    }

    @Test(arguments: [("127.0.0.1", true), ("127.255.0.9", true), ("localhost", true), ("::1", true),
                      ("::ffff:127.0.0.1", true), ("0.0.0.0", false), ("10.0.0.1", false), ("::", false),
                      ("128.0.0.1", false), ("::2", false)])
    func loopbackMeansOnlyThisMachineCanConnect(host: String, loopback: Bool) {
        #expect(ListenAddress(host: host, port: 80).isLoopback == loopback)
    }

    @Test(arguments: [
        ("127.0.0.1:8080", "127.0.0.1:8080", true), ("0.0.0.0:8080", "127.0.0.1:8080", true),
        ("127.0.0.1:8080", "[::]:8080", true), ("localhost:8080", "127.0.0.1:8080", true),
        ("localhost:8080", "[::1]:8080", true), ("127.0.0.1:8080", "127.0.0.1:8081", false),
        ("127.0.0.1:8080", "10.0.0.1:8080", false), ("127.0.0.1:0", "127.0.0.1:0", false),
        ("0.0.0.0:0", "0.0.0.0:0", false), ("localhost:8080", "10.0.0.1:8080", false),
    ])
    func listenersOverlapWhenTheyWouldClaimTheSamePort(a: String, b: String, overlap: Bool) throws {
        let (first, second) = (try ListenAddress(parsing: a), try ListenAddress(parsing: b))
        #expect(first.overlaps(second) == overlap)
        #expect(second.overlaps(first) == overlap)
    }

    @Test func initDropsBracketsAroundAnIPv6Host() {
        #expect(ListenAddress(host: "[::1]", port: 1).host == "::1")
    }
}
