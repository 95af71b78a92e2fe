import Testing
@testable import Publishing

@Suite struct PublishAuthorizationTests {
    private func verdict(_ route: PublishAuthorization.Route, signature: SignatureVerdict? = nil, require: Bool = false,
                         bearer: PublishAuthorization.Bearer = .notConfigured, loopback: Bool = true) -> PublishAuthorization.Verdict {
        PublishAuthorization.verdict(route: route, signature: signature, requireSignature: require, bearer: bearer, listenerIsLoopback: loopback)
    }

    @Test func healthIsOpenToAnyone() {
        #expect(verdict(.health, bearer: .missingOrWrong, loopback: false) == .allowed)
    }

    @Test func aValidSignaturePublishesWithoutTheToken() {
        #expect(verdict(.publish, signature: .valid(webhookID: "m"), require: true, bearer: .missingOrWrong, loopback: false) == .allowed)
        #expect(verdict(.publish, signature: .valid(webhookID: nil), bearer: .missingOrWrong) == .allowed)
    }

    @Test func aBadSignatureIsRefusedEvenWithAValidToken() {
        #expect(verdict(.publish, signature: .invalid("no signature matches"), bearer: .valid) == .signatureRefused("no signature matches"))
    }

    @Test func anUnsignedPublishNeedsTheTokenOrIsRefusedWhenSignaturesAreRequired() {
        #expect(verdict(.publish, signature: .missing, require: true, bearer: .valid) == .signatureRefused("missing signature"))
        #expect(verdict(.publish, signature: .missing, bearer: .valid) == .allowed)
        #expect(verdict(.publish, signature: .missing, bearer: .missingOrWrong) == .bearerRefused)
        #expect(verdict(.publish, signature: .missing, bearer: .notConfigured, loopback: true) == .allowed)
    }

    @Test func withoutSecretsTheTokenRuleIsAsBefore() {
        #expect(verdict(.publish, bearer: .notConfigured) == .allowed)
        #expect(verdict(.publish, bearer: .missingOrWrong) == .bearerRefused)
        #expect(verdict(.publish, bearer: .valid, loopback: false) == .allowed)
    }

    @Test func otherRoutesNeedTheTokenAndAreClosedOffLoopbackWithoutOne() {
        // A signature never opens /channels or /metrics: it is checked on publishes only.
        #expect(verdict(.other, signature: .valid(webhookID: "m"), bearer: .missingOrWrong) == .bearerRefused)
        #expect(verdict(.other, bearer: .valid, loopback: false) == .allowed)
        #expect(verdict(.other, require: true, bearer: .notConfigured, loopback: false) == .tokenNeeded)
        #expect(verdict(.other, bearer: .notConfigured, loopback: true) == .allowed)
    }
}

@Suite struct WebhookEventIDTests {
    @Test func oneItemTakesTheIdAndSeveralAreNumberedFromZero() {
        #expect(WebhookEventID.id(forItem: 0, of: 1, webhookID: "msg_1") == "msg_1")
        #expect((0..<3).map { WebhookEventID.id(forItem: $0, of: 3, webhookID: "msg_1") } == ["msg_1-0", "msg_1-1", "msg_1-2"])
    }
}
