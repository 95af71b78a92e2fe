import Fanout
import HeraldConfig
import HTTP1
import LibeventIO
import Logging
import Proxy
import Telemetry

/// Everything one event loop owns: its listener, its client connections and event streams, its
/// upstream pool and its access-log buffer. Used only on its loop's thread.
final class LoopWorker: @unchecked Sendable {
    // @unchecked: other threads only ever call `loop.execute { … }`; every other member is
    // touched on the loop's own thread (the hand-off of STYLE habit 12).

    let loop: EventLoop
    let logger: Logger
    /// What this loop makes of the settings; replaced whole by a reload (`apply`).
    private(set) var tuning: LoopTuning
    var settings: HeraldSettings { tuning.settings }
    var limits: HTTPLimits { tuning.limits }
    var router: Router { tuning.router }
    var eventsGate: EventsGate { tuning.eventsGate }
    var clientScript: ClientScript { tuning.clientScript }
    var streamOpening: StreamOpening { tuning.streamOpening }
    var rewriter: HeadRewriter { tuning.rewriter }
    /// `events.max_buffered_bytes`, read at each delivery.
    var slowSubscriberBound: SlowSubscriberBound { tuning.slowSubscriberBound }
    /// An access log is kept (`log.access` is not "off").
    var logsAccess: Bool { tuning.logsAccess }
    /// Where new exchanges find upstream connections; a reload that moves the upstream replaces
    /// it, and exchanges give their connection back to the pool they took it from.
    private(set) var pool: UpstreamPool
    let hub: Hub
    /// Redis mode: the channels this instance's streams are on, and which the engine follows; a
    /// stream starts once its channels are followed. nil without Redis.
    let interest: ChannelInterest?
    /// What `server.health_path` answers besides this loop's draining.
    let health: ServiceHealth
    let metrics: HeraldMetrics
    /// The arrays of heads this loop's proxied exchanges are done with, for the next heads parsed.
    /// Touched on the loop's thread only, and never re-entrantly (a parse calls no connection).
    @exclusivity(unchecked) var headBuffers = HeadBufferPool()
    /// This loop's open event streams, by channel.
    private(set) var streams = StreamRegistry<EventStreamConnection>()
    /// Published events not yet delivered to every stream, and the sweep delivering them
    /// (LoopWorker+Delivery.swift). Touched on the loop's thread only, never re-entrantly (a visit
    /// calls into the stream, which never reaches the backlog), so exclusivity is not checked at
    /// run time (a visit's hot path).
    @exclusivity(unchecked) var backlog = DeliveryBacklog<EventStreamConnection>()
    lazy var sliceTimer = LoopTimer(loop: loop) { [unowned self] in self.deliverSlice() }
    private var heartbeatTimer: LoopTimer?
    /// Subscribe requests waiting for the app's answer to their auth request.
    private var pendingAuthorizations: [ObjectIdentifier: SubscribeAuthorization] = [:]
    /// Re-checks the streams opened with an auth request (`events.reauthorize_every`), if set.
    private var reauthorizer: Reauthorizer?
    private var listener: Listener?
    private var connections: [ObjectIdentifier: ProxyConnection] = [:]
    /// Connections a HEAD on an events route gives back to forwarding, on the loop's next turn.
    private var resuming: [Connection] = []
    private lazy var resumeTimer = LoopTimer(loop: loop) { [unowned self] in self.resumePending() }
    private var nextConnectionID: UInt64
    /// How many loops share the settings' per-process limits.
    private let loopCount: Int
    /// Client connections open on this loop (forwarding or streaming).
    private var openConnections = 0 {
        didSet { openConnectionCount.set(openConnections) }
    }
    /// `openConnections`, for /metrics to read from its own thread.
    private let openConnectionCount: LoopConnectionCount
    /// Connections whose PROXY protocol header is still awaited (`server.proxy_protocol`).
    private var receptions: [ObjectIdentifier: ProxyProtocolReception] = [:]
    /// This loop's share of `limits.stream_opens_per_second`.
    private var streamOpens: StreamOpenRate
    private var accessLog: AccessLog
    private var flushTimer: LoopTimer?
    private(set) var isDraining = false
    /// Called on this loop's thread once draining has closed every connection.
    private var onDrained: (() -> Void)?

    init(loop: EventLoop, index: Int, loopCount: Int, settings: HeraldSettings, upstreamAddress: SocketAddress,
         hub: Hub, interest: ChannelInterest?, health: ServiceHealth, metrics: HeraldMetrics, logger: Logger) {
        self.loop = loop
        self.loopCount = loopCount
        self.interest = interest
        self.health = health
        let tuning = LoopTuning(settings: settings, loopCount: loopCount)
        self.tuning = tuning
        streamOpens = tuning.streamOpenRate
        self.hub = hub
        self.metrics = metrics
        openConnectionCount = metrics.makeLoopConnectionCount()
        var logger = logger
        logger[metadataKey: "loop"] = "\(index)"
        self.logger = logger
        pool = tuning.pool(loop: loop, address: upstreamAddress)
        // Connection ids are unique per process: the loop index sits in the top byte.
        nextConnectionID = UInt64(index) << 56
        accessLog = AccessLog(format: settings.log.access)
        let heartbeat = LoopTimer(loop: loop, repeating: true) { [unowned self] in
            for stream in self.streams.all { stream.heartbeatTick() }
        }
        heartbeat.schedule(after: settings.events.heartbeat)
        heartbeatTimer = heartbeat
        scheduleAccessLogFlush()
        if settings.events.authorize == .upstream && settings.events.reauthorizeEvery > .zero {
            reauthorizer = Reauthorizer(loop: loop, interval: settings.events.reauthorizeEvery)
        }
    }

    /// A reload: new exchanges and streams follow `settings` from now on; those under way finish
    /// as they began (an exchange keeps its upstream connection, a stream its channels). When
    /// `listener` is given, it replaces this loop's listener, which closes after it is serving.
    func apply(_ settings: HeraldSettings, upstreamAddress: SocketAddress, listener socket: ListeningSocket?) {
        let old = tuning.settings
        if let socket {
            do {
                try listen(adopting: socket)
            } catch {
                logger.error("reload: cannot accept on \(socket.address): \(error); the old listener stays")
            }
        }
        tuning = LoopTuning(settings: settings, loopCount: loopCount)
        if old.limits.streamOpensPerSecond != settings.limits.streamOpensPerSecond { streamOpens = tuning.streamOpenRate }
        if old.upstream != settings.upstream {
            pool.retire()
            pool = tuning.pool(loop: loop, address: upstreamAddress)
        }
        if old.log.access != settings.log.access {
            accessLog.flush()
            accessLog = AccessLog(format: settings.log.access)
            scheduleAccessLogFlush()
        }
        if old.events.heartbeat != settings.events.heartbeat { heartbeatTimer?.schedule(after: settings.events.heartbeat) }
        let reauthorizes = settings.events.authorize == .upstream && settings.events.reauthorizeEvery > .zero
        if !reauthorizes {
            reauthorizer?.stop()
            reauthorizer = nil
        } else if let reauthorizer {
            reauthorizer.change(interval: settings.events.reauthorizeEvery)
        } else {
            let reauthorizer = Reauthorizer(loop: loop, interval: settings.events.reauthorizeEvery)
            for stream in streams.all where stream.authorization != nil { reauthorizer.add(stream) }
            self.reauthorizer = reauthorizer
        }
    }

    /// The access log is written each second while one is kept.
    private func scheduleAccessLogFlush() {
        guard logsAccess else {
            flushTimer = nil
            return
        }
        guard flushTimer == nil else { return }
        let timer = LoopTimer(loop: loop, repeating: true) { [unowned self] in self.accessLog.flush() }
        timer.schedule(after: .seconds(1))
        flushTimer = timer
    }

    /// Starts accepting on `address`; returns the address bound. `joining`: an earlier loop
    /// listens on it already, and this one shares its port.
    func listen(on address: SocketAddress, joining: Bool = false) throws(LibeventError) -> SocketAddress {
        try listen(adopting: ListeningSocket.bind(address, joining: joining))
    }

    /// Starts accepting on `socket` (bound already); an earlier listener of this loop closes once
    /// the new one is serving. Returns the address bound.
    @discardableResult
    func listen(adopting socket: ListeningSocket) throws(LibeventError) -> SocketAddress {
        let listener = try Listener(loop: loop, adopting: socket) { [unowned self] connection in
            self.accepted(connection)
        }
        self.listener?.close()
        self.listener = listener
        return listener.address
    }

    private func accepted(_ downstream: Connection) {
        guard !isDraining, openConnections < tuning.maxConnections else {
            if !isDraining {
                logger.warning("server.max_connections reached: connection refused")
                metrics.refusals(.maxConnections).increment()
            }
            downstream.close()
            return
        }
        openConnections += 1
        if settings.server.proxyProtocol {
            let reception = ProxyProtocolReception(downstream: downstream, worker: self)
            // A header that came with the connection was handled already (handed over or refused).
            if reception.isReading { receptions[ObjectIdentifier(reception)] = reception }
            return
        }
        nextConnectionID += 1
        let connection = ProxyConnection(downstream: downstream, worker: self, id: nextConnectionID)
        if !downstream.isClosed { connections[ObjectIdentifier(connection)] = connection }
    }

    /// A connection's PROXY protocol header was read (`server.proxy_protocol`): it goes on as any other.
    func receivedProxyHeader(_ reception: ProxyProtocolReception, downstream: Connection) {
        receptions[ObjectIdentifier(reception)] = nil
        guard !isDraining else { return downstream.close() }
        nextConnectionID += 1
        let connection = ProxyConnection(downstream: downstream, worker: self, id: nextConnectionID)
        if !downstream.isClosed { connections[ObjectIdentifier(connection)] = connection }
    }

    /// A connection closed before its PROXY protocol header was read.
    func proxyReceptionClosed(_ reception: ProxyProtocolReception) {
        receptions[ObjectIdentifier(reception)] = nil
        openConnections -= 1
        finishDrainingIfIdle()
    }

    /// An events route: the client connection leaves `proxy` and becomes an event stream.
    func openEventStream(from proxy: ProxyConnection, downstream: Connection, request: HTTPRequestHead, extraFields: [HTTPField]) {
        connections[ObjectIdentifier(proxy)] = nil
        EventStreamConnection.open(downstream: downstream, request: request, extraFields: extraFields, worker: self)
    }

    /// A request Herald answered itself (client.js, a preflight, a HEAD of an events route) keeps
    /// its connection when the client wants that and sent no body (which nothing read).
    func keepsAlive(afterAnswering request: HTTPRequestHead) -> Bool {
        request.wantsKeepAlive && !isDraining && !request.mayHaveBody
    }

    /// A HEAD on an events route was answered: the connection goes back to forwarding on the
    /// loop's next turn, and the requests it holds already (pipelined) or brings next are served.
    /// Closed instead when the client asked for that or sent a body (which nothing read).
    func resumeForwarding(_ downstream: Connection, after request: HTTPRequestHead) {
        guard keepsAlive(afterAnswering: request) else {
            // A body, which nothing reads, may still be arriving.
            downstream.closeWhenFlushed(lingering: request.mayHaveBody ? .afterAnswer : nil)
            return
        }
        // Not at once: a pipelined HEAD behind it would be served inside this call, and a run of
        // them would nest one call chain per request (a stack overflow). Meanwhile its delegate
        // (the proxy that routed it, or the auth request) leaves the input alone.
        resuming.append(downstream)
        if resuming.count == 1 { resumeTimer.schedule(after: .zero) }
    }

    private func resumePending() {
        let pending = resuming
        resuming = []
        for downstream in pending where !downstream.isClosed {
            guard !isDraining else {
                downstream.closeWhenFlushed()
                continue
            }
            // The connection is still counted open (a stream's or a proxy's close un-counts it once).
            nextConnectionID += 1
            let connection = ProxyConnection(downstream: downstream, worker: self, id: nextConnectionID)
            if !downstream.isClosed { connections[ObjectIdentifier(connection)] = connection }
        }
    }

    /// A forwarded response asked to hold its client (GRIP): the connection leaves `proxy`.
    func holdGripStream(from proxy: ProxyConnection, downstream: Connection, request: HTTPRequestHead,
                        response: HTTPResponseHead, body: [UInt8], instruction: GripInstruction,
                        access: EventStreamConnection.PendingAccess?) {
        connections[ObjectIdentifier(proxy)] = nil
        EventStreamConnection.hold(downstream: downstream, request: request, response: response, body: body,
                                   instruction: instruction, access: access, worker: self)
    }

    func authorizationStarted(_ pending: SubscribeAuthorization) {
        pendingAuthorizations[ObjectIdentifier(pending)] = pending
    }

    func authorizationAnswered(_ pending: SubscribeAuthorization) {
        pendingAuthorizations[ObjectIdentifier(pending)] = nil
    }

    func register(_ stream: EventStreamConnection) {
        streams.add(stream, to: stream.channels)
        if stream.authorization != nil { reauthorizer?.add(stream) }
    }

    func unregister(_ stream: EventStreamConnection) {
        streams.remove(stream, from: stream.channels)
        if stream.authorization != nil { reauthorizer?.remove(stream) }
    }

    /// Admits a new stream from `address` on `channels`, or says why not: beyond
    /// `limits.stream_opens_per_second` (a storm), then the hub's limits.
    func admitStream(address: String, channels: [String]) -> Admission {
        if streamOpens.perSecond > 0 && !streamOpens.admit(at: .now) {
            metrics.streamOpensRefused.increment()
            metrics.refusals(.streamOpens).increment()
            return .refused(status: 503, reason: "too many new streams: retry later", retryAfter: StreamOpenRate.retryAfter())
        }
        let admission = hub.admit(address: address, channels: channels)
        if case .refused(let status, _, _) = admission { metrics.refusals(RefusalReason(subscriberLimitStatus: status)).increment() }
        return admission
    }

    /// An event stream's connection closed (a refused one closes as a ProxyConnection instead).
    func streamClosed() {
        openConnections -= 1
        finishDrainingIfIdle()
    }

    /// `DELETE /channels/<channel>`: ends this loop's streams on it, once each has written every
    /// event published before.
    func closeStreams(of channel: String) {
        deliverBacklog()
        guard let onChannel = streams.streams(on: channel) else { return }
        for stream in onChannel { stream.finish(reconnectWithin: settings.server.drainSpread, end: .channelDeleted) }
    }

    func connectionClosed(_ connection: ProxyConnection) {
        openConnections -= 1
        connections[ObjectIdentifier(connection)] = nil
        finishDrainingIfIdle()
    }

    func recordAccess(_ entry: AccessLog.Entry) {
        accessLog.record(entry)
    }

    /// The X-Request-Id for a request forwarded upstream, when the access log logs ids (JSON):
    /// the client's when usable (`made` false: it goes up unchanged), else a new one. Nil otherwise:
    /// whatever the client sent goes up unchanged.
    func requestID(for request: HTTPRequestHead) -> (id: String, made: Bool)? {
        accessLog.makesRequestIDs ? accessLog.requestID(for: request) : nil
    }

    /// Stops accepting, closes idle connections, and lets the others finish their exchange.
    func beginDraining(_ onDrained: @escaping () -> Void) {
        isDraining = true
        self.onDrained = onDrained
        listener?.close()
        listener = nil
        // Streams never finish by themselves: end them now, once each has written every event
        // already handed over; browsers reconnect elsewhere.
        deliverBacklog()
        for stream in streams.all { stream.finish(reconnectWithin: settings.server.drainSpread) }
        for pending in Array(pendingAuthorizations.values) { pending.close() }
        for reception in Array(receptions.values) { reception.close() }
        for connection in Array(connections.values) { connection.beginDraining() }
        finishDrainingIfIdle()
    }

    /// Closes everything still open (the grace period has passed).
    func closeAll() {
        reauthorizer?.stop()
        for stream in streams.all { stream.close() }
        for pending in Array(pendingAuthorizations.values) { pending.close() }
        for reception in Array(receptions.values) { reception.close() }
        for connection in Array(connections.values) { connection.close() }
        for downstream in resuming { downstream.close() }
        resuming = []
        pool.closeAll()
        accessLog.flush()
    }

    /// Reports the loop drained, once, when draining and no client connection is left.
    private func finishDrainingIfIdle() {
        guard isDraining, openConnections == 0, let callback = onDrained else { return }
        onDrained = nil
        pool.closeAll()
        accessLog.flush()
        callback()
    }
}
