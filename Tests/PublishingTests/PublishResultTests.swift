import Foundation
import Testing
@testable import Publishing

@Suite struct PublishResultTests {
    private func decoded(_ bytes: [UInt8]) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(bytes))
    }

    @Test func anObjectWithSortedKeys() {
        let result = PublishResult(channel: "orders", id: "k2x-17", subscribers: 3)
        #expect(String(decoding: result.json, as: UTF8.self) == #"{"channel":"orders","id":"k2x-17","subscribers":3}"#)
    }

    @Test func aDuplicateSaysSoInSortedPlaceAndANewEventKeepsItsShape() {
        let duplicate = PublishResult(channel: "orders", id: "msg-1", subscribers: 2, duplicate: true)
        #expect(String(decoding: duplicate.json, as: UTF8.self) == #"{"channel":"orders","duplicate":true,"id":"msg-1","subscribers":2}"#)
        let new = PublishResult(channel: "orders", id: "msg-2", subscribers: 2)
        #expect(!String(decoding: new.json, as: UTF8.self).contains("duplicate"))
    }

    @Test func anArrayOfThem() throws {
        let results = [PublishResult(channel: "a", id: "1", subscribers: 0), PublishResult(channel: "b", id: "2", subscribers: 12)]
        let value = try #require(try decoded(PublishResult.json(results)) as? [[String: Any]])
        #expect(value.map { $0["channel"] as? String } == ["a", "b"])
        #expect(value.map { $0["subscribers"] as? Int } == [0, 12])
        #expect(String(decoding: PublishResult.json([]), as: UTF8.self) == "[]")
    }

    @Test(arguments: ["plain", "quote \" and \\ backslash", "line\nbreak\r\ttab", "\u{01}\u{1F}\u{7F}", "é ü 日本 🎉", "a/b", ""])
    func stringsSurviveARoundTrip(_ text: String) throws {
        let bytes = PublishResult(channel: "c", id: text, subscribers: 1).json
        let value = try #require(try decoded(bytes) as? [String: Any])
        #expect(value["id"] as? String == text)
    }

    @Test func controlCharactersAreEscapedNotWrittenRaw() {
        var bytes: [UInt8] = []
        JSONString.append("\u{00}\u{1B}\n", to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == #""\u0000\u001b\n""#)
        #expect(JSONString.quoted("del\u{7F} \"é\"") == #""del\u007f \"é\"""#)
    }
}
