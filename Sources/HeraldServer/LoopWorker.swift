import HeraldConfig
import HTTP1
import LibeventIO
import Logging
import Proxy

/// Everything one event loop owns: its listener, its client connections, its upstream pool and
/// its access-log buffer. Used only on its loop's thread.
final class LoopWorker: @unchecked Sendable {
    // @unchecked: other threads only ever call `loop.execute { … }`; every other member is
    // touched on the loop's own thread (the hand-off of STYLE habit 12).

    let loop: EventLoop
    let settings: HeraldSettings
    let logger: Logger
    let limits: HTTPLimits
    let router: Router
    let rewriter: HeadRewriter
    let pool: UpstreamPool
    private var listener: Listener?
    private var connections: [ObjectIdentifier: ProxyConnection] = [:]
    private var nextConnectionID: UInt64
    private var accessLog: AccessLog
    private var flushTimer: LoopTimer?
    private(set) var isDraining = false
    /// Called on this loop's thread once draining has closed every connection.
    private var onDrained: (() -> Void)?

    init(loop: EventLoop, index: Int, settings: HeraldSettings, upstreamAddress: SocketAddress, logger: Logger) {
        self.loop = loop
        self.settings = settings
        var logger = logger
        logger[metadataKey: "loop"] = "\(index)"
        self.logger = logger
        limits = HTTPLimits(maxStartLineBytes: settings.server.maxRequestLineBytes, maxHeadBytes: settings.server.maxHeaderBytes)
        router = Router()
        rewriter = HeadRewriter(upstreamAuthority: settings.upstream.url.authority)
        pool = UpstreamPool(loop: loop, address: upstreamAddress, connectTimeout: settings.upstream.connectTimeout,
                            maxIdle: settings.upstream.maxIdleConnections, idleTimeout: settings.upstream.idleTimeout)
        // Connection ids are unique per process: the loop index sits in the top byte.
        nextConnectionID = UInt64(index) << 56
        accessLog = AccessLog(format: settings.log.access)
        if settings.log.access != .off {
            let timer = LoopTimer(loop: loop, repeating: true) { [unowned self] in self.accessLog.flush() }
            timer.schedule(after: .seconds(1))
            flushTimer = timer
        }
    }

    /// Starts accepting on `address`; returns the address bound.
    func listen(on address: SocketAddress) throws(LibeventError) -> SocketAddress {
        let listener = try Listener(loop: loop, address: address) { [unowned self] connection in
            self.accepted(connection)
        }
        self.listener = listener
        return listener.address
    }

    private func accepted(_ downstream: Connection) {
        guard !isDraining else {
            downstream.close()
            return
        }
        nextConnectionID += 1
        let connection = ProxyConnection(downstream: downstream, worker: self, id: nextConnectionID)
        if !downstream.isClosed { connections[ObjectIdentifier(connection)] = connection }
    }

    func connectionClosed(_ connection: ProxyConnection) {
        connections[ObjectIdentifier(connection)] = nil
        if isDraining && connections.isEmpty { finishDraining() }
    }

    func recordAccess(_ entry: AccessLog.Entry) {
        accessLog.record(entry)
    }

    /// Stops accepting, closes idle connections, and lets the others finish their exchange.
    func beginDraining(_ onDrained: @escaping () -> Void) {
        isDraining = true
        self.onDrained = onDrained
        listener?.close()
        listener = nil
        for connection in connections.values where connection.isIdle { connection.close() }
        if connections.isEmpty { finishDraining() }
    }

    /// Closes everything still open (the grace period has passed).
    func closeAll() {
        for connection in Array(connections.values) { connection.close() }
        pool.closeAll()
        accessLog.flush()
    }

    private func finishDraining() {
        pool.closeAll()
        accessLog.flush()
        let callback = onDrained
        onDrained = nil
        callback?()
    }
}
