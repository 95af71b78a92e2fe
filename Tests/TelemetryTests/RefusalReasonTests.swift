import Testing
@testable import Telemetry

@Suite struct RefusalReasonTests {
    @Test func statusesMapToAFewReasons() {
        #expect(RefusalReason(refusedStatus: 400) == .badRequest)
        #expect(RefusalReason(refusedStatus: 405) == .badRequest)
        #expect(RefusalReason(refusedStatus: 505) == .badRequest)
        #expect(RefusalReason(refusedStatus: 403) == .forbidden)
        #expect(RefusalReason(refusedStatus: 408) == .headerTimeout)
        #expect(RefusalReason(refusedStatus: 413) == .payloadTooLarge)
        #expect(RefusalReason(refusedStatus: 414) == .headTooLarge)
        #expect(RefusalReason(refusedStatus: 431) == .headTooLarge)
        #expect(RefusalReason(subscriberLimitStatus: 429) == .subscribersPerIP)
        #expect(RefusalReason(subscriberLimitStatus: 503) == .maxSubscribers)
        #expect(Set(RefusalReason.allCases.map(\.rawValue)).count == RefusalReason.allCases.count)
    }
}
