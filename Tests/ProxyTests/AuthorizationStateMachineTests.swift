import HTTP1
import Testing
@testable import Proxy

@Suite struct AuthorizationStateMachineTests {
    /// Feeds `pieces` one by one as a connection's input would grow, keeping what was not consumed.
    private func feed(_ machine: inout AuthorizationStateMachine, _ pieces: [String]) -> AuthorizationStateMachine.Action {
        var input: [UInt8] = []
        for piece in pieces {
            input += Array(piece.utf8)
            let (consumed, action) = input.withUnsafeBytes { machine.received($0) }
            input.removeFirst(consumed)
            if action != .none { return action }
        }
        return .none
    }

    private func answered(_ action: AuthorizationStateMachine.Action) -> (status: Int, body: [UInt8]?, reusable: Bool)? {
        guard case .finish(.answered(let head, let body), let reusable) = action else { return nil }
        return (head.status, body, reusable)
    }

    @Test func aCompleteAnswerInOnePieceFinishesWithItsBodyAndTheConnectionReusable() throws {
        var machine = AuthorizationStateMachine(pooled: false, limits: HTTPLimits())
        let result = try #require(answered(feed(&machine, ["HTTP/1.1 401 Unauthorized\r\nContent-Length: 5\r\n\r\nlogin"])))
        #expect(result.status == 401)
        #expect(result.body == Array("login".utf8))
        #expect(result.reusable)
    }

    @Test func anAnswerSplitAnywhereIsTheSame() throws {
        var machine = AuthorizationStateMachine(pooled: false, limits: HTTPLimits())
        #expect(feed(&machine, ["HTTP/1.1 200 OK\r\nHerald-Chan", "nels: a\r\nContent-Length: 3\r\n\r\no"]) == .none)
        let result = try #require(answered(feed(&machine, ["k\n"])))
        #expect(result.status == 200 && result.body == Array("ok\n".utf8))
    }

    @Test func aChunkedBodyIsDecodedAndInterimHeadsAreSkipped() throws {
        var machine = AuthorizationStateMachine(pooled: false, limits: HTTPLimits())
        let result = try #require(answered(feed(&machine, [
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nno!\r\n0\r\n\r\n",
        ])))
        #expect(result.status == 403 && result.body == Array("no!".utf8))
    }

    @Test func aBodyOverTheBoundIsReadButNotKept() throws {
        var machine = AuthorizationStateMachine(pooled: false, limits: HTTPLimits())
        let size = RelayedResponse.maxBodyBytes + 1
        let result = try #require(answered(feed(&machine, [
            "HTTP/1.1 401 X\r\nContent-Length: \(size)\r\n\r\n", String(repeating: "x", count: size),
        ])))
        #expect(result.status == 401 && result.body == nil && result.reusable)
    }

    @Test func aCloseDelimitedBodyEndsWithTheConnectionAndIsNotReused() throws {
        var machine = AuthorizationStateMachine(pooled: false, limits: HTTPLimits())
        #expect(feed(&machine, ["HTTP/1.1 302 Found\r\nLocation: /login\r\n\r\nsee"]) == .none)
        let result = try #require(answered(machine.ended("closed by peer", receivedNothing: false)))
        #expect(result.status == 302 && result.body == Array("see".utf8) && !result.reusable)
    }

    @Test func connectionCloseMakesTheConnectionNotReusable() throws {
        var machine = AuthorizationStateMachine(pooled: false, limits: HTTPLimits())
        let result = try #require(answered(feed(&machine, ["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"])))
        #expect(!result.reusable)
    }

    @Test func aPooledConnectionThatEndsWithNothingIsRetriedOnceThenA502() {
        var machine = AuthorizationStateMachine(pooled: true, limits: HTTPLimits())
        #expect(machine.ended("closed by peer", receivedNothing: true) == .retry)
        guard case .finish(.failed(let error), reusable: false) = machine.ended("closed by peer", receivedNothing: true) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.status == 502)
    }

    @Test func aNewConnectionThatEndsIsA502AtOnce() {
        var machine = AuthorizationStateMachine(pooled: false, limits: HTTPLimits())
        guard case .finish(.failed(let error), _) = machine.ended("cannot connect: refused", receivedNothing: true) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.status == 502 && error.reason == "upstream unavailable" && error.detail == "cannot connect: refused")
    }

    @Test func anEndMidBodyIsA502() {
        var machine = AuthorizationStateMachine(pooled: true, limits: HTTPLimits())
        #expect(feed(&machine, ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"]) == .none)
        guard case .finish(.failed(let error), _) = machine.ended("closed by peer", receivedNothing: false) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.status == 502)
    }

    @Test func theTimerIsA504UntilTheAnswerIsCompleteAndNothingAfter() {
        var machine = AuthorizationStateMachine(pooled: false, limits: HTTPLimits())
        #expect(feed(&machine, ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"]) == .none)
        #expect(machine.timedOut() == .finish(.failed(.upstreamTimedOut), reusable: false))
        #expect(machine.timedOut() == .none)
        #expect(machine.ended("closed", receivedNothing: true) == .none)
    }

    @Test(arguments: ["HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
                      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"])
    func anAnswerThatIsNotAUsableResponseIsA502(answer: String) {
        var machine = AuthorizationStateMachine(pooled: false, limits: HTTPLimits())
        guard case .finish(.failed(let error), reusable: false) = feed(&machine, [answer]) else {
            Issue.record("expected a failure for \(answer)")
            return
        }
        #expect(error.status == 502)
    }
}
