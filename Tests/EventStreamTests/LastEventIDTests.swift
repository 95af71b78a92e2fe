import EventStream
import Testing

@Suite struct LastEventIDTests {
    @Test func theHeaderWinsOverTheQuery() {
        #expect(LastEventID.from(header: bytes("42"), query: "channel=a&lastEventId=7") == "42")
    }

    @Test func theQueryIsUsedWhenTheHeaderIsAbsentOrEmpty() {
        #expect(LastEventID.from(header: nil, query: "channel=a&lastEventId=7") == "7")
        #expect(LastEventID.from(header: [], query: "lastEventId=7") == "7")
    }

    @Test func neitherGivesNil() {
        #expect(LastEventID.from(header: nil, query: nil) == nil)
        #expect(LastEventID.from(header: nil, query: "channel=a") == nil)
        #expect(LastEventID.from(header: [], query: "") == nil)
    }

    @Test func theHeaderIsReadAsUTF8BytesAsReceived() {
        #expect(LastEventID.from(header: bytes("é:1 👍🏽"), query: nil) == "é:1 👍🏽")
        #expect(LastEventID.from(header: bytes("a%20b+c"), query: nil) == "a%20b+c")
    }

    @Test(arguments: [[0x31, 0x0A, 0x32], [0x0D], [0x31, 0x00], [0xFF], [0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80]]
          as [[UInt8]])
    func aHeaderWithALineBreakNULOrBadUTF8GivesNilEvenWithAGoodQuery(header: [UInt8]) {
        #expect(LastEventID.from(header: header, query: "lastEventId=7") == nil)
    }

    @Test func theQueryValueIsPercentDecodedWithPlusAsSpace() {
        #expect(LastEventID.from(header: nil, query: "lastEventId=a%2Fb+c%C3%A9") == "a/b cé")
        #expect(LastEventID.from(header: nil, query: "?lastEventId=5") == "5")
        #expect(LastEventID.from(header: nil, query: "lastEventId=%2B1") == "+1")
    }

    @Test func theFirstQueryValueCounts() {
        #expect(LastEventID.from(header: nil, query: "lastEventId=1&lastEventId=2") == "1")
    }

    @Test(arguments: ["lastEventId=", "lastEventId", "lastEventId=%0A", "lastEventId=a%0Db", "lastEventId=%00",
                      "lastEventId=%zz", "lastEventId=5%", "lastEventId=%FF", "lastEventId=%C3"])
    func anEmptyBrokenOrMultiLineQueryValueGivesNil(query: String) {
        #expect(LastEventID.from(header: nil, query: query) == nil)
    }

    @Test func theNameIsCaseSensitive() {
        #expect(LastEventID.from(header: nil, query: "lasteventid=5&LastEventId=6") == nil)
    }
}
