import Publishing
import Testing
import TOMLKit
@testable import HeraldConfig

@Suite struct HeraldSettingsPrintingTests {
    /// Every setting away from its default, with a secret in each place one can be.
    private static let busy = """
        [server]
        listen = "[::1]:9080"
        threads = 3
        header_timeout = "1m30s"
        max_body_bytes = 1000
        [upstream]
        url = "http://app.internal:4000"
        [events]
        allow_origins = ["*", "https://b.example", "https://a.example"]
        authorize = "upstream"
        authorize_path = "/auth"
        public_channels = ["news", "public-*"]
        reauthorize_every = "5m"
        reset_event = "say \\"reset\\""
        [publish]
        listen = "0.0.0.0:9081"
        token = "publisher-secret"
        signing_secrets = ["whsec_aGVyYWxkLXRlc3Qta2V5LW9uZS0yNGJ5", "github-secret"]
        [[publish.routes]]
        path = "/hooks/github"
        channel = "repo-{/repository/full_name}"
        event = "{header:X-GitHub-Event}"
        [log]
        level = "debug"
        access = "json"
        [redis]
        url = "redis://10.0.0.1:6379/2"
        username = "herald"
        password = "redis-secret"
        key_prefix = "h:"
        """

    private func printedKeys(_ text: String) throws -> Set<String> {
        let root = try TOMLTable(string: text)
        var keys: Set<String> = []
        for (section, value) in root {
            guard let table = value.table else { continue }
            for (key, _) in table { keys.insert("\(section).\(key)") }
        }
        return keys
    }

    @Test func theDefaultsPrintAsTextThatParsesToTheDefaults() throws {
        let text = HeraldSettings().configText()
        #expect(try ConfigLoader.parse(text, fileName: "printed.conf") == HeraldSettings())
        #expect(text.contains("# [redis]: not configured"))
    }

    @Test func everyKeyHeraldReadsIsPrinted() throws {
        let settings = try ConfigLoader.parse(Self.busy, fileName: "proxy.conf")
        // url stands for urls with one server, password for password_file: one of each pair is printed.
        let alternatives: Set<String> = ["redis.urls", "redis.password_file"]
        let printed = try printedKeys(settings.configText())
        #expect(Set(HeraldSettings.knownKeys).subtracting(printed) == alternatives)
        #expect(printed.subtracting(HeraldSettings.knownKeys) == ["publish.routes"])  // [[publish.routes]]
    }

    @Test func theTextParsesBackToTheSettingsWithEachSecretAsStars() throws {
        let settings = try ConfigLoader.parse(Self.busy, fileName: "proxy.conf")
        var expected = settings
        expected.publish.token = "***"
        expected.publish.signingSecrets = [try SigningSecret(parsing: "***"), try SigningSecret(parsing: "***")]
        expected.redis?.password = "***"
        #expect(try ConfigLoader.parse(settings.configText(), fileName: "printed.conf") == expected)
    }

    @Test func noSecretIsPrinted() throws {
        let text = try ConfigLoader.parse(Self.busy, fileName: "proxy.conf").configText()
        for secret in ["publisher-secret", "aGVyYWxkLXRlc3Qta2V5LW9uZS0yNGJ5", "github-secret", "redis-secret"] {
            #expect(!text.contains(secret), "\(secret) printed")
        }
        #expect(text.contains(#"token = "***""#))
    }

    @Test func aTokenFromAFileIsNamedByItsPath() {
        var settings = HeraldSettings()
        settings.publish.token = "from-the-file"
        settings.publish.tokenFile = "/etc/herald/token"
        let text = settings.configText()
        #expect(text.contains(#"token_file = "/etc/herald/token""#))
        #expect(!text.contains("from-the-file"))
        #expect(!text.contains("\ntoken ="))
    }
}
