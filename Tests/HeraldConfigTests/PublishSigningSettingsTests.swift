import Foundation
import Publishing
import Testing
@testable import HeraldConfig

@Suite struct PublishSigningSettingsTests {
    private func secretsFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-secrets-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func secretsFromTheKeyAndTheFileAreAllUsed() throws {
        let path = try secretsFile("# rotated in\nwhsec_aGVyYWxkLXRlc3Qta2V5LXR3by0yNGJ5\n\ngithub-secret\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let toml = """
            [publish]
            listen = "0.0.0.0:8081"
            signing_secrets = ["whsec_aGVyYWxkLXRlc3Qta2V5LW9uZS0yNGJ5"]
            signing_secrets_file = "\(path)"
            require_signature = true
            signature_tolerance = "90s"
            """
        let settings = try ConfigLoader.parse(toml, fileName: "proxy.conf")
        #expect(settings.publish.allSigningSecrets == [
            try SigningSecret(parsing: "whsec_aGVyYWxkLXRlc3Qta2V5LW9uZS0yNGJ5"),
            try SigningSecret(parsing: "whsec_aGVyYWxkLXRlc3Qta2V5LXR3by0yNGJ5"),
            try SigningSecret(parsing: "github-secret"),
        ])
        #expect(settings.publish.requireSignature)
        #expect(settings.publish.signatureTolerance == .seconds(90))
    }

    @Test func badValuesAreReportedTogetherWithoutRepeatingASecret() {
        let toml = """
            [publish]
            signing_secrets = ["whsec_%%%", 7]
            signing_secrets_file = "/nonexistent/herald-secrets"
            require_signature = "yes"
            signature_tolerance = "2h"
            """
        #expect(ConfigLoader.problems(in: toml) == [
            "proxy.conf: [publish] signing_secrets: expected whsec_<base64> or a secret as typed at entry 1, "
                + "got whsec_ followed by text that is not base64 of at least one byte",
            #"proxy.conf: [publish] signing_secrets_file: expected a readable file of secrets, got "/nonexistent/herald-secrets" (cannot be read)"#,
            "proxy.conf: [publish] require_signature: expected true or false, got \"yes\"",
            "proxy.conf: [publish] signature_tolerance: expected a duration from 1s to 1h, got \"2h\"",
        ])
    }

    @Test func aBadLineOfTheFileIsNamed() throws {
        let path = try secretsFile("ok-secret\nwhsec_!!\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(ConfigLoader.problems(in: "[publish]\nsigning_secrets_file = \"\(path)\"\n") == [
            "proxy.conf: [publish] signing_secrets_file: expected whsec_<base64> or a secret as typed on each line, "
                + "got whsec_ followed by text that is not base64 of at least one byte on line 2 of \"\(path)\"",
        ])
    }

    @Test func aSecretFileIsReadOnlyUpToItsBound() throws {
        // /dev/zero never ends: read whole, it would fill memory; a file one byte over is refused too.
        #expect(ConfigLoader.problems(in: "[publish]\ntoken_file = \"/dev/zero\"\n") == [
            #"proxy.conf: [publish] token_file: expected a file holding the token of at most 64 KiB, got "/dev/zero" (larger)"#,
        ])
        let path = try secretsFile(String(repeating: "s", count: SecretFile.maxBytes + 1))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(ConfigLoader.problems(in: "[publish]\nsigning_secrets_file = \"\(path)\"\n") == [
            "proxy.conf: [publish] signing_secrets_file: expected a file of secrets of at most 64 KiB, got \"\(path)\" (larger)",
        ])
        let fits = try secretsFile(String(repeating: "s", count: SecretFile.maxBytes - 1) + "\n")
        defer { try? FileManager.default.removeItem(atPath: fits) }
        #expect(ConfigLoader.problems(in: "[publish]\nsigning_secrets_file = \"\(fits)\"\n").isEmpty)
    }

    @Test func aFileWithoutSecretsIsRefused() throws {
        let path = try secretsFile("# nothing yet\n\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(ConfigLoader.problems(in: "[publish]\nsigning_secrets_file = \"\(path)\"\n") == [
            "proxy.conf: [publish] signing_secrets_file: expected a file holding at least one secret, got \"\(path)\" (none)",
        ])
    }

    @Test func requiringASignatureNeedsASecret() {
        #expect(ConfigLoader.problems(in: "[publish]\nrequire_signature = true\n") == [
            "proxy.conf: [publish] require_signature: expected a secret in signing_secrets or signing_secrets_file, got true",
        ])
    }

    @Test func requiredSignaturesOpenANonLoopbackListenerWithoutAToken() {
        let toml = "[publish]\nlisten = \"0.0.0.0:8081\"\nrequire_signature = true\nsigning_secrets = [\"s\"]\n"
        #expect(ConfigLoader.problems(in: toml) == [])
        // Secrets alone do not: an unsigned publish would still be open to the network.
        #expect(ConfigLoader.problems(in: "[publish]\nlisten = \"0.0.0.0:8081\"\nsigning_secrets = [\"s\"]\n") == [
            "proxy.conf: [publish] token: expected a token (or require_signature = true) when publish.listen (0.0.0.0:8081) is not loopback",
        ])
    }
}
