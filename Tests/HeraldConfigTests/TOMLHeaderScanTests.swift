import Testing
@testable import HeraldConfig

/// Found by Fuzz/ConfigFuzz.swift: toml++ asserts that a table header starts with a key, and
/// herald aborted (debug and release) on `[[[publish.routes]]`. Before the scan, each of these
/// ended the test process.
@Suite struct TOMLHeaderScanTests {
    @Test func aHeaderWithoutAKeyIsAProblemNotACrash() {
        #expect(ConfigLoader.problems(in: "[[[publish.routes]]\npath = \"/a\"\n")
            == ["proxy.conf:1:3: invalid TOML: a table header needs a key after its [ or [[, got '['"])
        #expect(ConfigLoader.problems(in: "[server]\nthreads = 1\n[\nlisten = \"x\"\n")
            == ["proxy.conf:3:2: invalid TOML: a table header needs a key after its [ or [[, got the end of the line"])
    }

    @Test(arguments: [
        ("[=]", 1, 2), ("[[ #]]", 1, 4), ("a = 1\n  [ .b]", 2, 5), ("x = [\n1,\n]\n[{]", 4, 2),
        ("s = \"\"\"\n[a]\n\"\"\"\n[*]", 4, 2), ("[ [a]]", 1, 3),
    ])
    func aHeaderWithoutAKeyIsFoundWhereItsKeyShouldBe(toml: String, line: Int, column: Int) throws {
        let found = try #require(TOMLHeaderScan.firstHeaderWithoutKey(in: toml))
        #expect((found.line, found.column) == (line, column))
    }

    /// Valid TOML, or TOML toml++ refuses on its own: brackets inside values and strings are no header.
    @Test(arguments: [
        "[a]\n[[b.c]]\n[ \"q\" ]\n['l']\n[-]\n[_.0]", "x = [\n  [[[1]]],\n  [ [2] ],\n]", "t = { a = [ [ 1 ] ] }",
        "s = \"\"\"\n[=]\n\"\"\"", "s = '''\n[[[\n'''", "a = 1 # [=]", "[]", "[", "k = \"[\\\"\"\n[a]",
    ])
    func otherBracketsAreLeftToTOMLKit(toml: String) {
        #expect(TOMLHeaderScan.firstHeaderWithoutKey(in: toml) == nil)
    }
}
