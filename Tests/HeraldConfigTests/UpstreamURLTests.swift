import Testing
@testable import HeraldConfig

@Suite struct UpstreamURLTests {
    @Test(arguments: [
        ("http://127.0.0.1:3000", "127.0.0.1", UInt16(3000), "http://127.0.0.1:3000"),
        ("http://127.0.0.1:3000/", "127.0.0.1", 3000, "http://127.0.0.1:3000"),
        ("http://app.internal", "app.internal", 80, "http://app.internal:80"),
        ("HTTP://App-1.example.com:8080", "App-1.example.com", 8080, "http://App-1.example.com:8080"),
        ("http://[::1]:3000", "::1", 3000, "http://[::1]:3000"),
        ("http://[::1]", "::1", 80, "http://[::1]:80"),
    ])
    func anHTTPURLParses(text: String, host: String, port: UInt16, description: String) throws {
        let url = try UpstreamURL(parsing: text)
        #expect(url == UpstreamURL(host: host, port: port))
        #expect(url.description == description)
    }

    @Test func authorityBracketsAnIPv6Host() {
        #expect(UpstreamURL(host: "::1", port: 3000).authority == "[::1]:3000")
        #expect(UpstreamURL(host: "127.0.0.1", port: 3000).authority == "127.0.0.1:3000")
    }

    @Test(arguments: [
        ("127.0.0.1:3000", ""),
        ("ftp://127.0.0.1", ""),
        ("https://127.0.0.1:443", " (plain HTTP: Herald does not connect to the upstream over TLS)"),
        ("http://127.0.0.1:3000/app", " with no path (each request is forwarded with its own path)"),
        ("http://127.0.0.1:3000/?a=1", " with no query or fragment"),
        ("http://127.0.0.1#top", " with no query or fragment"),
        ("http://user:secret@127.0.0.1", " with no user info"),
        ("http://127.0.0.1:0", " with a port from 1 to 65535"),
        ("http://127.0.0.1:65536", " with a port from 1 to 65535"),
        ("http://127.0.0.1:", " with a port from 1 to 65535"),
        ("http://", " with host a name, an IPv4 address or a bracketed IPv6 address"),
        ("http://1.2.3:80", " with host a name, an IPv4 address or a bracketed IPv6 address"),
        ("http://-app:80", " with host a name, an IPv4 address or a bracketed IPv6 address"),
        ("http://my app:80", " with host a name, an IPv4 address or a bracketed IPv6 address"),
        ("http://::1:80", " with host a name, an IPv4 address or a bracketed IPv6 address"),
        ("http://[nope]:80", " with a valid IPv6 address in brackets"),
    ])
    func anythingButAPlainHTTPOriginIsRefusedSayingWhy(text: String, detail: String) {
        let expected = ConfigValueError(expected: #""http://host:port""# + detail, got: ConfigValueError.quoted(text))
        #expect(throws: expected) { try UpstreamURL(parsing: text) }
    }
}
