import Testing
@testable import HeraldConfig

@Suite struct OriginListTests {
    @Test(arguments: [
        ("https://App.Example.com", "https://app.example.com"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
        ("http://a.example:80", "http://a.example"),
        ("https://a.example:443", "https://a.example"),
        ("https://a.example:80", "https://a.example:80"),
        ("http://[::1]:9000", "http://[::1]:9000"),
        ("http://[::1]", "http://[::1]"),
    ])
    func entriesAreKeptAsBrowsersSerializeTheOriginHeader(entry: String, serialized: String) throws {
        #expect(try OriginList.serialize(entry) == serialized)
    }

    @Test func theFileListIsReadWithTheWildcardApart() throws {
        let settings = try ConfigLoader.parse("""
            [events]
            allow_origins = ["https://a.example", "http://localhost:3000", "*"]
            """, fileName: "proxy.conf")
        #expect(settings.events.allowOrigins == OriginList(origins: ["https://a.example", "http://localhost:3000"], allowsAny: true))
    }
}
