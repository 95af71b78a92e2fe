import Foundation
import Testing
@testable import Publishing

@Suite struct PushpinPublishTests {
    private func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    private func items(_ text: String) throws -> [PushpinItem] {
        try PushpinPublish.items(try json(text))
    }

    @Test func anObjectWithItemsIsPushpinsFormatAndNothingElseIs() throws {
        #expect(PushpinPublish.isPushpinFormat(try json(#"{"items": []}"#)))
        #expect(!PushpinPublish.isPushpinFormat(try json(#"{"channel": "a", "data": "x"}"#)))
        #expect(!PushpinPublish.isPushpinFormat(try json(#"[{"items": []}]"#)))
    }

    @Test func httpStreamContentIsTakenAsItsBytes() throws {
        #expect(try items(#"""
            {"items": [{"channel": "a", "id": "7", "prev-id": "6", "formats": {"http-stream": {"content": "data: hi\n\n"},
                                                                           "ws-message": {"content": "hi"}}},
                       {"channel": "b", "formats": {"http-stream": {"content-bin": "AAEC"}}}]}
            """#) == [
            PushpinItem(channel: "a", id: "7", content: Array("data: hi\n\n".utf8)),
            PushpinItem(channel: "b", id: "", content: [0, 1, 2]),
        ])
    }

    @Test func formatsMayAlsoSitAtTheItemsTopLevelAsOlderPublishersPutThem() throws {
        #expect(try items(#"{"items": [{"channel": "a", "http-stream": {"content": "x"}, "meta": {"k": "v"}}]}"#)
            == [PushpinItem(channel: "a", id: "", content: Array("x".utf8))])
    }

    @Test(arguments: [
        (#"{"items": []}"#, "items: empty array, nothing to publish"),
        (#"{"items": {}}"#, "items: expected an array"),
        (#"{"items": [], "x": 1}"#, #"unknown key "x" (expected items)"#),
        (#"{"items": [7]}"#, "item 0: expected an object"),
        (#"{"items": [{"formats": {}}]}"#, "item 0: channel: expected a string"),
        (#"{"items": [{"channel": "a b", "http-stream": {"content": "x"}}]}"#,
         #"item 0: channel "a b": channel name may only contain A-Z a-z 0-9 - _ . : @ /"#),
        (#"{"items": [{"channel": "a", "id": 3, "http-stream": {"content": "x"}}]}"#, "item 0: id: expected a string"),
        (#"{"items": [{"channel": "a", "id": "a\nb", "http-stream": {"content": "x"}}]}"#, "item 0: id must not contain CR, LF or NUL"),
        (#"{"items": [{"channel": "a", "colour": 1}]}"#, #"item 0: unknown key "colour" (expected channel, id, prev-id, formats)"#),
        (#"{"items": [{"channel": "a", "formats": {"ws-message": {"content": "x"}}}]}"#,
         "item 0: no http-stream format (got ws-message): Herald holds HTTP streams only"),
        (#"{"items": [{"channel": "a", "formats": {"http-stream": {"action": "close"}}}]}"#,
         "item 0: http-stream: action \"close\" is not supported (close streams with DELETE /channels/<channel>)"),
        (#"{"items": [{"channel": "a", "formats": {"http-stream": {"content-bin": "%%"}}}]}"#,
         "item 0: http-stream: content-bin is not valid base64"),
        (#"{"items": [{"channel": "a", "formats": {"http-stream": {}}}]}"#, "item 0: http-stream: expected content or content-bin"),
        (#"{"items": [{"channel": "a", "http-stream": {"content": "x"}}, {"channel": "a", "http-stream": {"content": 1}}]}"#,
         "item 1: http-stream: expected content (a string) or content-bin (base64), one of them"),
    ])
    func aBadPublishIsRefusedNamingTheProblem(text: String, reason: String) throws {
        let parsed = try json(text)
        #expect(throws: PublishProblem(reason: reason)) { try PushpinPublish.items(parsed) }
    }
}
