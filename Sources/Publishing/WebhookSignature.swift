// Verifies a signed webhook: the Standard Webhooks scheme or GitHub's.
//
// Standard Webhooks: `webhook-signature` holds space-separated `v1,<base64>` entries, each an
// HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>`; one matching entry under one secret
// suffices (a sender rotating its secret signs with both), and the timestamp (unix seconds) must
// lie within the tolerance of now, either way, so a captured request cannot be replayed later.
// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, with no timestamp.
//
// Each secret's code is computed once and compared with every entry in constant time
// (swift-crypto's `==` on a MAC), so no timing tells how much of a guess was right.

import Crypto
import EventStream
import Foundation

/// The request's signature headers, as received (nil: absent).
public struct SignatureHeaders: Sendable, Equatable {
    public var webhookID: String?
    public var webhookTimestamp: String?
    public var webhookSignature: String?
    /// `X-Hub-Signature-256`.
    public var hubSignature256: String?

    public init(webhookID: String? = nil, webhookTimestamp: String? = nil, webhookSignature: String? = nil,
                hubSignature256: String? = nil) {
        self.webhookID = webhookID
        self.webhookTimestamp = webhookTimestamp
        self.webhookSignature = webhookSignature
        self.hubSignature256 = hubSignature256
    }

    /// True when the request carries a signature of either scheme.
    public var isSigned: Bool { webhookSignature != nil || hubSignature256 != nil }
}

/// What a signature check found.
public enum SignatureVerdict: Sendable, Equatable {
    /// Signed by one of the secrets. `webhookID` is the Standard Webhooks message id (nil for GitHub).
    case valid(webhookID: String?)
    /// Neither scheme's signature header is present.
    case missing
    /// Refused, with the reason for the 401.
    case invalid(String)
}

/// Checks signatures against the configured secrets.
public struct WebhookSignatureVerifier: Sendable {
    public let secrets: [SigningSecret]
    /// How far `webhook-timestamp` may lie from now, either way.
    public let tolerance: Duration

    /// Bound: a `webhook-signature` header with more entries is refused, so one request cannot
    /// make a loop compare thousands of entries; senders send one, or two while rotating.
    public static let maxSignatures = 16

    public init(secrets: [SigningSecret], tolerance: Duration = .seconds(300)) {
        self.secrets = secrets
        self.tolerance = tolerance
    }

    /// Checks `headers` and `body` at `now` (unix seconds). The Standard Webhooks header wins when
    /// both schemes are present.
    public func verify(_ headers: SignatureHeaders, body: [UInt8], now: Int64) -> SignatureVerdict {
        if let signature = headers.webhookSignature {
            return verifyStandard(signature, id: headers.webhookID, timestamp: headers.webhookTimestamp, body: body, now: now)
        }
        if let signature = headers.hubSignature256 {
            return verifyGitHub(signature, body: body)
        }
        return .missing
    }

    private func verifyStandard(_ header: String, id: String?, timestamp: String?, body: [UInt8], now: Int64) -> SignatureVerdict {
        guard let id, !id.isEmpty else { return .invalid("missing webhook-id header") }
        guard let timestamp else { return .invalid("missing webhook-timestamp header") }
        guard timestamp.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let seconds = Int64(timestamp) else {
            return .invalid("malformed webhook-timestamp header: expected unix seconds")
        }
        let window = tolerance.components.seconds
        guard (now - window...now + window).contains(seconds) else {
            return .invalid("timestamp outside tolerance")
        }
        let entries = header.split(separator: " ")
        guard entries.count <= Self.maxSignatures else { return .invalid("malformed webhook-signature header: too many signatures") }
        // Other versions (v1a: asymmetric) are skipped, as the scheme asks of a receiver that does not know them.
        let codes = entries.compactMap { entry -> Data? in
            guard entry.hasPrefix("v1,") else { return nil }
            return Data(base64Encoded: String(entry.dropFirst(3)))
        }
        guard !codes.isEmpty else { return .invalid("malformed webhook-signature header: expected v1,<base64>") }
        let signedPrefix = Array("\(id).\(timestamp).".utf8)
        for secret in secrets {
            var hmac = HMAC<SHA256>(key: secret.standardKey)
            hmac.update(data: signedPrefix)
            hmac.update(data: body)
            let expected = hmac.finalize()
            if codes.contains(where: { expected == $0 }) { return .valid(webhookID: id) }
        }
        return .invalid("no signature matches")
    }

    private func verifyGitHub(_ header: String, body: [UInt8]) -> SignatureVerdict {
        guard header.hasPrefix("sha256="), let code = Self.hexBytes(header.utf8.dropFirst(7)), code.count == SHA256.byteCount else {
            return .invalid("malformed X-Hub-Signature-256 header: expected sha256=<64 hex digits>")
        }
        for secret in secrets where HMAC<SHA256>.authenticationCode(for: body, using: secret.textKey) == code {
            return .valid(webhookID: nil)
        }
        return .invalid("no signature matches")
    }

    /// Hex digits (either case) as bytes; nil for an odd count or another character.
    static func hexBytes(_ text: Substring.UTF8View) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 2)
        var high: UInt8?
        for character in text {
            guard let value = QueryString.hexValue(character) else { return nil }
            if let first = high {
                bytes.append(first << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return bytes
    }
}
