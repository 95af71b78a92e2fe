import Crypto
import Foundation

/// A secret shared with a webhook sender, as proxy.conf writes it.
///
/// `whsec_<base64>` is the Standard Webhooks form: its key is the decoded bytes. Any other text is
/// a secret typed as is (GitHub's form): its key is its UTF-8 bytes. GitHub signs with the text as
/// typed whatever it looks like, so each secret keeps both keys.
public struct SigningSecret: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    /// The key for `webhook-signature` (Standard Webhooks). Kept as bytes: swift-crypto's
    /// `SymmetricKey` is not `Sendable`, and settings cross threads.
    let standardKeyBytes: [UInt8]
    /// The key for `X-Hub-Signature-256` (GitHub): the text as typed.
    let textKeyBytes: [UInt8]

    var standardKey: SymmetricKey { SymmetricKey(data: standardKeyBytes) }
    var textKey: SymmetricKey { SymmetricKey(data: textKeyBytes) }
    /// The text, for equality only; never logged or shown in a message.
    private let text: String

    public static let standardPrefix = "whsec_"

    /// Why a secret is refused. The messages never repeat the secret.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case empty
        case badBase64

        public var description: String {
            switch self {
            case .empty: "an empty secret"
            case .badBase64: "whsec_ followed by text that is not base64 of at least one byte"
            }
        }
    }

    public init(parsing text: String) throws(Problem) {
        guard !text.isEmpty else { throw .empty }
        if text.hasPrefix(Self.standardPrefix) {
            guard let decoded = Data(base64Encoded: String(text.dropFirst(Self.standardPrefix.count))), !decoded.isEmpty else {
                throw .badBase64
            }
            standardKeyBytes = Array(decoded)
        } else {
            standardKeyBytes = Array(text.utf8)
        }
        textKeyBytes = Array(text.utf8)
        self.text = text
    }

    public static func == (lhs: SigningSecret, rhs: SigningSecret) -> Bool { lhs.text == rhs.text }

    /// Never the secret itself, should settings be printed or dumped.
    public var description: String { "SigningSecret(redacted)" }
    public var customMirror: Mirror { Mirror(self, children: []) }

    /// The secrets of a file: one a line; blank lines and lines starting with `#` are skipped,
    /// white space around a secret is trimmed. A refused line throws its 1-based number.
    public static func parseLines(_ text: String) throws(LineProblem) -> [SigningSecret] {
        var secrets: [SigningSecret] = []
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            do {
                secrets.append(try SigningSecret(parsing: trimmed))
            } catch {
                throw LineProblem(line: index + 1, problem: error)
            }
        }
        return secrets
    }

    /// A refused line of a secrets file.
    public struct LineProblem: Error, Equatable {
        public var line: Int
        public var problem: Problem
    }
}
