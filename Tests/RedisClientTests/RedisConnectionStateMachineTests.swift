// The connection's rules without a socket: completions are numbers, time is a number.

@testable import RedisClient
import Testing

struct RedisConnectionStateMachineTests {
    typealias Machine = RedisConnectionStateMachine<Int>

    static let auth = Machine.HandshakeCommand(name: "AUTH", bytes: Array("auth".utf8))
    static let select = Machine.HandshakeCommand(name: "SELECT", bytes: Array("select".utf8))
    static let ok: Result<RedisReply, RedisError> = .success(.status("OK"))

    private func machine(handshake: [Machine.HandshakeCommand] = [], maxPending: Int = 100, timeout: UInt64 = 1000) -> Machine {
        var machine = Machine(handshake: handshake, maxPending: maxPending, commandTimeout: timeout)
        machine.connecting()
        return machine
    }

    private func ready(maxPending: Int = 100) -> Machine {
        var machine = machine(maxPending: maxPending)
        _ = machine.connected(now: 0)
        return machine
    }

    private func push(_ kind: String, _ channel: String, _ last: RedisReply) -> Result<RedisReply, RedisError> {
        .success(.array([.bulk(kind), .bulk(channel), last]))
    }

    /// Commands sent while AUTH and SELECT are out are held, and go out after both `+OK`s, in order.
    @Test func commandsWaitForTheHandshake() {
        var machine = machine(handshake: [Self.auth, Self.select])
        #expect(machine.send([1], awaiting: .command(1), now: 0) == .held)
        #expect(machine.connected(now: 5) == .handshake(.init(bytes: Array("authselect".utf8), armsTimer: true)))
        #expect(machine.send([2], awaiting: .command(2), now: 6) == .held)
        #expect(machine.received(Self.ok, now: 7) == .none)
        #expect(machine.state == .handshaking)
        #expect(machine.received(Self.ok, now: 8) == .ready(.init(bytes: [1, 2], armsTimer: true)))
        #expect(machine.state == .ready)
        #expect(machine.send([3], awaiting: .command(3), now: 9) == .write(armsTimer: false))
        #expect(machine.received(.success(.integer(1)), now: 10) == .complete(1, .success(.integer(1))))
        #expect(machine.received(.failure(.replied("ERR")), now: 10) == .complete(2, .failure(.replied("ERR"))))
        #expect(machine.received(.success(.null), now: 10) == .complete(3, .success(.null)))
        #expect(machine.pendingCount == 0)
    }

    @Test func withoutAHandshakeTheConnectionIsReadyAtConnect() {
        var machine = machine()
        #expect(machine.connected(now: 0) == .ready(nil))
        #expect(machine.send([1], awaiting: .command(1), now: 0) == .write(armsTimer: true))
        #expect(machine.send([2], awaiting: .command(2), now: 0) == .write(armsTimer: false))
    }

    @Test func anErrorReplyToAuthRefusesTheHandshakeAndFailsWhatWasHeld() {
        var machine = machine(handshake: [Self.auth, Self.select])
        _ = machine.send([1], awaiting: .command(1), now: 0)
        _ = machine.connected(now: 0)
        #expect(machine.received(.failure(.replied("WRONGPASS no")), now: 1) == .close(.handshakeRefused("AUTH: WRONGPASS no")))
        #expect(machine.end(.handshakeRefused("AUTH: WRONGPASS no")) == [1])
        #expect(machine.state == .closed(.handshakeRefused("AUTH: WRONGPASS no")))
        #expect(machine.send([2], awaiting: .command(2), now: 2) == .fail(.handshakeRefused("AUTH: WRONGPASS no")))
        #expect(machine.end(.closed) == nil)
    }

    /// Ending fails the written commands, then the held ones: the order they were sent.
    @Test func endingFailsEveryCommandOnceInTheOrderSent() {
        var machine = ready()
        _ = machine.send([1], awaiting: .command(1), now: 0)
        _ = machine.send([9], awaiting: .subscription(.subscribe, confirmationsLeft: 1), now: 0)
        _ = machine.send([2], awaiting: .command(2), now: 0)
        #expect(machine.end(.connectionLost("gone")) == [1, 2])
        #expect(machine.end(.closed) == nil)
        #expect(machine.received(Self.ok, now: 1) == .none)
        #expect(machine.pendingCount == 0)
    }

    @Test func theBoundOnPendingCommandsFailsTheNextAtOnce() {
        var machine = ready(maxPending: 2)
        #expect(machine.send([1], awaiting: .command(1), now: 0) == .write(armsTimer: true))
        #expect(machine.send([2], awaiting: .command(2), now: 0) == .write(armsTimer: false))
        #expect(machine.send([3], awaiting: .command(3), now: 0) == .fail(.overloaded))
        _ = machine.received(Self.ok, now: 1)
        #expect(machine.send([3], awaiting: .command(3), now: 1) == .write(armsTimer: false))
    }

    @Test func aReplyNobodyWaitsForIsAProtocolError() {
        var machine = ready()
        #expect(machine.received(.failure(.replied("ERR max number of clients reached")), now: 0)
                == .close(.protocolError("a reply no command was waiting for: ERR max number of clients reached")))
    }

    /// The timer closes only when the oldest entry is past the timeout; else it checks again when
    /// that entry would be.
    @Test func theTimerMeasuresTheOldestEntry() {
        var machine = ready()
        #expect(machine.timerFired(now: 5000) == .none)
        _ = machine.send([1], awaiting: .command(1), now: 100)
        _ = machine.send([2], awaiting: .command(2), now: 900)
        #expect(machine.timerFired(now: 1000) == .rearm(afterNanoseconds: 100))
        _ = machine.received(Self.ok, now: 1050)
        #expect(machine.timerFired(now: 1100) == .rearm(afterNanoseconds: 800))
        #expect(machine.timerFired(now: 1900) == .close(.timeout))
    }

    /// Confirmations count down their (UN)SUBSCRIBE; messages pass the FIFO by; PING's `pong`
    /// array and a refusal go to the oldest command.
    @Test func subscriberModeTellsPushesFromReplies() {
        var machine = ready()
        _ = machine.send([0], awaiting: .command(1), now: 0)
        _ = machine.send([0], awaiting: .subscription(.subscribe, confirmationsLeft: 2), now: 0)
        _ = machine.send([0], awaiting: .command(2), now: 0)
        // Before the confirmations, an array shaped like a message is the command's reply.
        let lookAlike = push("message", "a", .bulk("x"))
        #expect(machine.received(lookAlike, now: 1) == .complete(1, lookAlike))
        #expect(!machine.isSubscribed)
        #expect(machine.received(push("subscribe", "a", .integer(1)), now: 1) == .subscribed(channel: Array("a".utf8)))
        #expect(machine.isSubscribed)
        #expect(machine.received(push("message", "a", .bulk("p")), now: 1) == .message(channel: Array("a".utf8), payload: Array("p".utf8)))
        #expect(machine.received(push("subscribe", "b", .integer(2)), now: 1) == .subscribed(channel: Array("b".utf8)))
        let pong: Result<RedisReply, RedisError> = .success(.array([.bulk("pong"), .bulk("")]))
        #expect(machine.received(pong, now: 1) == .complete(2, pong))
        #expect(machine.pendingCount == 0)

        _ = machine.send([0], awaiting: .subscription(.unsubscribe, confirmationsLeft: 2), now: 2)
        #expect(machine.received(push("unsubscribe", "a", .integer(1)), now: 3) == .unsubscribed(channel: Array("a".utf8)))
        #expect(machine.received(push("message", "b", .bulk("late")), now: 3) == .message(channel: Array("b".utf8), payload: Array("late".utf8)))
        #expect(machine.received(push("unsubscribe", "b", .integer(0)), now: 3) == .unsubscribed(channel: Array("b".utf8)))
        #expect(!machine.isSubscribed)
        // Out of subscriber mode, a message-shaped reply is a command's again.
        _ = machine.send([0], awaiting: .command(3), now: 4)
        #expect(machine.received(lookAlike, now: 5) == .complete(3, lookAlike))
    }

    @Test func aConfirmationNobodyAskedForOrARefusedSubscribeEndsTheConnection() {
        var machine = ready()
        _ = machine.send([0], awaiting: .subscription(.subscribe, confirmationsLeft: 1), now: 0)
        #expect(machine.received(push("unsubscribe", "a", .integer(0)), now: 1) == .close(.protocolError("an unexpected unsubscribe confirmation")))

        var refused = ready()
        _ = refused.send([0], awaiting: .subscription(.subscribe, confirmationsLeft: 1), now: 0)
        #expect(refused.received(.failure(.replied("NOPERM no")), now: 1) == .close(.replied("NOPERM no")))
    }
}
