/// The rules of one Redis connection, without IO: when commands go out, which reply belongs to
/// which command, when the connection is ready and why it ends. `RedisConnection` performs the
/// actions; tests drive it with plain values (`Completion` is whatever the owner calls back: a
/// closure there, a number in tests).
///
///     idle ─connect─▶ connecting ─connected─▶ handshaking ─last +OK─▶ ready
///                          │          (no AUTH, no SELECT: straight to ready) │
///                          └──── ended, refused, timeout, protocol error ─────┴─▶ closed
///
/// Replies come in the order their commands were sent, so one FIFO of what is awaited matches
/// them; the one exception is subscriber mode, where the server also pushes messages and
/// (un)subscribe confirmations, which are told apart by their shape (see `received`).
struct RedisConnectionStateMachine<Completion> {
    enum State: Equatable {
        /// Made; accepts connect. Commands are held.
        case idle
        /// The socket connects; accepts connected, ended. Commands are held.
        case connecting
        /// AUTH and SELECT went out; accepts replies (`+OK` moves on, anything else refuses),
        /// timer, ended. Commands are held: sent before AUTH they would fail, before SELECT they
        /// would land in the wrong database.
        case handshaking
        /// Accepts commands (sent at once), replies, timer, ended.
        case ready
        /// Over; commands fail at once with the reason, every other event is ignored.
        case closed(RedisError)
    }

    /// AUTH or SELECT: its name (for the refusal's message) and its RESP bytes.
    struct HandshakeCommand: Equatable {
        var name: String
        var bytes: [UInt8]
    }

    enum SubscriptionChange: Equatable {
        case subscribe, unsubscribe
    }

    /// What the server owes a reply (or replies) for.
    enum Awaiting {
        /// AUTH or SELECT, named: `+OK` expected.
        case handshake(String)
        case command(Completion)
        /// SUBSCRIBE or UNSUBSCRIBE: one confirmation per channel named, these many still to come.
        case subscription(SubscriptionChange, confirmationsLeft: Int)
    }

    /// Bytes to write, and whether the command timer starts (nothing was in flight).
    struct Write: Equatable {
        var bytes: [UInt8]
        var armsTimer: Bool
    }

    enum ConnectedAction: Equatable {
        case none
        /// Write AUTH/SELECT.
        case handshake(Write)
        /// Ready: tell the owner, after writing the commands held meanwhile (if any).
        case ready(Write?)
    }

    enum SendAction: Equatable {
        /// Write the command now.
        case write(armsTimer: Bool)
        /// Kept until the handshake is over.
        case held
        case fail(RedisError)
    }

    enum ReplyAction {
        case none
        case complete(Completion, Result<RedisReply, RedisError>)
        case message(channel: [UInt8], payload: [UInt8])
        case subscribed(channel: [UInt8])
        case unsubscribed(channel: [UInt8])
        /// The handshake is over: as `ConnectedAction.ready`.
        case ready(Write?)
        /// End the connection (`end(_:)`) for this reason.
        case close(RedisError)
    }

    enum TimerAction: Equatable {
        case none
        /// The oldest entry is younger than the timeout: check again this many nanoseconds on.
        case rearm(afterNanoseconds: UInt64)
        case close(RedisError)
    }

    private struct Pending {
        var awaiting: Awaiting
        /// When it was written, in `MonotonicClock` nanoseconds.
        var sentAt: UInt64
    }

    private(set) var state: State = .idle
    private let handshake: [HandshakeCommand]
    /// Written, replies still owed, oldest first.
    private var pending = FIFOQueue<Pending>()
    /// Sent before ready, oldest first: written once the handshake is over.
    private var held: [(bytes: [UInt8], awaiting: Awaiting)] = []
    /// The server's last (un)subscribe confirmation counted a subscription: it may push messages,
    /// and takes no command but (UN)SUBSCRIBE and PING.
    private(set) var isSubscribed = false
    private let maxPending: Int
    private let commandTimeout: UInt64

    /// `maxPending` bounds what is held and pending together; `commandTimeout` is in nanoseconds.
    init(handshake: [HandshakeCommand], maxPending: Int, commandTimeout: UInt64) {
        self.handshake = handshake
        self.maxPending = maxPending
        self.commandTimeout = commandTimeout
    }

    /// Commands sent or held whose replies are still owed.
    var pendingCount: Int { pending.count + held.count }

    // MARK: Events

    /// The owner started connecting.
    mutating func connecting() {
        precondition(state == .idle, "a RedisConnection connects once")
        state = .connecting
    }

    /// The socket connected.
    mutating func connected(now: UInt64) -> ConnectedAction {
        guard state == .connecting else { return .none }
        guard !handshake.isEmpty else { return .ready(becomeReady(now: now)) }
        state = .handshaking
        var bytes: [UInt8] = []
        for command in handshake {
            bytes += command.bytes
            pending.append(Pending(awaiting: .handshake(command.name), sentAt: now))
        }
        return .handshake(Write(bytes: bytes, armsTimer: true))
    }

    /// The owner sends `bytes`, which owe what `awaiting` says.
    mutating func send(_ bytes: [UInt8], awaiting: Awaiting, now: UInt64) -> SendAction {
        if case .closed(let reason) = state { return .fail(reason) }
        guard pendingCount < maxPending else { return .fail(.overloaded) }
        guard state == .ready else {
            held.append((bytes, awaiting))
            return .held
        }
        let wasIdle = pending.isEmpty
        pending.append(Pending(awaiting: awaiting, sentAt: now))
        return .write(armsTimer: wasIdle)
    }

    /// A whole reply arrived (an error reply as `.failure(.replied)`).
    ///
    /// While subscribed (or when a SUBSCRIBE's confirmations are due) a three-element array
    /// `["message", channel, payload]` is a message and `["subscribe" | "unsubscribe", channel,
    /// count]` a confirmation; every other reply (PING's `["pong", …]` too) is the oldest entry's.
    /// No command's reply can take those shapes then: the server refuses other commands.
    mutating func received(_ reply: Result<RedisReply, RedisError>, now: UInt64) -> ReplyAction {
        guard state == .ready || state == .handshaking else { return .none }
        if isSubscribed || expectsConfirmation, case .success(.array(let items)) = reply, items.count == 3,
           case .bulk(let kind) = items[0], let action = pushed(kind: kind, items) {
            return action
        }
        guard let head = pending.popFirst() else {
            return .close(.protocolError("a reply no command was waiting for: \(Self.describe(reply))"))
        }
        switch head.awaiting {
        case .command(let completion):
            return .complete(completion, reply)
        case .handshake(let name):
            switch reply {
            case .success(let value) where value.isOK:
                if case .handshake? = pending.first?.awaiting { return .none }
                return .ready(becomeReady(now: now))
            case .success(let value):
                return .close(.handshakeRefused("\(name): \(value)"))
            case .failure(.replied(let message)):
                return .close(.handshakeRefused("\(name): \(message)"))
            case .failure(let error):
                return .close(error)
            }
        case .subscription:
            // The server refused the whole command (an ACL, say): which channels it holds is
            // unknown now, so the connection ends, with the server's word.
            if case .failure(let error) = reply { return .close(error) }
            return .close(.protocolError("a (UN)SUBSCRIBE answered with \(Self.describe(reply))"))
        }
    }

    /// The command timer fired.
    func timerFired(now: UInt64) -> TimerAction {
        guard state == .ready || state == .handshaking, let oldest = pending.first else { return .none }
        let due = oldest.sentAt + commandTimeout
        return due <= now ? .close(.timeout) : .rearm(afterNanoseconds: due - now)
    }

    /// The connection ends for `reason`: returns the completions still owed a reply, in the order
    /// they were sent, to fail with it; nil when it had ended already (nothing more to report).
    mutating func end(_ reason: RedisError) -> [Completion]? {
        if case .closed = state { return nil }
        state = .closed(reason)
        isSubscribed = false
        var failing: [Completion] = []
        failing.reserveCapacity(pendingCount)
        for entry in pending.removeAll() {
            if case .command(let completion) = entry.awaiting { failing.append(completion) }
        }
        for entry in held {
            if case .command(let completion) = entry.awaiting { failing.append(completion) }
        }
        held = []
        return failing
    }

    // MARK: Steps

    /// The handshake is over (or there was none): the held commands go out, in order.
    private mutating func becomeReady(now: UInt64) -> Write? {
        state = .ready
        guard !held.isEmpty else { return nil }
        let wasIdle = pending.isEmpty
        var bytes: [UInt8] = []
        for entry in held {
            bytes += entry.bytes
            pending.append(Pending(awaiting: entry.awaiting, sentAt: now))
        }
        held = []
        return Write(bytes: bytes, armsTimer: wasIdle)
    }

    /// A reply in an error's message: the server's own words for an error reply.
    private static func describe(_ reply: Result<RedisReply, RedisError>) -> String {
        switch reply {
        case .success(let value): "\(value)"
        case .failure(.replied(let message)): message
        case .failure(let error): error.description
        }
    }

    private var expectsConfirmation: Bool {
        if case .subscription? = pending.first?.awaiting { return true }
        return false
    }

    /// A message or a confirmation (see `received`); nil for any other array.
    private mutating func pushed(kind: [UInt8], _ items: [RedisReply]) -> ReplyAction? {
        if kind == PushKind.message {
            guard isSubscribed else { return nil }
            guard case .bulk(let channel) = items[1], case .bulk(let payload) = items[2] else {
                return .close(.protocolError("a message that is not two bulk strings"))
            }
            return .message(channel: channel, payload: payload)
        }
        let change: SubscriptionChange
        if kind == PushKind.subscribe {
            change = .subscribe
        } else if kind == PushKind.unsubscribe {
            change = .unsubscribe
        } else {
            return nil
        }
        guard case .subscription(let awaited, let left)? = pending.first?.awaiting, awaited == change,
              case .bulk(let channel) = items[1], case .integer(let count) = items[2] else {
            return .close(.protocolError("an unexpected \(String(decoding: kind, as: UTF8.self)) confirmation"))
        }
        isSubscribed = count > 0
        if left > 1 {
            pending.updateFirst { $0.awaiting = .subscription(change, confirmationsLeft: left - 1) }
        } else {
            _ = pending.popFirst()
        }
        return change == .subscribe ? .subscribed(channel: channel) : .unsubscribed(channel: channel)
    }
}

/// The first element of what the server pushes in subscriber mode.
private enum PushKind {
    static let message = Array("message".utf8)
    static let subscribe = Array("subscribe".utf8)
    static let unsubscribe = Array("unsubscribe".utf8)
}

extension RedisConnectionStateMachine.ReplyAction: Equatable where Completion: Equatable {}

extension RedisConnectionStateMachine.Awaiting: Equatable where Completion: Equatable {}
