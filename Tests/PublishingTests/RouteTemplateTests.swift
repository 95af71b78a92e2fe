import Testing
@testable import Publishing

@Suite struct RouteTemplateTests {
    private func pointer(_ text: String) throws -> JSONPointer { try JSONPointer(parsing: text) }

    @Test func literalTextFieldsAndHeadersBecomeParts() throws {
        let template = try RouteTemplate(parsing: "repo-{/repository/full_name}:{header:X-GitHub-Event}", for: .channel)
        #expect(template.parts == [
            .literal("repo-"), .field(try pointer("/repository/full_name")), .literal(":"), .header("X-GitHub-Event"),
        ])
        #expect(template.readsBody)
        #expect(template.description == "repo-{/repository/full_name}:{header:X-GitHub-Event}")
    }

    @Test func doubledBracesAreLiteralBraces() throws {
        let template = try RouteTemplate(parsing: "{{a}}-{header:X}-}}", for: .event)
        #expect(template.parts == [.literal("{a}-"), .header("X"), .literal("-}")])
        #expect(!template.readsBody)
    }

    @Test func aPointerInATemplateIsUnescapedAsRFC6901Says() throws {
        let template = try RouteTemplate(parsing: "{/a~1b/m~0n/0}", for: .id)
        #expect(template.parts == [.field(try pointer("/a~1b/m~0n/0"))])
        #expect(try pointer("/a~1b/m~0n/0").tokens == ["a/b", "m~n", "0"])
    }

    @Test(arguments: [
        ("repo-{/a", RouteTemplate.Role.channel, #"a "}" closing the "{" at character 6"#),
        ("a}b", .channel, #""}}" for a literal "}" at character 2"#),
        ("{}", .event, #"{/json/pointer} or {header:Name} at character 1 ("{}" would be the whole body, which is the data already)"#),
        ("x{name}", .event, "{/json/pointer} or {header:Name} at character 2"),
        ("{Header:X}", .event, "{/json/pointer} or {header:Name} at character 1"),
        ("{/a~2}", .id, #""~0" or "~1" (a "~" in a name is written "~0") at character 4"#),
        ("{/a{b}", .id, #""}" before the "{" at character 4 (a part holds no braces)"#),
        ("{header:}", .id, "a header name (letters, digits and !#$%&'*+-.^_`|~) after \"header:\" at character 1"),
        ("{header:X Event}", .id, "a header name (letters, digits and !#$%&'*+-.^_`|~) after \"header:\" at character 1"),
        ("", .channel, #"a template such as "repo-{/repository/full_name}""#),
        ("", .event, #"a template such as "{header:X-GitHub-Event}""#),
        ("repo {/name}", .channel, #"only A-Z a-z 0-9 - _ . : @ / and {…} parts in a channel template (not " ")"#),
        ("dépôt-{/name}", .channel, #"only A-Z a-z 0-9 - _ . : @ / and {…} parts in a channel template (not "é")"#),
        (String(repeating: "c", count: 201) + "{/n}", .channel, "at most 200 bytes of text in a channel template"),
        ("push\n{/n}", .event, "no CR, LF or NUL in an event template"),
        ("{/n}\r", .id, "no CR, LF or NUL in an id template"),
        ("delivery-1", .id, "an id template with a {…} part (a fixed id would make every event a duplicate of the first)"),
    ])
    func aBadTemplateIsRefusedSayingWhatWasExpected(text: String, role: RouteTemplate.Role, expected: String) {
        #expect(throws: RouteTemplate.SyntaxError(expected: expected)) {
            try RouteTemplate(parsing: text, for: role)
        }
    }

    @Test func aFixedChannelOrEventIsAllowed() throws {
        #expect(try RouteTemplate(parsing: "deploys", for: .channel).parts == [.literal("deploys")])
        #expect(try RouteTemplate(parsing: "push", for: .event).parts == [.literal("push")])
    }
}
