import Testing
@testable import Proxy

@Suite struct ProxyErrorTests {
    @Test func aRefusedUpstreamTellsTheClientNothingOfWhereItIs() {
        let error = ProxyError.upstreamRefused("cannot connect to http://10.0.0.7:3000: refused")
        let response = String(decoding: error.response(), as: UTF8.self)
        #expect(response.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"))
        #expect(response.hasSuffix("\r\n\r\nupstream unavailable\n"))
        #expect(!response.contains("10.0.0.7") && !response.contains("3000"))
    }

    @Test func theLogReasonKeepsTheDetail() {
        #expect(ProxyError.upstreamRefused("cannot connect to http://10.0.0.7:3000: refused").logReason
            == "upstream unavailable: cannot connect to http://10.0.0.7:3000: refused")
        #expect(ProxyError.upstreamTimedOut.logReason == "upstream did not answer in time")
    }
}
