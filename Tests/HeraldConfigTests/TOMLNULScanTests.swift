import Testing
@testable import HeraldConfig

@Suite struct TOMLNULScanTests {
    @Test func aNULEscapeInAStringIsRefusedRatherThanCuttingTheValueShort() {
        #expect(ConfigLoader.problems(in: "[publish]\ntoken = \"abc\\u0000def\"\n")
            == [#"proxy.conf:2:13: invalid TOML: a \u0000 escape (NUL cannot be in a value)"#])
    }

    @Test(arguments: [
        (#"a = "\u0000""#, 1, 6),
        (#"a = "x\U00000000""#, 1, 7),
        (#""k\u0000" = 1"#, 1, 3),
        ("a = \"\"\"\nfirst\n  \\u0000\"\"\"", 3, 3),
        ("a = 'x'\nb = \"\\\"\\u0000\"", 2, 8),
    ])
    func aNULEscapeInABasicStringIsFoundWhereItIs(toml: String, line: Int, column: Int) throws {
        let nul = try #require(TOMLNULScan.firstNUL(in: toml))
        #expect((nul.line, nul.column) == (line, column))
    }

    @Test(arguments: [
        #"a = "\\u0000""#,
        #"a = '\u0000'"#,
        "a = '''\n\\u0000'''",
        #"a = 1 # \u0000 in a comment"#,
        #"a = "\u00e9\u0001""#,
        "a = \"\"\"x\"\"\"\"\"\nb = '\\u0000'",
        "a = '''x'''''\nb = '\\u0000'",
    ])
    func theSameCharactersOutsideABasicStringAreText(toml: String) {
        #expect(TOMLNULScan.firstNUL(in: toml) == nil)
    }

    @Test func aRawNULByteIsFoundEvenInsideAnEscape() throws {
        let nul = try #require(TOMLNULScan.firstNUL(in: "a = \"\\\0\""))
        #expect(nul.reason == "a NUL byte")
        #expect((nul.line, nul.column) == (1, 7))
    }
}
