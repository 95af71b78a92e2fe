import Foundation
import Testing
@testable import HeraldConfig

@Suite struct PublishTokenFileTests {
    private func tokenFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-token-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theTokenIsReadFromTheFileWithoutItsTrailingNewline() throws {
        let path = try tokenFile("s3cret-token\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = try ConfigLoader.parse("[publish]\nlisten = \"0.0.0.0:8081\"\ntoken_file = \"\(path)\"\n",
                                              fileName: "proxy.conf")
        #expect(settings.publish.token == "s3cret-token")
        #expect(settings.publish.tokenFile == path)
    }

    @Test func aWindowsLineEndIsTrimmedToo() throws {
        let path = try tokenFile("s3cret-token\r\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try ConfigLoader.parse("[publish]\ntoken_file = \"\(path)\"\n", fileName: "proxy.conf").publish.token == "s3cret-token")
    }

    @Test func aTokenFileSatisfiesTheTokenRuleOfANonLoopbackListener() throws {
        let path = try tokenFile("s3cret-token")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(ConfigLoader.problems(in: "[publish]\nlisten = \"0.0.0.0:8081\"\ntoken_file = \"\(path)\"\n").isEmpty)
    }

    @Test func tokenAndTokenFileTogetherAreRefused() throws {
        let path = try tokenFile("s3cret-token\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(ConfigLoader.problems(in: "[publish]\ntoken = \"other\"\ntoken_file = \"\(path)\"\n") == [
            "proxy.conf: [publish] token_file: expected token or token_file, not both, got both",
        ])
    }

    @Test func anEmptyTokenBesideTheFileIsNoToken() throws {
        let path = try tokenFile("s3cret-token\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let toml = "[publish]\ntoken = \"\"\ntoken_file = \"\(path)\"\n"
        #expect(try ConfigLoader.parse(toml, fileName: "proxy.conf").publish.token == "s3cret-token")
    }

    @Test func aMissingFileIsNamed() {
        #expect(ConfigLoader.problems(in: "[publish]\ntoken_file = \"/nonexistent/herald-token\"\n") == [
            #"proxy.conf: [publish] token_file: expected a readable file holding the token, got "/nonexistent/herald-token" (cannot be read)"#,
        ])
    }

    @Test func anEmptyFileIsRefused() throws {
        let path = try tokenFile("\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(ConfigLoader.problems(in: "[publish]\ntoken_file = \"\(path)\"\n") == [
            "proxy.conf: [publish] token_file: expected a file holding the token, got \"\(path)\" (empty)",
        ])
    }

    @Test func aTokenWithASpaceIsRefusedWithoutRepeatingIt() throws {
        let path = try tokenFile("two words\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let problems = ConfigLoader.problems(in: "[publish]\ntoken_file = \"\(path)\"\n")
        #expect(problems == [
            "proxy.conf: [publish] token_file: expected visible ASCII characters without spaces, "
                + "got a space at character 4 of \"\(path)\"",
        ])
        #expect(!problems.joined().contains("words"))
    }
}
