import HTTP1
import Testing
@testable import Proxy

@Suite struct ForwardingStateMachineTests {
    // MARK: Waiting for a head

    @Test func theIdleTimerClosesAConnectionWithoutARequest() {
        var machine = ForwardingStateMachine()
        #expect(machine.headTimerFired(headerTimeout: .seconds(10)).name == "close")
    }

    @Test func aHeadInPiecesArmsTheHeaderTimerOnceAndItsFiringIsA408() throws {
        var machine = ForwardingStateMachine()
        #expect(machine.requestHeadIncomplete().name == "armHeaderTimer")
        #expect(machine.requestHeadIncomplete().isNone)
        let failure = try #require(machine.headTimerFired(headerTimeout: .seconds(10)).failure)
        #expect(failure.error.status == 408 && failure.error.source == .downstream)
        #expect(!failure.forwarded && failure.exchange == nil && failure.upstreamError == nil)
        #expect(machine.state.name == "closing")
    }

    @Test func drainingClosesAConnectionBetweenRequestsAndGivesANewOneTheHeaderTimeout() {
        var fresh = ForwardingStateMachine()
        #expect(fresh.drainBegan(inputEmpty: true).name == "armHeaderTimer")
        var withInput = ForwardingStateMachine()
        #expect(withInput.drainBegan(inputEmpty: false).isNone)

        var harness = ForwardingHarness()
        _ = harness.forward("GET / HTTP/1.1\r\nHost: a\r\n")
        _ = harness.responseHead("HTTP/1.1 204 No Content\r\n")
        #expect(harness.responseBody("").finish?.keepAlive == true)
        #expect(harness.machine.state.name == "awaitingHead")
        #expect(harness.machine.drainBegan(inputEmpty: true).name == "close")
    }

    @Test func aLocalAnswerKeepsTheConnectionOrClosesItLingeringForABody() {
        var machine = ForwardingStateMachine()
        #expect(machine.answeredLocally(keepAlive: true, requestMayHaveBody: false).name == "awaitHead")
        guard case .closeWhenFlushed(let lingering) = machine.answeredLocally(keepAlive: false, requestMayHaveBody: true) else {
            Issue.record("expected closeWhenFlushed")
            return
        }
        #expect(lingering && machine.state.name == "closing")
    }

    // MARK: A whole exchange

    @Test func aRequestWithoutBodyIsSentAtOnceAndItsResponseKeepsBothConnections() throws {
        var harness = ForwardingHarness()
        let (exchange, sent) = harness.forward("GET /a HTTP/1.1\r\nHost: a\r\n")
        #expect(sent.name == "armUpstreamTimer" && exchange.requestSentAt == harness.now)
        harness.advance(.milliseconds(30))
        let (_, head) = harness.responseHead("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n")
        #expect(head.relayedKeepAlive == true && exchange.status == 200)
        #expect(exchange.headAt == harness.now && exchange.headAt! - exchange.startedAt! == .milliseconds(30))
        #expect(harness.machine.upstreamInput == .body)
        #expect(harness.responseBody("he").name == "limitDownstreamBacklog")
        let finish = try #require(harness.responseBody("llo").finish)
        #expect(finish == .init(upstreamReusable: true, endsBody: nil, keepAlive: true, requestComplete: true))
        #expect(exchange.bytesSent == 5 && harness.sentToClient == Array("hello".utf8))
        guard case .awaitingHead(let wait) = harness.machine.state else { throw Unexpected.state }
        #expect(wait == .init(started: false, afterExchange: true))
    }

    @Test func pipelinedRequestsAreForwardedOneAfterTheOtherOnTheSameConnection() throws {
        var harness = ForwardingHarness()
        var statuses: [Int] = []
        for (index, status) in [200, 404, 201].enumerated() {
            let (exchange, _) = harness.forward("GET /\(index) HTTP/1.1\r\nHost: a\r\n", pooled: index > 0)
            _ = harness.responseHead("HTTP/1.1 \(status) X\r\nContent-Length: 0\r\n")
            #expect(harness.responseBody("").finish?.upstreamReusable == true)
            statuses.append(exchange.status)
            #expect(harness.machine.state.name == "awaitingHead")
        }
        #expect(statuses == [200, 404, 201])
    }

    @Test func aClientAskingForCloseGetsItsAnswerThenTheClose() throws {
        var harness = ForwardingHarness()
        _ = harness.forward("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n")
        #expect(harness.responseHead("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n").1.relayedKeepAlive == false)
        #expect(harness.responseBody("").finish?.keepAlive == false)
        #expect(harness.machine.state.name == "closing")
    }

    @Test func aChunkedRequestBodyIsPumpedAsItComesAndTheTimerStartsWhenItIsWhole() {
        var harness = ForwardingHarness()
        let (exchange, first) = harness.forward("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n")
        #expect(first.name == "limitUpstreamBacklog" && exchange.requestSentAt == nil)
        #expect(harness.requestBody("3\r\nabc\r\n").name == "limitUpstreamBacklog")
        harness.advance(.seconds(1))
        #expect(harness.requestBody("0\r\n\r\n").name == "armUpstreamTimer" && exchange.requestSentAt == harness.now)
        #expect(harness.sentUpstream == Array("3\r\nabc\r\n0\r\n\r\n".utf8))
    }

    @Test func anInvalidRequestBodyIsA400BeforeTheResponseAndAnAbortAfter() throws {
        var harness = ForwardingHarness()
        _ = harness.forward("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n")
        let failure = try #require(harness.requestBody("zz\r\n").failure)
        #expect(failure.error.source == .downstream && failure.forwarded && failure.closesUpstream)

        var late = ForwardingHarness()
        let (exchange, _) = late.forward("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n")
        _ = late.responseHead("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n")
        guard case .abort(let aborted, _, let kind, _) = late.requestBody("zz\r\n") else { throw Unexpected.action }
        #expect(aborted === exchange && kind == nil && exchange.status == 200)
    }

    // MARK: Timers

    @Test func theUpstreamTimerIsA504UntilTheHeadAndNothingAfter() throws {
        var harness = ForwardingHarness()
        _ = harness.forward("GET / HTTP/1.1\r\nHost: a\r\n")
        var copy = harness
        let failure = try #require(copy.machine.upstreamTimerFired().failure)
        #expect(failure.error.status == 504 && failure.upstreamError == .timeout && failure.forwarded && failure.exchange != nil)
        _ = harness.responseHead("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n")
        #expect(harness.machine.upstreamTimerFired().isNone)
        #expect(harness.machine.headTimerFired(headerTimeout: .seconds(1)).isNone)
    }

    // MARK: Early answers

    @Test func anAnswerBeforeTheRequestBodyClosesTheClientLingeringAndDropsTheUpstream() throws {
        var harness = ForwardingHarness()
        let (exchange, first) = harness.forward("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n")
        #expect(first.name == "limitUpstreamBacklog")
        #expect(harness.requestBody("abc").name == "limitUpstreamBacklog")
        let (_, head) = harness.responseHead("HTTP/1.1 413 Too Large\r\nContent-Length: 2\r\n")
        #expect(head.relayedKeepAlive == true && exchange.requestSentAt == nil)
        let finish = try #require(harness.responseBody("no").finish)
        #expect(finish == .init(upstreamReusable: false, endsBody: nil, keepAlive: false, requestComplete: false))
        #expect(harness.machine.state.name == "closing")
    }

    @Test func interimHeadsAreRelayedToHTTP11ClientsOnly() {
        var harness = ForwardingHarness()
        _ = harness.forward("GET / HTTP/1.1\r\nHost: a\r\n")
        #expect(harness.responseHead("HTTP/1.1 100 Continue\r\n").1.name == "relayInterimHead")
        #expect(harness.machine.upstreamInput == .responseHead)
        var old = ForwardingHarness()
        _ = old.forward("GET / HTTP/1.0\r\nHost: a\r\n")
        #expect(old.responseHead("HTTP/1.1 103 Early Hints\r\n").1.isNone)
    }

    @Test func badFramingBehindTheHeadIsA502BeforeAnythingIsSent() throws {
        var harness = ForwardingHarness()
        _ = harness.forward("GET / HTTP/1.1\r\nHost: a\r\n")
        let failure = try #require(harness.responseHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n", framingBehind: "zz\r\n").1.failure)
        #expect(failure.error.status == 502 && failure.upstreamError == .badResponse)
    }

    // MARK: Ends

    @Test func aCloseDelimitedBodyEndsWithTheUpstreamAndTheClientConnectionCloses() throws {
        var harness = ForwardingHarness()
        _ = harness.forward("GET / HTTP/1.1\r\nHost: a\r\n")
        #expect(harness.responseHead("HTTP/1.1 200 OK\r\n").1.relayedKeepAlive == true)
        #expect(harness.machine.readsUntilUpstreamEnds)
        #expect(harness.responseBody("all of it").name == "limitDownstreamBacklog")
        let finish = try #require(harness.machine.upstreamEnded(.closed, receivedNothing: false, detail: "closed by peer", target: "app").finish)
        #expect(finish == .init(upstreamReusable: false, endsBody: .chunked, keepAlive: true, requestComplete: true))
    }

    @Test func anUpstreamCutMidBodyAbortsAndTheClientSeesTheStatusItGot() throws {
        var harness = ForwardingHarness()
        let (exchange, _) = harness.forward("GET / HTTP/1.1\r\nHost: a\r\n")
        _ = harness.responseHead("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n")
        _ = harness.responseBody("abc")
        #expect(!harness.machine.readsUntilUpstreamEnds)
        guard case .abort(_, let reason, let kind, let resetsClient) = harness.machine.upstreamEnded(
            .closed, receivedNothing: false, detail: "reset", target: "app") else { throw Unexpected.action }
        #expect(reason == "upstream reset mid-body" && kind == .reset && exchange.status == 200 && !resetsClient)
    }

    @Test func anUpstreamCutMidBodyResetsAnHTTP10ClientWhoseBodyEndsWithTheConnection() throws {
        // Chunked upstream, HTTP/1.0 client: relayed close-delimited, so a close would read as the end.
        var harness = ForwardingHarness()
        _ = harness.forward("GET / HTTP/1.0\r\nHost: a\r\n")
        #expect(harness.responseHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n").1.relayedKeepAlive == false)
        _ = harness.responseBody("3\r\nabc\r\n")
        guard case .abort(_, _, _, let resetsClient) = harness.machine.upstreamEnded(
            .closed, receivedNothing: false, detail: "reset", target: "app") else { throw Unexpected.action }
        #expect(resetsClient)
    }

    @Test func theClientLeavingMidExchangeAbandonsItAsA499() throws {
        var harness = ForwardingHarness()
        let (exchange, _) = harness.forward("GET / HTTP/1.1\r\nHost: a\r\n")
        guard case .abandon(let abandoned) = harness.machine.downstreamEnded() else { throw Unexpected.action }
        #expect(abandoned === exchange && exchange.status == 499 && harness.machine.state.name == "closing")
        var idle = ForwardingStateMachine()
        #expect(idle.downstreamEnded().name == "close")
    }

    @Test func anUpstreamThatNeverAnsweredIsA502SayingHow() throws {
        var harness = ForwardingHarness()
        _ = harness.forward("GET / HTTP/1.1\r\nHost: a\r\n")
        var refused = harness
        let connect = try #require(refused.machine.upstreamEnded(.connectFailed, receivedNothing: true, detail: "refused", target: "app").failure)
        #expect(connect.error.detail == "cannot connect to app: refused" && connect.upstreamError == .connect)
        let reset = try #require(harness.machine.upstreamEnded(.closed, receivedNothing: true, detail: "reset", target: "app").failure)
        #expect(reset.error.detail == "connection reset before a response" && reset.upstreamError == .reset)
    }

    // MARK: Retry on a stale pooled connection

    @Test func anIdempotentRequestOnAStalePooledConnectionIsRetriedOnce() throws {
        var harness = ForwardingHarness()
        let (exchange, _) = harness.forward("GET / HTTP/1.1\r\nHost: a\r\n", pooled: true)
        guard case .retry(let retried) = harness.machine.upstreamEnded(.closed, receivedNothing: true, detail: "closed", target: "app") else {
            throw Unexpected.action
        }
        #expect(retried === exchange)
        harness.advance(.seconds(2))
        #expect(harness.requestBody("").name == "armUpstreamTimer" && exchange.requestSentAt == harness.now)
        #expect(harness.machine.upstreamEnded(.closed, receivedNothing: true, detail: "closed", target: "app").failure?.error.status == 502)
    }

    @Test func noRetryForABodyAnAnswerStartedATimeoutOrAFreshConnection() {
        for (request, pooled, end, nothing) in [
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n", true, ForwardingStateMachine.UpstreamEnd.closed, true),
            ("POST / HTTP/1.1\r\nHost: a\r\n", true, .closed, true),
            ("GET / HTTP/1.1\r\nHost: a\r\n", true, .closed, false),
            ("GET / HTTP/1.1\r\nHost: a\r\n", true, .timedOut, true),
            ("GET / HTTP/1.1\r\nHost: a\r\n", false, .closed, true),
        ] {
            var harness = ForwardingHarness()
            _ = harness.forward(request, pooled: pooled)
            #expect(harness.machine.upstreamEnded(end, receivedNothing: nothing, detail: "x", target: "app").failure != nil)
        }
        var interim = ForwardingHarness()
        _ = interim.forward("GET / HTTP/1.1\r\nHost: a\r\n", pooled: true)
        _ = interim.responseHead("HTTP/1.1 100 Continue\r\n")
        #expect(interim.machine.upstreamEnded(.closed, receivedNothing: true, detail: "x", target: "app").failure != nil)
    }

    // MARK: Upgrade

    @Test func a101OpensATunnelThatEndsWithEitherSide() throws {
        var harness = ForwardingHarness()
        let (exchange, _) = harness.forward("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n")
        guard case .openTunnel(let tunnelled) = harness.responseHead("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n").1 else {
            throw Unexpected.action
        }
        #expect(tunnelled === exchange && exchange.status == 101 && harness.machine.state.name == "tunnel")
        #expect(harness.machine.upstreamInput == .none)
        var byClient = harness
        guard case .endTunnel(.downstream) = byClient.machine.downstreamEnded() else { throw Unexpected.action }
        guard case .endTunnel(.upstream) = harness.machine.upstreamEnded(.closed, receivedNothing: false, detail: "x", target: "app") else {
            throw Unexpected.action
        }
        #expect(harness.machine.state.name == "closing" && byClient.machine.state.name == "closing")
    }

    @Test func a101WithoutAnUpgradeRequestIsA502() throws {
        var harness = ForwardingHarness()
        _ = harness.forward("GET / HTTP/1.1\r\nHost: a\r\n")
        let failure = try #require(harness.responseHead("HTTP/1.1 101 Switching Protocols\r\n").1.failure)
        #expect(failure.error.status == 502 && failure.closesUpstream)
    }

    // MARK: GRIP hold

    @Test func aGripHoldReadsTheInitialBodyWholeThenHandsTheClientOver() throws {
        var harness = ForwardingHarness()
        let (exchange, _) = harness.forward("GET /live HTTP/1.1\r\nHost: a\r\n")
        let response = "HTTP/1.1 200 OK\r\nGrip-Hold: stream\r\nGrip-Channel: news\r\nContent-Length: 5\r\n"
        #expect(harness.responseHead(response, grip: 10).1.name == "beginGripHold")
        #expect(harness.machine.upstreamInput == .gripBody && harness.machine.readsUntilUpstreamEnds)
        #expect(harness.gripBody("he").isNone)
        #expect(harness.machine.upstreamTimerFired().failure?.error.status == 504)
        var held = ForwardingHarness()
        _ = held.forward("GET /live HTTP/1.1\r\nHost: a\r\n")
        _ = held.responseHead(response, grip: 10)
        guard case .holdGripStream(_, let hold) = held.gripBody("hello") else { throw Unexpected.action }
        #expect(hold.body == Array("hello".utf8) && hold.upstreamReusable && held.machine.state.name == "closing")
        #expect(exchange.status == 200)
    }

    @Test func aGripBodyOverItsBoundIsA502() throws {
        var harness = ForwardingHarness()
        let size = ForwardingStateMachine.maxGripBodyBytes + 1
        _ = harness.forward("GET /live HTTP/1.1\r\nHost: a\r\n")
        _ = harness.responseHead("HTTP/1.1 200 OK\r\nGrip-Hold: stream\r\nGrip-Channel: news\r\nContent-Length: \(size)\r\n", grip: 10)
        let failure = try #require(harness.gripBody(String(repeating: "x", count: size)).failure)
        #expect(failure.error.status == 502)
    }

    @Test func withGripOffInstructionsAreRelayedAndWithItOnTheirFieldsAreRemoved() throws {
        var off = ForwardingHarness()
        _ = off.forward("GET / HTTP/1.1\r\nHost: a\r\n")
        let (kept, relayed) = off.responseHead("HTTP/1.1 200 OK\r\nGrip-Hold: stream\r\nContent-Length: 0\r\n")
        #expect(relayed.relayedKeepAlive == true)
        #expect(kept.fields.firstString("grip-hold") == "stream")
        var on = ForwardingHarness()
        _ = on.forward("HEAD / HTTP/1.1\r\nHost: a\r\n")
        let (stripped, _) = on.responseHead("HTTP/1.1 200 OK\r\nGrip-Hold: stream\r\nContent-Length: 3\r\n", grip: 10)
        #expect(stripped.fields.firstString("grip-hold") == nil)
    }

    enum Unexpected: Error { case state, action }
}
