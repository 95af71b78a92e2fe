import Testing
@testable import Publishing

@Suite struct JSONValueTests {
    private func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try JSONValue(parsing: Array(text.utf8))
    }

    @Test func everyKindOfValueIsRead() throws {
        let value = try parse(#" {"s": "a\"b\\c\/d\n\u00e9\ud83d\ude00", "n": -12.50e+3, "t": true, "f": false, "z": null, "a": [1, [], {}]} "#)
        #expect(value == .object([
            .init("s", .string("a\"b\\c/d\n\u{E9}\u{1F600}")),
            .init("n", .number("-12.50e+3")),
            .init("t", .bool(true)),
            .init("f", .bool(false)),
            .init("z", .null),
            .init("a", .array([.number("1"), .array([]), .object([])])),
        ]))
    }

    @Test func numbersKeepTheirTextBeyondADoublesPrecision() throws {
        #expect(try parse("12345678901234567890123") == .number("12345678901234567890123"))
        #expect(try parse("-0") == .number("-0"))
    }

    @Test(arguments: [
        ("", "expected a value, got the end at byte 0"),
        ("{", "expected a member name in quotes at byte 1"),
        (#"{"a" 1}"#, #"expected ":" after a member name at byte 5"#),
        (#"{"a": 1,}"#, "expected a member name in quotes at byte 8"),
        ("[1 2]", #"expected "," or "]" in an array at byte 3"#),
        ("01", "unexpected bytes after the value at byte 1"),
        ("1.", "expected a digit at byte 2"),
        ("-", "expected a digit at byte 1"),
        ("tru", "expected a value at byte 0"),
        ("'a'", "expected a value at byte 0"),
        (#""abc"#, "unterminated string at byte 0"),
        ("\"a\tb\"", "control character in a string at byte 2"),
        (#""\x""#, "unknown escape at byte 1"),
        (#""\u12""#, #"expected four hex digits after \u at byte 5"#),
        (#""\ud800""#, "lone surrogate escape at byte 1"),
        (#""\udc00""#, "lone surrogate escape at byte 1"),
        (#""\ud800\u0041""#, "lone surrogate escape at byte 1"),
        ("order 42 shipped", "expected a value at byte 0"),
        (#"{"a": 1} {"b": 2}"#, "unexpected bytes after the value at byte 9"),
    ])
    func aMalformedDocumentIsRefusedWithWhereAndWhy(text: String, problem: String) {
        let error = #expect(throws: JSONSyntaxError.self) { try parse(text) }
        #expect(error?.description == problem)
    }

    @Test func invalidUTF8InAStringIsRefused() {
        #expect(throws: JSONSyntaxError(offset: 0, reason: "string is not UTF-8")) {
            try JSONValue(parsing: [0x22, 0xC3, 0x28, 0x22])
        }
    }

    @Test func nestingIsBoundedInsteadOfExhaustingTheStack() throws {
        let fine = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        _ = try parse(fine)
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONSyntaxError(offset: JSONParser.maxDepth, reason: "nested deeper than \(JSONParser.maxDepth) levels")) {
            try parse(deep)
        }
    }
}
