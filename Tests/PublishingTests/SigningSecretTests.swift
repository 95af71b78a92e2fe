import Testing
@testable import Publishing

@Suite struct SigningSecretTests {
    @Test func aWhsecSecretIsItsDecodedBytesAndOtherTextIsItself() throws {
        let standard = try SigningSecret(parsing: "whsec_aGVyYWxkLXRlc3Qta2V5LW9uZS0yNGJ5")
        #expect(standard.standardKeyBytes == Array("herald-test-key-one-24by".utf8))
        #expect(standard.textKeyBytes == Array("whsec_aGVyYWxkLXRlc3Qta2V5LW9uZS0yNGJ5".utf8))
        let typed = try SigningSecret(parsing: "It's a Secret to Everybody")
        #expect(typed.standardKeyBytes == Array("It's a Secret to Everybody".utf8))
    }

    @Test(arguments: [("", SigningSecret.Problem.empty), ("whsec_", .badBase64), ("whsec_not*base64", .badBase64), ("whsec_abc", .badBase64)])
    func aBadSecretIsRefused(text: String, problem: SigningSecret.Problem) {
        #expect(throws: problem) { try SigningSecret(parsing: text) }
    }

    @Test func printingASecretNeverShowsIt() throws {
        let secret = try SigningSecret(parsing: "hunter2-secret")
        #expect(!"\(secret)".contains("hunter2") && !String(reflecting: secret).contains("hunter2"))
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("hunter2"))
    }

    @Test func aFileHoldsOneSecretALineWithCommentsAndBlankLines() throws {
        let text = "# current\nwhsec_aGVyYWxkLXRlc3Qta2V5LW9uZS0yNGJ5\n\n  # old, until Friday\r\n  github secret  \n"
        let secrets = try SigningSecret.parseLines(text)
        #expect(secrets == [try SigningSecret(parsing: "whsec_aGVyYWxkLXRlc3Qta2V5LW9uZS0yNGJ5"), try SigningSecret(parsing: "github secret")])
    }

    @Test func aBadLineIsNamedByItsNumber() {
        #expect(throws: SigningSecret.LineProblem(line: 3, problem: .badBase64)) {
            try SigningSecret.parseLines("# secrets\nplain\nwhsec_!!\n")
        }
    }
}
