import Foundation

/// A redis-server of one test's own: a fresh temp directory, a unix socket in it (no port to
/// collide with other tests or helpers), no persistence. `withRedis` stops it by its PID.
final class RedisTestServer {
    static let executable = "/usr/bin/redis-server"
    /// How long the server may take to accept connections: far more than it needs on a busy machine.
    static let startAttempts = 500
    static let startPause: useconds_t = 20_000

    let directory: String
    let socketPath: String
    private let process = Process()

    init() throws {
        // /tmp rather than $TMPDIR: a unix socket path must fit in 108 bytes.
        directory = "/tmp/herald-cluster-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        socketPath = directory + "/redis.sock"
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["--port", "0", "--unixsocket", socketPath, "--save", "", "--appendonly", "no",
                             "--dir", directory, "--logfile", directory + "/redis.log"]
        try process.run()
        for _ in 0..<Self.startAttempts {
            if let connection = try? RESPConnection(path: socketPath), (try? connection.command("PING")) == .bytes(Array("PONG".utf8)) {
                return
            }
            guard process.isRunning else { break }
            usleep(Self.startPause)
        }
        stop()
        throw RESPError(message: "redis-server did not start (see \(directory)/redis.log)")
    }

    func connect() throws -> RESPConnection {
        try RESPConnection(path: socketPath)
    }

    /// Ends the server this test started (SIGKILL to its PID) and removes its directory. Not
    /// SIGTERM: the child inherits the spawning thread's signal mask, and the test threads (dispatch
    /// workers) block every signal, so a SIGTERM would stay pending forever. Nothing is persisted.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Runs `body` with a fresh server, stopped afterwards whatever happens.
func withRedis<T>(_ body: (RedisTestServer) throws -> T) throws -> T {
    let server = try RedisTestServer()
    defer { server.stop() }
    return try body(server)
}
