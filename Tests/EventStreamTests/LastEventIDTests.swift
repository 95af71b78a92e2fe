import EventStream
import Testing

@Suite struct LastEventIDTests {
    @Test func theHeaderWinsOverTheQuery() {
        #expect(LastEventID.from(header: bytes("42"), query: "channel=a&lastEventId=7") == .id("42"))
    }

    @Test func theQueryIsUsedWhenTheHeaderIsAbsentOrEmpty() {
        #expect(LastEventID.from(header: nil, query: "channel=a&lastEventId=7") == .id("7"))
        #expect(LastEventID.from(header: [], query: "lastEventId=7") == .id("7"))
    }

    @Test func neitherOrAnEmptyValueGivesNil() {
        #expect(LastEventID.from(header: nil, query: nil) == nil)
        #expect(LastEventID.from(header: nil, query: "channel=a") == nil)
        #expect(LastEventID.from(header: [], query: "") == nil)
        #expect(LastEventID.from(header: nil, query: "lastEventId=") == nil)
        #expect(LastEventID.from(header: nil, query: "lastEventId&channel=a") == nil)
    }

    @Test func theHeaderIsReadAsUTF8BytesAsReceived() {
        #expect(LastEventID.from(header: bytes("é:1 👍🏽"), query: nil) == .id("é:1 👍🏽"))
        #expect(LastEventID.from(header: bytes("a%20b+c"), query: nil) == .id("a%20b+c"))
    }

    @Test(arguments: [([0x31, 0x0A, 0x32], "1\n2"), ([0x0D], "\r"), ([0x31, 0x00], "1\0"), ([0xFF], "\u{FFFD}"),
                      ([0xC3], "\u{FFFD}"), ([0x61, 0xC0, 0xAF], "a\u{FFFD}\u{FFFD}"), ([0xED, 0xA0, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}")]
          as [([UInt8], String)])
    func aHeaderWithALineBreakNULOrBadUTF8IsUnusableEvenWithAGoodQuery(header: [UInt8], shown: String) {
        let id = LastEventID.from(header: header, query: "lastEventId=7")
        #expect(id == .unusable(shown: shown))
        #expect(id?.shown == shown)
    }

    @Test func theQueryValueIsPercentDecodedWithPlusAsSpace() {
        #expect(LastEventID.from(header: nil, query: "lastEventId=a%2Fb+c%C3%A9") == .id("a/b cé"))
        #expect(LastEventID.from(header: nil, query: "?lastEventId=5") == .id("5"))
        #expect(LastEventID.from(header: nil, query: "lastEventId=%2B1") == .id("+1"))
    }

    @Test func theFirstQueryValueCounts() {
        #expect(LastEventID.from(header: nil, query: "lastEventId=1&lastEventId=2") == .id("1"))
        #expect(LastEventID.from(header: nil, query: "lastEventId=%zz&lastEventId=2") == .unusable(shown: "%zz"))
    }

    /// Shown as a browser's URLSearchParams would read it: a bad escape as it stands, ill-formed
    /// UTF-8 as U+FFFD, `+` as a space.
    @Test(arguments: [("lastEventId=%0A", "\n"), ("lastEventId=a%0Db", "a\rb"), ("lastEventId=%00", "\0"),
                      ("lastEventId=%zz", "%zz"), ("lastEventId=5%", "5%"), ("lastEventId=%FF", "\u{FFFD}"),
                      ("lastEventId=x+%C3", "x \u{FFFD}"), ("lastEventId=%2", "%2")])
    func aBrokenOrMultiLineQueryValueIsUnusable(query: String, shown: String) {
        #expect(LastEventID.from(header: nil, query: query) == .unusable(shown: shown))
    }

    @Test func theResetShowsWhatTheClientSent() {
        #expect(LastEventID.unusable(shown: "x").shown == "x")
        #expect(LastEventID.id("x").shown == "x")
    }

    @Test func theNameIsCaseSensitive() {
        #expect(LastEventID.from(header: nil, query: "lasteventid=5&LastEventId=6") == nil)
        #expect(LastEventID.from(header: nil, query: "lasteventid=%zz") == nil)
    }
}
