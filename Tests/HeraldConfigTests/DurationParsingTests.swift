import Testing
@testable import HeraldConfig

@Suite struct DurationParsingTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("15s", .seconds(15)), ("5m", .seconds(300)), ("1h", .seconds(3600)),
        ("1m30s", .seconds(90)), ("1h30m", .seconds(5400)), ("1s500ms", .milliseconds(1500)), ("0s", .zero),
    ])
    func aDurationWithAUnitParses(text: String, expected: Duration) throws {
        #expect(try Duration(parsing: text) == expected)
    }

    @Test(arguments: ["15", "", "s", "1.5s", "-5s", " 5s", "5 s", "5S", "5sec", "1d", "1m30", "ms500",
                      "9999999999999h"])
    func anythingElseIsRefusedNamingTheForm(text: String) {
        #expect(throws: ConfigValueError(expected: #"a duration such as "15s""#, got: ConfigValueError.quoted(text))) {
            try Duration(parsing: text)
        }
    }

    @Test(arguments: ["0s", "500ms", "15s", "1m30s", "1h", "25h", "1h1m1s1ms"])
    func configTextParsesBackToTheSameDuration(text: String) throws {
        let duration = try Duration(parsing: text)
        #expect(duration.configText == text)
        #expect(try Duration(parsing: duration.configText) == duration)
    }
}
