// A redis-server of a test's own: started on a free loopback port and a Unix socket in a
// temporary directory, with no persistence; stopping it kills only its own PID.

import Foundation
import LibeventIO
import RedisClient
import Glibc

final class RedisServer {
    let port: UInt16
    let directory: URL
    private let process = Process()

    var socketPath: String { directory.appendingPathComponent("redis.sock").path }
    var pid: Int32 { process.processIdentifier }

    /// Options for this server's TCP port (numeric host: no resolver on the loop).
    func options(password: String? = nil, username: String? = nil, database: Int = 0,
                 commandTimeout: Duration = .seconds(5)) -> RedisConnectionOptions {
        RedisConnectionOptions(endpoint: .tcp(host: "127.0.0.1", port: port), username: username, password: password,
                               database: database, connectTimeout: .seconds(2), commandTimeout: commandTimeout)
    }

    /// Starts `/usr/bin/redis-server` with `arguments` added, and waits (5 s at most) until both
    /// its TCP port and its Unix socket accept connections.
    init(_ arguments: [String] = []) throws {
        port = try freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-redis-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory.path, "--unixsocket", directory.appendingPathComponent("redis.sock").path,
            "--unixsocketperm", "700", "--daemonize", "no", "--logfile", directory.appendingPathComponent("redis.log").path,
        ] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(5)
        while !(accepts(port: port) && FileManager.default.fileExists(atPath: socketPath)) {
            guard ContinuousClock.now < deadline, process.isRunning else {
                stop()
                throw ServerDidNotStart(log: (try? String(contentsOf: directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? "")
            }
            usleep(10_000)
        }
    }

    deinit {
        stop()
    }

    /// Sends `signal` to this server's process only.
    func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Kills the server (stopped or not) and removes its directory.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    struct ServerDidNotStart: Error {
        var log: String
    }
}

/// A loopback port free a moment ago: bound to port 0 to learn one, then closed.
func freePort() throws -> UInt16 {
    let loop = try EventLoop()
    return try Listener(loop: loop, address: try SocketAddress.resolve(host: "127.0.0.1", port: 0)) { $0.close() }.address.port
}

/// True when a blocking connect to 127.0.0.1:`port` succeeds.
private func accepts(port: UInt16) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}
