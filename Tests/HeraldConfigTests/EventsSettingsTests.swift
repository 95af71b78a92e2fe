import Testing
@testable import HeraldConfig

@Suite struct EventsSettingsTests {
    /// The settings proxy.conf gives with only `[events] key = toml`.
    static func events(_ key: String, _ toml: String) throws -> EventsSettings {
        try ConfigLoader.parse("[events]\n\(key) = \(toml)\n", fileName: "proxy.conf").events
    }

    @Test(arguments: ["/events", "/sse", "/api/v1/stream", "/Events.v2", "/a-b_c~d", "/%65vents"])
    func aPathStartingWithASlashIsAccepted(path: String) throws {
        #expect(try Self.events("path", "'\(path)'").path == path)
    }

    @Test(arguments: [
        ("", #"starting with "/""#),
        ("events/", #"starting with "/""#),
        ("http://host/events", #"starting with "/""#),
        ("/events?channel=a", "with no query or fragment"),
        ("/events#top", "with no query or fragment"),
        ("/my events", "of visible ASCII characters without spaces"),
        ("/\u{E9}v\u{E9}nements", "of visible ASCII characters without spaces"),
        ("/", #"other than "/", which would leave nothing for the upstream"#),
        ("/events/", #"without a trailing "/" (a channel follows as "/<channel>")"#),
    ])
    func aPathThatCouldNeverMatchAsAPrefixIsRefusedSayingWhy(path: String, detail: String) {
        let got = ConfigValueError.quoted(path)
        #expect(ConfigLoader.problems(in: "[events]\npath = '\(path)'\n")
            == [#"proxy.conf: [events] path: expected a path such as "/events" \#(detail), got \#(got)"#])
    }

    @Test func aResetEventOfSixtyFourBytesIsAcceptedAndOneByteMoreIsNot() throws {
        let longest = String(repeating: "é", count: 32)
        #expect(try Self.events("reset_event", "'\(longest)'").resetEvent == longest)
        #expect(ConfigLoader.problems(in: "[events]\nreset_event = '\(longest)x'\n")
            == ["proxy.conf: [events] reset_event: expected an event type of 1 to 64 bytes, got 65 bytes"])
    }

    @Test(arguments: [(#""a\rb""#, #""a\rb""#), (#""a\r\nb""#, #""a\r\nb""#), ("\"\"\"\nline\nbreak\"\"\"", #""line\nbreak""#)])
    func aResetEventThatWouldBreakTheEventLineIsRefused(toml: String, got: String) {
        #expect(ConfigLoader.problems(in: "[events]\nreset_event = \(toml)\n")
            == ["proxy.conf: [events] reset_event: expected an event type without CR, LF or NUL, got \(got)"])
    }

    @Test(arguments: [(Duration.zero, 0), (.seconds(3), 3000), (.milliseconds(1500), 1500),
                      (.seconds(3600), 3_600_000), (.microseconds(2999), 2)])
    func retryMillisecondsIsTheRetryInWholeMilliseconds(retry: Duration, milliseconds: Int) {
        var settings = EventsSettings()
        settings.retry = retry
        #expect(settings.retryMilliseconds == milliseconds)
    }
}
