import Testing
@testable import HeraldConfig

/// Found by Fuzz/ConfigFuzz.swift: toml++ asserts that a table header starts with a key and that a
/// date's `T` is followed by a time, and herald aborted (debug and release) on `[[[publish.routes]]`
/// and on `x = 1979-05-27Tmax`. Before the scan, each of the first two tests ended the test process.
@Suite struct TOMLAbortScanTests {
    @Test func aHeaderWithoutAKeyIsAProblemNotACrash() {
        #expect(ConfigLoader.problems(in: "[[[publish.routes]]\npath = \"/a\"\n")
            == ["proxy.conf:1:3: invalid TOML: a table header needs a key after its [ or [[, got '['"])
        #expect(ConfigLoader.problems(in: "[server]\nthreads = 1\n[\nlisten = \"x\"\n")
            == ["proxy.conf:3:2: invalid TOML: a table header needs a key after its [ or [[, got the end of the line"])
    }

    @Test func aDateAndTWithoutATimeIsAProblemNotACrash() {
        #expect(ConfigLoader.problems(in: "x = 1979-05-27Tmax_idle_co2:00Z 0x0F\n")
            == ["proxy.conf:1:16: invalid TOML: a date and T need a time after them, such as 1979-05-27T07:32:00"])
        #expect(ConfigLoader.problems(in: "[server]\nthreads = [1, 2000-01-01t]\n").first?.hasPrefix("proxy.conf:2:26: invalid TOML: a date") == true)
    }

    /// Found by a seed-1 run: toml++ asserts that an array's value does not start with `}`.
    @Test func aBraceWhereAnArrayWantsAValueIsAProblemNotACrash() {
        #expect(ConfigLoader.problems(in: "[server]\ntrusted_proxies = [}10.0.0.0/8\", \"1.0/40\"]\n[log]")
            == ["proxy.conf:2:20: invalid TOML: an array needs a value or ] here, got '}'"])
    }

    /// Found by a seed-1 run: a date-shaped value, one space and one digit aborted toml++.
    @Test func aDateSpaceAndLoneDigitIsAProblemNotACrash() {
        #expect(ConfigLoader.problems(in: "x = 1979-0--i0 0 =\n")
            == ["proxy.conf:1:16: invalid TOML: a date and a space need a time after them, such as 1979-05-27 07:32:00"])
        #expect(TOMLAbortScan.firstAbort(in: "x = [1979-01-01 0]")?.column == 17)
        #expect(TOMLAbortScan.firstAbort(in: "x = 1979-01-01 0") != nil)
        for fine in ["x = 1979-01-01 07:32:00", "x = 1979-01-01 07", "x = 1979-01-01  0", "x = 1979-01-01 a", "x = 1979-01-01"] {
            #expect(TOMLAbortScan.firstAbort(in: fine) == nil, "\(fine)")
        }
    }

    @Test(arguments: [
        ("a = [}", 1, 6), ("a = [1,}", 1, 8), ("a = [ }", 1, 7), ("a = [[}]]", 1, 7), ("a = [\n}", 2, 1),
        ("a = [#c\n}]", 2, 1), ("a = [ \"x\", }", 1, 12), ("a = {b = [}]}", 1, 11), ("a = [{}, }]", 1, 10),
    ])
    func aBraceWhereAnArrayWantsAValueIsFound(toml: String, line: Int, column: Int) throws {
        let found = try #require(TOMLAbortScan.firstAbort(in: toml))
        #expect((found.line, found.column) == (line, column))
    }

    @Test(arguments: [
        ("[=]", 1, 2), ("[[ #]]", 1, 4), ("a = 1\n  [ .b]", 2, 5), ("x = [\n1,\n]\n[{]", 4, 2),
        ("s = \"\"\"\n[a]\n\"\"\"\n[*]", 4, 2), ("[ [a]]", 1, 3),
    ])
    func aHeaderWithoutAKeyIsFoundWhereItsKeyShouldBe(toml: String, line: Int, column: Int) throws {
        let found = try #require(TOMLAbortScan.firstAbort(in: toml))
        #expect((found.line, found.column) == (line, column))
    }

    /// Valid TOML, or TOML toml++ refuses on its own: brackets inside values and strings are no header,
    /// a date with its time or in a key or a string is no date without a time.
    @Test(arguments: [
        "[a]\n[[b.c]]\n[ \"q\" ]\n['l']\n[-]\n[_.0]", "x = [\n  [[[1]]],\n  [ [2] ],\n]", "t = { a = [ [ 1 ] ] }",
        "s = \"\"\"\n[=]\n\"\"\"", "s = '''\n[[[\n'''", "a = 1 # [=]", "[]", "[", "k = \"[\\\"\"\n[a]",
        "d = 1979-05-27T07:32:00Z", "d = 1979-05-27 07:32:00", "d = 1979-05-27", "1979-05-27Tx = 1", "s = \"1979-05-27Tx\"",
        "d = [\n1979-05-27T00:00:00,\n]",
        "a = [1 }", "a = {b = }}", "a = {b=1,}", "t = { a = [1, 2], b = {} }", "a = [ \"}\", '}', {x = 1}, # }\n]",
    ])
    func otherBracketsAreLeftToTOMLKit(toml: String) {
        #expect(TOMLAbortScan.firstAbort(in: toml) == nil)
    }
}
