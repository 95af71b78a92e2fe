import Testing
@testable import Publishing

// Known answers computed outside Swift, with Python's hmac:
//   base64(hmac.new(key, b"<id>.<timestamp>." + body, hashlib.sha256).digest())   (Standard Webhooks)
//   hmac.new(secret_text.encode(), body, hashlib.sha256).hexdigest()              (GitHub)
@Suite struct WebhookSignatureVerifierTests {
    // whsec_ + base64 of b"herald-test-key-one-24by" and b"herald-test-key-two-24by".
    static let one = "whsec_aGVyYWxkLXRlc3Qta2V5LW9uZS0yNGJ5"
    static let two = "whsec_aGVyYWxkLXRlc3Qta2V5LXR3by0yNGJ5"
    static let body = Array(#"{"channel":"orders","data":"paid"}"#.utf8)
    static let id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
    static let timestamp: Int64 = 1_765_000_000
    static let signedByOne = "v1,zSqPm449ALt5QSoXe3CcwD6oZiWH/rgePLq0AGAAPws="
    static let signedByTwo = "v1,IYYWjWNFukkcb7Har8qPpM3av2mwCxRjFhCYWsGZL2A="

    private func verifier(_ secrets: [String]) throws -> WebhookSignatureVerifier {
        WebhookSignatureVerifier(secrets: try secrets.map { try SigningSecret(parsing: $0) }, tolerance: .seconds(300))
    }

    private func standard(_ signature: String, id: String? = Self.id, timestamp: String? = String(Self.timestamp)) -> SignatureHeaders {
        SignatureHeaders(webhookID: id, webhookTimestamp: timestamp, webhookSignature: signature)
    }

    @Test func theSpecificationsOwnExampleIsValid() throws {
        // The test vector of the Standard Webhooks specification.
        let verifier = try verifier(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        let headers = SignatureHeaders(webhookID: "msg_p5jXN8AQM9LWM0D4loKWxJek", webhookTimestamp: "1614265330",
                                       webhookSignature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(verifier.verify(headers, body: Array(#"{"test": 2432232314}"#.utf8), now: 1_614_265_330)
            == .valid(webhookID: "msg_p5jXN8AQM9LWM0D4loKWxJek"))
    }

    @Test func aValidSignatureGivesTheWebhookID() throws {
        #expect(try verifier([Self.one]).verify(standard(Self.signedByOne), body: Self.body, now: Self.timestamp) == .valid(webhookID: Self.id))
    }

    @Test func aWrongSecretAChangedBodyOrAChangedIdMatchNothing() throws {
        let verifier = try verifier([Self.one])
        #expect(verifier.verify(standard(Self.signedByTwo), body: Self.body, now: Self.timestamp) == .invalid("no signature matches"))
        #expect(verifier.verify(standard(Self.signedByOne), body: Self.body + [0x20], now: Self.timestamp) == .invalid("no signature matches"))
        #expect(verifier.verify(standard(Self.signedByOne, id: "msg_other"), body: Self.body, now: Self.timestamp)
            == .invalid("no signature matches"))
    }

    @Test func theTimestampMustLieWithinTheToleranceEitherWay() throws {
        let verifier = try verifier([Self.one])
        for now in [Self.timestamp - 300, Self.timestamp + 300] {
            #expect(verifier.verify(standard(Self.signedByOne), body: Self.body, now: now) == .valid(webhookID: Self.id))
        }
        // expired (sent 301 s ago) and from the future (301 s ahead)
        for now in [Self.timestamp + 301, Self.timestamp - 301] {
            #expect(verifier.verify(standard(Self.signedByOne), body: Self.body, now: now) == .invalid("timestamp outside tolerance"))
        }
    }

    @Test func duringARotationEitherSecretMayMatch() throws {
        let verifier = try verifier([Self.one, Self.two])
        #expect(verifier.verify(standard(Self.signedByTwo), body: Self.body, now: Self.timestamp) == .valid(webhookID: Self.id))
        #expect(verifier.verify(standard(Self.signedByOne), body: Self.body, now: Self.timestamp) == .valid(webhookID: Self.id))
    }

    @Test func oneMatchingEntryAmongSeveralSuffices() throws {
        let verifier = try verifier([Self.two])
        let header = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v1a,ignoredAsymmetric \(Self.signedByOne) \(Self.signedByTwo)"
        #expect(verifier.verify(standard(header), body: Self.body, now: Self.timestamp) == .valid(webhookID: Self.id))
    }

    @Test(arguments: [
        ("v1,not base64!", "malformed webhook-signature header: expected v1,<base64>"),
        ("v2,zSqPm449ALt5QSoXe3CcwD6oZiWH/rgePLq0AGAAPws=", "malformed webhook-signature header: expected v1,<base64>"),
        ("", "malformed webhook-signature header: expected v1,<base64>"),
    ])
    func aMalformedSignatureHeaderIsNamed(header: String, reason: String) throws {
        #expect(try verifier([Self.one]).verify(standard(header), body: Self.body, now: Self.timestamp) == .invalid(reason))
    }

    @Test func tooManyEntriesAreRefusedBeforeAnyIsCompared() throws {
        let header = Array(repeating: Self.signedByOne, count: WebhookSignatureVerifier.maxSignatures + 1).joined(separator: " ")
        #expect(try verifier([Self.one]).verify(standard(header), body: Self.body, now: Self.timestamp)
            == .invalid("malformed webhook-signature header: too many signatures"))
    }

    @Test func theIdAndTimestampHeadersAreRequiredAndTheTimestampIsUnixSeconds() throws {
        let verifier = try verifier([Self.one])
        #expect(verifier.verify(standard(Self.signedByOne, id: nil), body: Self.body, now: Self.timestamp) == .invalid("missing webhook-id header"))
        #expect(verifier.verify(standard(Self.signedByOne, timestamp: nil), body: Self.body, now: Self.timestamp)
            == .invalid("missing webhook-timestamp header"))
        for bad in ["-1765000000", "1765000000.5", "2025-12-06T00:00:00Z", "99999999999999999999"] {
            #expect(verifier.verify(standard(Self.signedByOne, timestamp: bad), body: Self.body, now: Self.timestamp)
                == .invalid("malformed webhook-timestamp header: expected unix seconds"))
        }
    }

    @Test func noSignatureHeaderIsMissing() throws {
        #expect(try verifier([Self.one]).verify(SignatureHeaders(webhookID: Self.id), body: Self.body, now: Self.timestamp) == .missing)
    }

    // GitHub's documented example: secret "It's a Secret to Everybody", body "Hello, World!".
    static let gitHubSecret = "It's a Secret to Everybody"
    static let gitHubSignature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

    @Test func aValidGitHubSignatureHasNoWebhookID() throws {
        let verifier = try verifier([Self.one, Self.gitHubSecret])
        #expect(verifier.verify(SignatureHeaders(hubSignature256: Self.gitHubSignature), body: Array("Hello, World!".utf8), now: 0)
            == .valid(webhookID: nil))
        // Upper-case hex is the same code.
        #expect(verifier.verify(SignatureHeaders(hubSignature256: Self.gitHubSignature.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256=")),
                                body: Array("Hello, World!".utf8), now: 0) == .valid(webhookID: nil))
    }

    @Test func gitHubSignsWithAWhsecSecretAsTyped() throws {
        // hmac.new(b"whsec_aGVyYWxkLXRlc3Qta2V5LW9uZS0yNGJ5", body, sha256).hexdigest()
        let signature = "sha256=eb00f316f13f0eab0366ece6e7a344ee27dc6394b079f40998ed538e95ceff92"
        #expect(try verifier([Self.one]).verify(SignatureHeaders(hubSignature256: signature), body: Self.body, now: 0) == .valid(webhookID: nil))
    }

    @Test func aWrongGitHubSignatureMatchesNothing() throws {
        let verifier = try verifier([Self.gitHubSecret])
        #expect(verifier.verify(SignatureHeaders(hubSignature256: Self.gitHubSignature), body: Array("Hello, World?".utf8), now: 0)
            == .invalid("no signature matches"))
    }

    @Test(arguments: ["sha1=757107ea0eb2509fc211221cce984b8a37570b6d", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1",
                      "sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "sha256=", "757107ea"])
    func aMalformedGitHubHeaderIsNamed(header: String) throws {
        #expect(try verifier([Self.gitHubSecret]).verify(SignatureHeaders(hubSignature256: header), body: [], now: 0)
            == .invalid("malformed X-Hub-Signature-256 header: expected sha256=<64 hex digits>"))
    }

    @Test func theStandardHeaderIsCheckedWhenBothSchemesArePresent() throws {
        var headers = standard(Self.signedByTwo)
        headers.hubSignature256 = Self.gitHubSignature
        #expect(try verifier([Self.one, Self.gitHubSecret]).verify(headers, body: Self.body, now: Self.timestamp) == .invalid("no signature matches"))
    }
}
