// A Redis connection on a LibeventIO `Connection`, used on its loop's thread only.
//
// The rules (what goes out when, which reply is whose, when it is ready, why it ends) are
// `RedisConnectionStateMachine`'s; this class performs its actions: it writes, calls completions
// and the owner's closures, and arms one timer. hiredis does the RESP both ways
// (`RedisCommandEncoder`, `RedisReplyReader`); no C pointer leaves those two files.
//
// Pipelining: every command is written at once into the socket's output, and the socket sends a
// turn's output in one write at the turn's end, so commands sent in one callback share a send.
// Replies complete their commands in the order sent (Redis answers in order).
//
// Timeout: one `DeadlineTimer`, armed when a command goes out with nothing in flight; when it
// fires, the oldest command's age decides: past `commandTimeout` the connection closes (every later
// reply would be matched to the wrong command), else the timer is armed for what is left. So a
// command costs a clock read, not a timer.
//
// Lifetime: used once. The socket keeps this object alive while it is open (through its
// delegate), so callbacks never see it freed; `onClose` fires exactly once, whatever ends it,
// after every waiting completion has failed with the same reason, oldest first. The owner makes
// a new connection to reconnect.

import LibeventIO

/// One connection to a Redis server: commands with completions, pipelined, and pub/sub.
/// Not thread-safe: create and use it on its loop's thread.
public final class RedisConnection {
    public typealias Completion = (Result<RedisReply, RedisError>) -> Void
    private typealias Machine = RedisConnectionStateMachine<Completion>

    /// Commands sent (or held before ready) whose replies are still owed, at most. 100,000: a
    /// burst of publishes far past what the server answers in a command timeout; beyond it a
    /// command fails at once with `.overloaded` rather than queueing memory without end behind a
    /// server that has stopped answering.
    public static let maxPendingCommands = 100_000
    /// A reply whose bytes pass this many before it is whole ends the connection with
    /// `.protocolError`. 64 MiB: far past any message or history page Herald reads, and a bound on
    /// what a broken server can make the reader hold (hiredis 0.14 has no limit of its own; its
    /// tree of small elements takes a few times their bytes, until converted and freed).
    public static let maxReplyBytes = 64 << 20
    /// Input is fed to hiredis this many bytes at a time, and the replies in them read before
    /// more: hiredis moves its unread bytes to the front each time it has read 1 KiB, so a 64 KiB
    /// read fed whole would move about 32 bytes per byte read, 4 KiB slices about 2.
    static let feedSliceBytes = 4096

    public let options: RedisConnectionOptions
    private let loop: EventLoop
    private var machine: Machine
    private let reader = RedisReplyReader(maxReplyBytes: RedisConnection.maxReplyBytes)
    private let commandTimer: DeadlineTimer
    private var socket: Connection?
    /// Reports a connect that failed before a socket existed, from the loop rather than from
    /// inside `connect`.
    private var earlyFailure: LoopTimer?
    private var onReady: (() -> Void)?
    private var onClose: ((RedisError) -> Void)?

    /// A message published to a subscribed channel.
    public var onMessage: (_ channel: [UInt8], _ payload: [UInt8]) -> Void = { _, _ in }
    /// The server confirmed a SUBSCRIBE of `channel`: messages published from now on arrive.
    public var onSubscribed: (_ channel: [UInt8]) -> Void = { _ in }
    /// The server confirmed an UNSUBSCRIBE of `channel`.
    public var onUnsubscribed: (_ channel: [UInt8]) -> Void = { _ in }

    public init(loop: EventLoop, options: RedisConnectionOptions) {
        self.loop = loop
        self.options = options
        var handshake: [Machine.HandshakeCommand] = []
        if let password = options.password {
            let arguments = options.username.map { ["AUTH", $0, password] } ?? ["AUTH", password]
            handshake.append(.init(name: "AUTH", bytes: RedisCommandEncoder.encode(arguments)))
        }
        if options.database != 0 {
            handshake.append(.init(name: "SELECT", bytes: RedisCommandEncoder.encode(["SELECT", String(options.database)])))
        }
        machine = Machine(handshake: handshake, maxPending: Self.maxPendingCommands,
                          commandTimeout: MonotonicClock.nanoseconds(options.commandTimeout))
        commandTimer = DeadlineTimer(loop: loop)
        commandTimer.handler = { [unowned self] in self.commandTimerFired() }
    }

    /// The handshake is over and commands go out at once.
    public var isReady: Bool { machine.state == .ready }

    /// The server counts a subscription of this connection's (it takes only (UN)SUBSCRIBE and PING).
    public var isSubscribed: Bool { machine.isSubscribed }

    /// Commands (and (un)subscribes) whose replies are still owed, sent or held.
    public var pendingCount: Int { machine.pendingCount }

    /// Connects, then sends AUTH (when a password is set) and SELECT (when the database is not 0),
    /// pipelined. `onReady` fires once their replies are `+OK` (at once after the connect without
    /// them); `onClose` fires exactly once, when the connection ends for any reason, the owner's
    /// `close()` included. Neither fires before `connect` returns. Call once, on a new connection.
    /// A host name is resolved here, blocking the loop: give numeric addresses in production.
    public func connect(onReady: @escaping () -> Void, onClose: @escaping (RedisError) -> Void) {
        machine.connecting()
        self.onReady = onReady
        self.onClose = onClose
        do {
            let address = switch options.endpoint {
            case .tcp(let host, let port): try SocketAddress.resolve(host: host, port: port)
            case .unix(let path): try SocketAddress.unix(path: path)
            }
            let socket = try Connection.connect(loop: loop, to: address, timeout: options.connectTimeout)
            self.socket = socket
            socket.attach(SocketEvents(owner: self))
        } catch {
            let reason = RedisError.connectFailed(error.description)
            earlyFailure = LoopTimer(loop: loop) { [unowned self] in self.end(reason) }
            earlyFailure?.schedule(after: .zero)
        }
    }

    /// Sends a command (its name, then its arguments: any bytes). `completion` gets its reply,
    /// in the order commands were sent; before ready the command is held and goes out after the
    /// handshake. It fails before `send` returns when the connection has ended (with the reason
    /// it ended) or `maxPendingCommands` are owed (`.overloaded`).
    public func send(_ arguments: [[UInt8]], completion: @escaping Completion) {
        let bytes = RedisCommandEncoder.encode(arguments)
        if let error = perform(machine.send(bytes, awaiting: .command(completion), now: MonotonicClock.coarseNanoseconds()), bytes) {
            completion(.failure(error))
        }
    }

    /// `send` with UTF-8 text arguments.
    public func send(_ arguments: [String], completion: @escaping Completion) {
        send(arguments.map { Array($0.utf8) }, completion: completion)
    }

    /// PING, in either mode (the server answers `+PONG`, or `["pong", ""]` while subscribed): a
    /// check that the server still answers, bounded by the command timeout.
    public func ping(completion: @escaping (Result<Void, RedisError>) -> Void) {
        send(["PING"]) { completion($0.map { _ in () }) }
    }

    /// SUBSCRIBE: the connection enters subscriber mode; `onSubscribed` fires per channel as the
    /// server confirms, then `onMessage` per message. Throws when it has ended, or is overloaded.
    /// A SUBSCRIBE the server refuses ends the connection with its error reply.
    public func subscribe(_ channels: [[UInt8]]) throws(RedisError) {
        try sendSubscription(.subscribe, name: "SUBSCRIBE", channels)
    }

    /// UNSUBSCRIBE: `onUnsubscribed` fires per channel as the server confirms (messages published
    /// before may still arrive until then). With no channel left the connection takes every
    /// command again.
    public func unsubscribe(_ channels: [[UInt8]]) throws(RedisError) {
        try sendSubscription(.unsubscribe, name: "UNSUBSCRIBE", channels)
    }

    /// Ends the connection: waiting completions fail with `.closed`, then `onClose(.closed)`.
    /// Nothing happens when it has ended already.
    public func close() {
        end(.closed)
    }

    // MARK: Performing the machine's actions

    private func sendSubscription(_ change: Machine.SubscriptionChange, name: String, _ channels: [[UInt8]]) throws(RedisError) {
        guard !channels.isEmpty else { return }
        let bytes = RedisCommandEncoder.encode([Array(name.utf8)] + channels)
        let awaiting = Machine.Awaiting.subscription(change, confirmationsLeft: channels.count)
        if let error = perform(machine.send(bytes, awaiting: awaiting, now: MonotonicClock.coarseNanoseconds()), bytes) {
            throw error
        }
    }

    /// Writes or keeps a command as the machine says; returns the error it failed with, if any.
    @discardableResult
    private func perform(_ action: Machine.SendAction, _ bytes: [UInt8]) -> RedisError? {
        switch action {
        case .write(let armsTimer):
            write(.init(bytes: bytes, armsTimer: armsTimer))
        case .held:
            break
        case .fail(let error):
            return error
        }
        return nil
    }

    private func write(_ write: Machine.Write) {
        socket?.write(write.bytes)
        if write.armsTimer { commandTimer.arm(after: options.commandTimeout) }
    }

    private func becameReady(_ held: Machine.Write?) {
        if let held { write(held) }
        let onReady = onReady
        self.onReady = nil
        onReady?()
    }

    private func perform(_ action: Machine.ReplyAction) {
        switch action {
        case .none: break
        case .complete(let completion, let result): completion(result)
        case .message(let channel, let payload): onMessage(channel, payload)
        case .subscribed(let channel): onSubscribed(channel)
        case .unsubscribed(let channel): onUnsubscribed(channel)
        case .ready(let held): becameReady(held)
        case .close(let reason): end(reason)
        }
    }

    private func commandTimerFired() {
        switch machine.timerFired(now: MonotonicClock.coarseNanoseconds()) {
        case .none: break
        case .rearm(let nanoseconds): commandTimer.arm(after: .nanoseconds(nanoseconds))
        case .close(let reason): end(reason)
        }
    }

    /// Ends the connection once: closes the socket, fails what waits, oldest first, then tells
    /// the owner. The owner's closures are dropped after, so none holds the owner in a cycle.
    private func end(_ reason: RedisError) {
        withExtendedLifetime(self) {
            guard let failing = machine.end(reason) else { return }
            commandTimer.disarm()
            let socket = socket
            self.socket = nil
            socket?.close()
            let onClose = onClose
            onReady = nil
            self.onClose = nil
            for completion in failing { completion(.failure(reason)) }
            onMessage = { _, _ in }
            onSubscribed = { _ in }
            onUnsubscribed = { _ in }
            onClose?(reason)
        }
    }

    // MARK: Socket events

    fileprivate func socketConnected() {
        // The connect timeout is the socket's read and write timeout until now; from here the
        // command timeout bounds waiting, and an idle subscriber may stay quiet for hours.
        socket?.setTimeouts(read: nil, write: nil)
        switch machine.connected(now: MonotonicClock.coarseNanoseconds()) {
        case .none: break
        case .handshake(let commands): write(commands)
        case .ready(let held): becameReady(held)
        }
    }

    /// Feeds what was read to the reader a slice at a time, and performs each whole reply's action.
    fileprivate func socketRead() {
        while let socket, socket.inputCount > 0 {
            do throws(RedisError) {
                let fed = try socket.withInput(upTo: Self.feedSliceBytes) { (bytes) throws(RedisError) in
                    try reader.feed(bytes)
                    return bytes.count
                }
                socket.consumeInput(fed)
                let now = MonotonicClock.coarseNanoseconds()
                while let reply = try reader.next() {
                    perform(machine.received(reply, now: now))
                    if self.socket == nil { return }
                }
            } catch {
                return end(error)
            }
        }
    }

    fileprivate func socketEnded(_ reason: ConnectionEnd) {
        switch (machine.state, reason) {
        case (.connecting, _), (_, .connectFailed):
            end(.connectFailed(reason.description))
        case (_, .closedByPeer):
            end(.connectionLost("closed by the server"))
        default:
            end(.connectionLost(reason.description))
        }
    }
}

/// The socket's delegate: holds the connection (strongly, until the socket closes) and hands each
/// event to it.
private final class SocketEvents: ConnectionDelegate {
    let owner: RedisConnection

    init(owner: RedisConnection) {
        self.owner = owner
    }

    func connectionDidConnect(_ connection: Connection) { owner.socketConnected() }
    func connectionDidRead(_ connection: Connection) { owner.socketRead() }
    func connectionDidFlush(_ connection: Connection) {}
    func connection(_ connection: Connection, didEndWith reason: ConnectionEnd) { owner.socketEnded(reason) }
}
