import EventStream
import Testing
@testable import Publishing

@Suite struct WebhookRouteTests {
    static let pushBody = #"""
        {"ref": "refs/heads/main", "repository": {"id": 1296269, "full_name": "octo-org/hello-world", "private": false,
         "owner": null, "topics": ["a"]}, "forced": true, "size": 2.50}
        """#

    static let headers: [String: [[UInt8]]] = [
        "x-github-event": [Array("push".utf8)],
        "x-github-delivery": [Array("72d3162e-cc78-11e3-81ab-4c9367dc0958".utf8)],
        "x-tags": [Array("a".utf8), Array("b".utf8)],
        "x-latin1": [[0x63, 0x61, 0x66, 0xE9]],
        "x-empty": [[]],
        "x-split": [Array("one\ntwo".utf8)],
    ]

    private func route(channel: String, event: String? = nil, id: String? = nil) throws -> WebhookRoute {
        WebhookRoute(channel: try RouteTemplate(parsing: channel, for: .channel),
                     event: try event.map { try RouteTemplate(parsing: $0, for: .event) },
                     id: try id.map { try RouteTemplate(parsing: $0, for: .id) })
    }

    private func apply(_ route: WebhookRoute, body: String = Self.pushBody) throws(WebhookRouteError) -> (channel: String, event: ServerSentEvent) {
        try route.event(body: Array(body.utf8), headerValues: { Self.headers[$0] ?? [] })
    }

    @Test func aGitHubPushBecomesAnEventOnItsRepositorysChannelWithTheBodyAsData() throws {
        let route = try route(channel: "repo-{/repository/full_name}", event: "{header:X-GitHub-Event}", id: "{header:x-github-delivery}")
        let made = try apply(route)
        #expect(made.channel == "repo-octo-org/hello-world")
        #expect(made.event == ServerSentEvent(id: "72d3162e-cc78-11e3-81ab-4c9367dc0958", event: "push", data: Self.pushBody))
    }

    @Test func withoutEventOrIdTemplatesTheTypeIsTheDefaultAndHeraldAssignsTheId() throws {
        let made = try apply(try route(channel: "deploys"))
        #expect(made.channel == "deploys")
        #expect(made.event == ServerSentEvent(id: "", event: nil, data: Self.pushBody))
    }

    @Test func numbersAndBooleansGiveTheirJSONText() throws {
        let made = try apply(try route(channel: "r{/repository/id}-{/forced}-{/repository/private}", event: "{/size}", id: "{/repository/topics/0}"))
        #expect(made.channel == "r1296269-true-false")
        #expect(made.event.event == "2.50")
        #expect(made.event.id == "a")
    }

    @Test func aBodyWithoutFieldsNeedNotBeJSONWhenNoTemplateReadsIt() throws {
        let made = try apply(try route(channel: "{header:X-GitHub-Event}s", id: "{header:X-GitHub-Delivery}"), body: "line one\r\nline two")
        #expect(made.channel == "pushs")
        #expect(made.event.data == "line one\r\nline two")
    }

    @Test func severalLinesOfOneHeaderAreJoinedWithCommas() throws {
        #expect(try apply(try route(channel: "c", event: "{header:X-Tags}")).event.event == "a, b")
    }

    @Test(arguments: [
        ("repo-{/repository/name}", nil, nil, "channel: /repository/name: no such field in the body"),
        ("repo-{/repository/full_name}", "{/commits/0/id}", nil, "event: /commits/0/id: no such field in the body"),
        ("c", nil, "{/repository/owner}", "id: /repository/owner: is null, expected a string, a number or a boolean"),
        ("c-{/repository}", nil, nil, "channel: /repository: is an object, expected a string, a number or a boolean"),
        ("c", "{/repository/topics}", nil, "event: /repository/topics: is an array, expected a string, a number or a boolean"),
        ("c", "{header:X-Missing}", nil, "event: header X-Missing: not in the request"),
        ("c", nil, "{header:X-Latin1}", "id: header X-Latin1: not valid UTF-8"),
        ("c", nil, "{header:X-Empty}", #"id "": empty"#),
        ("c", "{header:X-Split}", nil, #"event "one\ntwo": must not contain CR, LF or NUL"#),
        ("{header:X-Empty}", nil, nil, #"channel "": empty channel name"#),
        ("{header:X-Tags}", nil, nil, #"channel "a, b": channel name may only contain A-Z a-z 0-9 - _ . : @ /"#),
    ] as [(String, String?, String?, String)])
    func whatTheRouteNamesButTheRequestLacksIsA422NamingIt(channel: String, event: String?, id: String?, reason: String) throws {
        let route = try route(channel: channel, event: event, id: id)
        let error = #expect(throws: WebhookRouteError.self) { try apply(route) }
        #expect(error?.status == 422)
        #expect(error?.reason == reason)
    }

    @Test func aBodyThatIsNotJSONIsA400WhenATemplateReadsIt() throws {
        let route = try route(channel: "repo-{/repository/full_name}")
        let error = #expect(throws: WebhookRouteError.self) { try apply(route, body: "payload=%7B%7D") }
        #expect(error?.status == 400)
        #expect(error?.reason == "body is not JSON, which this route reads fields of: expected a value at byte 0")
    }

    @Test func aBodyThatIsNotUTF8IsA400() throws {
        let route = try route(channel: "c")
        let error = #expect(throws: WebhookRouteError.self) {
            try route.event(body: [0x7B, 0xFF, 0x7D], headerValues: { _ in [] })
        }
        #expect(error == .bodyNotUTF8)
        #expect(error?.status == 400)
    }

    @Test func aLongChannelNamesItsProblem() throws {
        let body = "{\"n\": \"" + String(repeating: "x", count: 300) + "\"}"
        let error = #expect(throws: WebhookRouteError.self) { try apply(try route(channel: "{/n}"), body: body) }
        #expect(error?.reason == #"channel ""# + String(repeating: "x", count: 64) + #"…": channel name longer than 200 bytes"#)
    }
}
