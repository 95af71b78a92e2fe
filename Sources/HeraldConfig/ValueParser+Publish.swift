import Foundation
import Publishing

/// `publish.signing_secrets_file`: where the secrets were read from, and what they are.
public struct SigningSecretsFile: Sendable, Equatable {
    /// As written in proxy.conf (relative to the working directory); empty: no file.
    public var path = ""
    public var secrets: [SigningSecret] = []

    public init(path: String = "", secrets: [SigningSecret] = []) {
        self.path = path
        self.secrets = secrets
    }
}

extension ValueParser where Value == [SigningSecret] {
    /// An array of secrets: `whsec_<base64>` or text as typed. Messages name a bad entry by its
    /// position and never repeat it: it is a secret.
    static var signingSecrets: Self {
        let expected = "an array of secrets such as [\"whsec_…\"]"
        return Self { value throws(ConfigValueError) in
            guard let array = value.array else { throw ConfigValueError(expected: expected, got: ConfigValueError.describing(value)) }
            var secrets: [SigningSecret] = []
            for (index, element) in array.enumerated() {
                guard let text = element.string else {
                    throw ConfigValueError(expected: "a string at entry \(index + 1)", got: ConfigValueError.describing(element))
                }
                do throws(SigningSecret.Problem) {
                    secrets.append(try SigningSecret(parsing: text))
                } catch {
                    throw ConfigValueError(expected: "whsec_<base64> or a secret as typed at entry \(index + 1)", got: error.description)
                }
            }
            return secrets
        }
    }
}

extension ValueParser where Value == SigningSecretsFile {
    /// A path to a file of secrets, one a line (blank lines and `#` comments skipped). The file is
    /// read here, once, when proxy.conf is loaded, so `--check` reports its problems too.
    static var signingSecretsFile: Self {
        .string(expected: "a path to a file of secrets") { path throws(ConfigValueError) in
            guard !path.isEmpty else { return SigningSecretsFile() }
            let text = try SecretFile.read(path, holding: "of secrets")
            let secrets: [SigningSecret]
            do throws(SigningSecret.LineProblem) {
                secrets = try SigningSecret.parseLines(text)
            } catch {
                throw ConfigValueError(expected: "whsec_<base64> or a secret as typed on each line",
                                       got: "\(error.problem) on line \(error.line) of \(ConfigValueError.quoted(path))")
            }
            guard !secrets.isEmpty else {
                throw ConfigValueError(expected: "a file holding at least one secret", got: ConfigValueError.quoted(path) + " (none)")
            }
            return SigningSecretsFile(path: path, secrets: secrets)
        }
    }
}

/// `publish.token_file`: where the token was read from, and the token.
struct TokenFile: Equatable {
    /// As written in proxy.conf (relative to the working directory); empty: no file.
    var path = ""
    var token = ""
}

extension ValueParser where Value == TokenFile {
    /// A path to a file holding the bearer token, read once when proxy.conf is loaded (so `--check`
    /// reports its problems too). The line ends at the end of the file (`echo token > file` and
    /// editors add a newline) are not part of the token. Messages never repeat the token.
    static var tokenFile: Self {
        .string(expected: "a path to a file holding the token") { path throws(ConfigValueError) in
            guard !path.isEmpty else { return TokenFile() }
            var token = try SecretFile.read(path, holding: "holding the token")
            while let last = token.unicodeScalars.last, last == "\n" || last == "\r" { token.unicodeScalars.removeLast() }
            guard !token.isEmpty else {
                throw ConfigValueError(expected: "a file holding the token", got: ConfigValueError.quoted(path) + " (empty)")
            }
            try ValueParser<String>.checkToken(token, whereFrom: " of " + ConfigValueError.quoted(path))
            return TokenFile(path: path, token: token)
        }
    }
}
