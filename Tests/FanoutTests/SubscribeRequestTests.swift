import Testing
@testable import Fanout

@Suite struct SubscribeRequestTests {
    private func parse(_ target: String, header: String? = nil, max: Int = 4) throws(SubscribeRequest.Problem) -> SubscribeRequest {
        try SubscribeRequest.parse(target: target, eventsPath: "/events", lastEventIDHeader: header.map { Array($0.utf8) }, maxChannels: max)
    }

    @Test func theChannelIsTheRestOfThePath() throws {
        #expect(try parse("/events/orders").channels == ["orders"])
        #expect(try parse("/events/user:42/inbox").channels == ["user:42/inbox"])
    }

    @Test func severalChannelsComeFromTheQueryOnceEach() throws {
        #expect(try parse("/events?channel=a&channel=b&channel=a").channels == ["a", "b"])
        #expect(try parse("/events/a?channel=b").channels == ["a", "b"])
    }

    @Test func everySpellingOfAChannelIsTheOneCanonicalName() throws {
        #expect(try parse("/events/user%3A42").channels == ["user:42"])
        #expect(try parse("/events?channel=user%3a42").channels == ["user:42"])
        #expect(try parse("/events/user:42?channel=user%3A42&channel=team%2Feng").channels == ["user:42", "team/eng"])
    }

    @Test func aMalformedEscapeOrAForbiddenDecodedByteIsRefusedNamingIt() {
        #expect(throws: SubscribeRequest.Problem(reason: #"channel "a%ZZ": malformed percent-escape "%ZZ" (expected % and two hex digits)"#)) {
            try parse("/events/a%ZZ")
        }
        #expect(throws: SubscribeRequest.Problem(reason: #"channel "a%": malformed percent-escape "%" (expected % and two hex digits)"#)) {
            try parse("/events?channel=ok&channel=a%")
        }
        #expect(throws: SubscribeRequest.Problem(reason: #"channel "a+b": byte 0x20 (" ") after percent-decoding is not allowed: channel names use A-Z a-z 0-9 - _ . : @ /"#)) {
            try parse("/events?channel=a+b")
        }
        #expect(throws: SubscribeRequest.Problem.self) { try parse("/events/a%00") }
    }

    @Test func theHeaderWinsOverTheQueryForTheLastEventID() throws {
        #expect(try parse("/events/a?lastEventId=q").lastEventID == .id("q"))
        #expect(try parse("/events/a?lastEventId=q", header: "h").lastEventID == .id("h"))
    }

    @Test func badChannelsAndTooManyAreRefused() {
        #expect(throws: SubscribeRequest.Problem.self) { try parse("/events") }
        #expect(throws: SubscribeRequest.Problem.self) { try parse("/events/") }
        #expect(throws: SubscribeRequest.Problem.self) { try parse("/events/a%20b") }
        #expect(throws: SubscribeRequest.Problem.self) { try parse("/events?channel=a&channel=b&channel=c", max: 2) }
        #expect(throws: SubscribeRequest.Problem.self) { try parse("/events/" + String(repeating: "x", count: 201)) }
    }
}
