import Testing
@testable import Publishing

@Suite struct JSONPointerTests {
    /// The document of RFC 6901 §5.
    static let rfcDocument = #"""
        {
           "foo": ["bar", "baz"],
           "": 0,
           "a/b": 1,
           "c%d": 2,
           "e^f": 3,
           "g|h": 4,
           "i\\j": 5,
           "k\"l": 6,
           " ": 7,
           "m~n": 8
        }
        """#

    static let rfcExamples: [(pointer: String, value: String)] = [
        ("/foo/0", "bar"), ("/", "0"), ("/a~1b", "1"), ("/c%d", "2"), ("/e^f", "3"), ("/g|h", "4"),
        (#"/i\j"#, "5"), (#"/k"l"#, "6"), ("/ ", "7"), ("/m~0n", "8"),
    ]

    private func resolve(_ pointer: String, in text: String) throws -> JSONValue? {
        try JSONPointer(parsing: pointer).resolve(in: try JSONValue(parsing: Array(text.utf8)))
    }

    @Test func theRFCExamplesNameTheirValues() throws {
        let document = try JSONValue(parsing: Array(Self.rfcDocument.utf8))
        #expect(try JSONPointer(parsing: "").resolve(in: document) == document)
        #expect(try JSONPointer(parsing: "/foo").resolve(in: document) == .array([.string("bar"), .string("baz")]))
        for (pointer, value) in Self.rfcExamples {
            let resolved = try JSONPointer(parsing: pointer).resolve(in: document)
            let expected: JSONValue = value == "bar" ? .string(value) : .number(value)
            #expect(resolved == expected, "\(pointer)")
        }
    }

    @Test func tildeOneIsUnescapedBeforeTildeZero() throws {
        // "~01" is "~1" (a tilde, then a 1), not "/".
        #expect(try JSONPointer(parsing: "/~01").tokens == ["~1"])
        #expect(try JSONPointer(parsing: "/a~1b/~0/").tokens == ["a/b", "~", ""])
    }

    @Test func aBadEscapeOrAMissingSlashIsRefusedWithItsPlace() {
        #expect(throws: JSONPointer.SyntaxError(expected: #""~0" or "~1" (a "~" in a name is written "~0")"#, offset: 2)) {
            try JSONPointer(parsing: "/a~2")
        }
        #expect(throws: JSONPointer.SyntaxError(expected: #""~0" or "~1" (a "~" in a name is written "~0")"#, offset: 3)) {
            try JSONPointer(parsing: "/ab~")
        }
        #expect(throws: JSONPointer.SyntaxError(expected: #""/" starting a JSON pointer"#, offset: 0)) {
            try JSONPointer(parsing: "repository")
        }
    }

    @Test func arrayIndexesAreDecimalWithoutLeadingZeros() throws {
        let list = #"{"a": ["x", "y"]}"#
        #expect(try resolve("/a/1", in: list) == .string("y"))
        #expect(try resolve("/a/01", in: list) == nil)
        #expect(try resolve("/a/2", in: list) == nil)
        #expect(try resolve("/a/-", in: list) == nil)
        #expect(try resolve("/a/-1", in: list) == nil)
        #expect(try resolve("/a/x", in: list) == nil)
    }

    @Test func aTokenIntoAScalarOrAMissingMemberNamesNothing() throws {
        let text = #"{"s": "text", "n": 1, "z": null}"#
        #expect(try resolve("/s/0", in: text) == nil)
        #expect(try resolve("/n/x", in: text) == nil)
        #expect(try resolve("/z/x", in: text) == nil)
        #expect(try resolve("/missing", in: text) == nil)
        #expect(try resolve("/z", in: text) == .null)
    }

    @Test func namesCompareCodePointByCodePointWithoutNormalization() throws {
        // "é" precomposed (U+00E9) and decomposed (e + U+0301) are different names in JSON.
        let text = "{\"caf\u{E9}\": 1, \"cafe\u{301}\": 2}"
        #expect(try resolve("/caf\u{E9}", in: text) == .number("1"))
        #expect(try resolve("/cafe\u{301}", in: text) == .number("2"))
    }

    @Test func aNameGivenTwiceNamesItsLastValue() throws {
        #expect(try resolve("/a", in: #"{"a": 1, "a": 2}"#) == .number("2"))
    }
}
