import LibeventIO
import RedisClient

/// Runs `body` with a redis-server of its own (started with `arguments`) and a loop. Afterwards
/// every connection made through `connect` is closed and the server killed, whatever `body` did.
func withRedisServer(_ arguments: [String] = [], _ body: (TestEnvironment) throws -> Void) throws {
    let environment = try TestEnvironment(server: RedisServer(arguments), loop: EventLoop())
    defer { environment.finish() }
    try body(environment)
}

/// A test's server, loop and connections.
final class TestEnvironment {
    let server: RedisServer
    let loop: EventLoop
    private var probes: [Probe] = []
    private var timers: [LoopTimer] = []

    init(server: RedisServer, loop: EventLoop) {
        self.server = server
        self.loop = loop
    }

    /// Connects to the server's TCP port (or with `options`); see `Probe`.
    @discardableResult
    func connect(_ options: RedisConnectionOptions? = nil, whenReady: @escaping (RedisConnection) -> Void = { _ in },
                 whenClosed: @escaping (RedisError) -> Void = { _ in }) -> Probe {
        let probe = Probe(loop: loop, options: options ?? server.options(), whenReady: whenReady, whenClosed: whenClosed)
        probes.append(probe)
        return probe
    }

    /// Runs the loop until `stop()` (true) or `limit` (false).
    func run(limit: Duration = .seconds(10)) -> Bool {
        RedisClientTests.run(loop, limit: limit)
    }

    func stop() {
        loop.stop()
    }

    /// Runs `work` on the loop after `delay` (the timer lives as long as the environment).
    func after(_ delay: Duration, _ work: @escaping () -> Void) {
        timers.append(RedisClientTests.after(delay, on: loop, work))
    }

    fileprivate func finish() {
        for probe in probes { probe.connection.close() }
        probes = []
        timers = []
        server.stop()
    }
}

/// A connection under test, and what it reported: how often it became ready and how it closed.
final class Probe {
    let connection: RedisConnection
    var readyCount = 0
    var closes: [RedisError] = []

    /// Connects at once; `whenReady` runs when the handshake is over, `whenClosed` when it ends.
    init(loop: EventLoop, options: RedisConnectionOptions, whenReady: @escaping (RedisConnection) -> Void = { _ in },
         whenClosed: @escaping (RedisError) -> Void = { _ in }) {
        let connection = RedisConnection(loop: loop, options: options)
        self.connection = connection
        // Unowned: a probe lives in its environment until the connection is closed.
        connection.connect(onReady: { [unowned self] in
            readyCount += 1
            whenReady(connection)
        }, onClose: { [unowned self] reason in
            closes.append(reason)
            whenClosed(reason)
        })
    }
}

extension RedisReply {
    static func bulk(_ text: String) -> RedisReply { .bulk(Array(text.utf8)) }
}

extension Result where Success == RedisReply, Failure == RedisError {
    /// The reply, or nil for a failure (for `#expect(result.value == …)`).
    var value: RedisReply? { try? get() }
    var error: RedisError? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
