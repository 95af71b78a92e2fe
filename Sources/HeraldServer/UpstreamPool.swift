import LibeventIO

/// Keep-alive connections to the upstream app, per event loop (never shared between threads).
///
/// Idle connections wait here with the pool as their delegate, so one the upstream closes is
/// dropped at once. Taking is LIFO: the most recently used connection is the least likely to have
/// been closed by the upstream's own idle timeout.
final class UpstreamPool: ConnectionDelegate {
    private struct IdleConnection {
        let connection: Connection
        /// When it went idle, in `MonotonicClock` nanoseconds.
        let since: UInt64
    }

    private let loop: EventLoop
    private let address: SocketAddress
    private let connectTimeout: Duration
    /// Bound on idle connections kept per loop (`upstream.max_idle_connections`): enough for the
    /// loop's concurrency, few enough not to hold the app's worker slots.
    private let maxIdle: Int
    private let idleTimeout: Duration
    /// Idle connections, the most recently used last. Never passed inout and never held across a
    /// call that could reach the pool again (a connection is closed only once out of the list), so
    /// exclusivity is not checked at run time (twice per request otherwise).
    @exclusivity(unchecked) private var idle: [IdleConnection] = []
    private var expiryTimer: LoopTimer?
    /// The expiry timer is armed (asking libevent costs a call per request).
    private var expiryScheduled = false
    /// A reload replaced this pool (the upstream moved or its settings changed): connections
    /// given back are closed, not kept.
    private var isRetired = false

    init(loop: EventLoop, address: SocketAddress, connectTimeout: Duration, maxIdle: Int, idleTimeout: Duration) {
        self.loop = loop
        self.address = address
        self.connectTimeout = connectTimeout
        self.maxIdle = maxIdle
        self.idleTimeout = idleTimeout
    }

    /// A pooled connection if one is idle, else nil.
    func takeIdle() -> Connection? {
        idle.popLast()?.connection
    }

    /// A new connection, connecting; its owner hears connect or failure.
    func connect() throws(LibeventError) -> Connection {
        try Connection.connect(loop: loop, to: address, timeout: connectTimeout)
    }

    /// Keeps `connection` for reuse, or closes it when the pool is full.
    func put(_ connection: Connection) {
        // Bytes beyond the response mean the upstream and Herald disagree on framing: never reuse.
        guard !isRetired, idle.count < maxIdle, !connection.isClosed, connection.inputCount == 0 else {
            connection.close()
            return
        }
        connection.attach(self)
        connection.setReading(true)
        idle.append(IdleConnection(connection: connection, since: MonotonicClock.coarseNanoseconds()))
        scheduleExpiry()
    }

    /// Closes every idle connection (shutdown).
    func closeAll() {
        let all = idle
        idle.removeAll()
        for entry in all { entry.connection.close() }
        expiryTimer = nil
        expiryScheduled = false
    }

    /// A reload replaced this pool: its idle connections close now, the ones lent out when they
    /// come back.
    func retire() {
        isRetired = true
        closeAll()
    }

    private func scheduleExpiry() {
        guard !expiryScheduled else { return }
        let timer = expiryTimer ?? LoopTimer(loop: loop) { [unowned self] in self.expireIdle() }
        expiryTimer = timer
        timer.schedule(after: idleTimeout / 2)
        expiryScheduled = true
    }

    /// Fires every half idle timeout while connections are idle: closes those unused too long.
    private func expireIdle() {
        expiryScheduled = false
        let timeout = MonotonicClock.nanoseconds(idleTimeout)
        let now = MonotonicClock.coarseNanoseconds()
        let cutoff = now > timeout ? now - timeout : 0
        let stale = idle.filter { $0.since < cutoff }
        idle.removeAll { $0.since < cutoff }
        for entry in stale { entry.connection.close() }
        if !idle.isEmpty { scheduleExpiry() }
    }

    private func remove(_ connection: Connection) {
        idle.removeAll { $0.connection === connection }
    }

    // MARK: ConnectionDelegate (idle connections only)

    /// An idle upstream connection must not send anything: the exchange is over.
    func connectionDidRead(_ connection: Connection) {
        remove(connection)
        connection.close()
    }

    func connectionDidFlush(_ connection: Connection) {}

    func connection(_ connection: Connection, didEndWith reason: ConnectionEnd) {
        remove(connection)
        connection.close()
    }
}
