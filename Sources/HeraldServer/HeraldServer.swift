// The running server: one event loop per thread, each with its own SO_REUSEPORT listener (or its
// own descriptor of the socket systemd passed).
//
// Lifecycle: starting → running → draining → stopped. Loop 0 runs on the caller's thread and owns
// the lifecycle, the signal watchers and reloads; the publish listener has a loop of its own; the
// other loops are reached only through `EventLoop.execute`. Start-up goes in dependency order
// (resolve, bind every listener, then report ready); shutdown in reverse (stop accepting, drain
// exchanges, stop loops). A reload (SIGHUP) binds whatever moved first, then hands the new
// settings to every loop (HeraldServer+Reload.swift).

import Dispatch
import Fanout
import Foundation
import HeraldConfig
import HTTP1
import LibeventIO
import Logging

public final class HeraldServer {
    /// Where the server is in its life.
    public enum Lifecycle: Sendable, Equatable {
        case starting, running, draining, stopping, stopped
    }

    /// How a reload reads proxy.conf again (with the command line's overrides) and applies the
    /// `[log]` section, which the command set up.
    public struct Reloading: Sendable {
        public var read: @Sendable () throws -> HeraldSettings
        public var applyLog: @Sendable (LogSettings) -> Void

        public init(read: @escaping @Sendable () throws -> HeraldSettings, applyLog: @escaping @Sendable (LogSettings) -> Void) {
            self.read = read
            self.applyLog = applyLog
        }
    }

    /// The settings running now (a reload replaces them).
    var settings: HeraldSettings
    let logger: Logger
    let reloading: Reloading?
    private let activation: SocketActivation
    public private(set) var lifecycle: Lifecycle = .starting
    var workers: [LoopWorker] = []
    private var threads: [Thread] = []
    var publishLoop: PublishLoop?
    var hub: Hub?
    var handOff: LoopHandOff?
    private var signalWatchers: [SignalWatcher] = []
    private var graceTimer: LoopTimer?
    private var expiryTimer: LoopTimer?
    private var drainingWorkers = 0
    private let stoppedThreads = DispatchSemaphore(value: 0)
    /// The pid file this process wrote (`server.pid_file`), removed when it stops.
    private var pidFile: PidFile?

    /// `reloading`: how SIGHUP re-reads the configuration (nil: SIGHUP is logged and ignored).
    /// `activation`: the sockets systemd passed, served instead of binding their addresses.
    public init(settings: HeraldSettings, logger: Logger, reloading: Reloading? = nil, activation: SocketActivation = SocketActivation()) {
        self.settings = settings
        self.logger = logger
        self.reloading = reloading
        self.activation = activation
    }

    /// Binds every listener, serves until SIGINT or SIGTERM has drained the server, then returns.
    /// Throws before serving anything when an address cannot be resolved or bound.
    public func run() throws {
        SignalWatcher.ignoreBrokenPipe()
        ProcessTuning.keepFreeHeapTop(upTo: 4 * 1024 * 1024)
        ProcessTuning.growDescriptorTable()
        let server = settings.server
        let upstreamAddress = try SocketAddress.resolve(host: settings.upstream.url.host, port: settings.upstream.url.port)
        let loopCount = Self.loopCount(for: server)
        let publicSockets = try activation.publicDescriptor.map { try Self.inheritedSockets($0, count: loopCount) }
            ?? bindPublic(try SocketAddress.resolve(host: server.listen.host, port: server.listen.port), count: loopCount)
        let publishSocket = try activation.publishDescriptor.map { try ListeningSocket.inherited(fd: $0) }
            ?? ListeningSocket.bind(try SocketAddress.resolve(host: settings.publish.listen.host, port: settings.publish.listen.port))

        let hub = Hub(limits: Self.hubLimits(settings), instance: String(UInt64(Date().timeIntervalSince1970 * 1000), radix: 36))
        self.hub = hub
        let metrics = HeraldMetrics()
        // Redis mode: streams wait until the engine follows their channels.
        let interest = settings.redis == nil ? nil : ChannelInterest()
        let health = ServiceHealth()

        let mainLoop = try EventLoop()
        let mainWorker = LoopWorker(loop: mainLoop, index: 0, loopCount: loopCount, settings: settings, upstreamAddress: upstreamAddress,
                                    hub: hub, interest: interest, health: health, metrics: metrics, logger: logger)
        workers.append(mainWorker)
        let boundPublic = try mainWorker.listen(adopting: publicSockets[0])
        let settings = settings, logger = logger
        for index in 1..<loopCount {
            let socket = publicSockets[index]
            workers.append(try startThread(name: "herald-loop-\(index)") {
                let loop = try EventLoop()
                let worker = LoopWorker(loop: loop, index: index, loopCount: loopCount, settings: settings,
                                        upstreamAddress: upstreamAddress, hub: hub, interest: interest, health: health, metrics: metrics, logger: logger)
                try worker.listen(adopting: socket)
                return (worker, loop)
            })
        }
        // Publishing has a loop of its own: a publisher is answered at once, never after a pass
        // over thousands of subscribers, so publishes keep arriving and are delivered in batches.
        let handOff = LoopHandOff(workers: workers, maxPending: settings.limits.maxPendingEvents)
        self.handOff = handOff
        let publish = try startThread(name: "herald-publish") {
            let loop = try EventLoop()
            // Without Redis, a publish is recorded here; with it, in Redis first (the engine runs
            // on this loop, and is what every instance follows).
            var engine: ClusterEngine?
            if let redis = settings.redis, let interest {
                engine = ClusterEngine(loop: loop, settings: redis, events: settings.events, hub: hub, handOff: handOff,
                                       interest: interest, health: health, metrics: metrics, logger: logger)
            }
            let store: any PublishStore = engine ?? LocalPublishStore(hub: hub, handOff: handOff, metrics: metrics)
            let service = PublishService(hub: hub, store: store, metrics: metrics, settings: settings, loop: loop)
            let publishLoop = PublishLoop(loop: loop, service: service, engine: engine)
            try publishLoop.listen(adopting: publishSocket)
            engine?.start()
            return (publishLoop, loop)
        }
        // Expired history goes, and channels left with nothing: memory follows what is in use.
        let expiry = LoopTimer(loop: mainLoop, repeating: true) { hub.expire(at: .now) }
        expiry.schedule(after: .seconds(30))
        expiryTimer = expiry
        publishLoop = publish
        for signal in [SIGINT, SIGTERM] {
            signalWatchers.append(try SignalWatcher(loop: mainLoop, signal: signal) { [unowned self] in
                self.beginDraining(signal: signal)
            })
        }
        signalWatchers.append(try SignalWatcher(loop: mainLoop, signal: SIGHUP) { [unowned self] in self.reload() })

        lifecycle = .running
        var metadata: Logger.Metadata = ["upstream": "\(settings.upstream.url)", "loops": "\(workers.count)"]
        if let redis = settings.redis { metadata["redis"] = "\(redis.urls.map(\.description).joined(separator: ","))" }
        if activation.publicDescriptor != nil { noteHandedSocket(boundPublic, configured: server.listen, key: "server.listen") }
        if activation.publishDescriptor != nil, let address = publish.address {
            noteHandedSocket(address, configured: settings.publish.listen, key: "publish.listen")
        }
        logger.notice("listening public=\(boundPublic) publish=\(publish.address?.description ?? "")", metadata: metadata)
        if !server.pidFile.isEmpty {
            do {
                pidFile = try PidFile(writing: server.pidFile)
            } catch {
                logger.error("server.pid_file: cannot write \(server.pidFile): \(error)")
            }
        }
        mainLoop.run()
        for _ in threads { stoppedThreads.wait() }
        // On the way out a signal is ignored: once its watcher is gone, the default would kill us.
        signalWatchers.removeAll()
        for signal in [SIGINT, SIGTERM, SIGHUP] { Glibc.signal(signal, SIG_IGN) }
        pidFile?.remove()
        lifecycle = .stopped
        logger.notice("stopped")
    }

    /// A socket systemd handed over is served whatever proxy.conf says; a difference is worth a line.
    private func noteHandedSocket(_ address: SocketAddress, configured: ListenAddress, key: String) {
        let configuredAddress = try? SocketAddress.resolve(host: configured.host, port: configured.port)
        guard configuredAddress?.description != address.description else { return }
        logger.notice("serving the socket systemd passed, \(address), instead of \(key) \(configured)")
    }

    /// Event loops to run: `server.threads`, or one per core.
    static func loopCount(for server: ServerSettings) -> Int {
        max(1, server.threads == 0 ? ProcessInfo.processInfo.activeProcessorCount : server.threads)
    }

    /// The hub's bounds in `settings`.
    static func hubLimits(_ settings: HeraldSettings) -> HubLimits {
        HubLimits(historySize: settings.events.historySize, historyTTL: settings.events.historyTTL,
                  maxSubscribers: settings.limits.maxSubscribers, maxSubscribersPerIP: settings.limits.maxSubscribersPerIP)
    }

    /// One listening socket per loop on `address`: the first claims it (no other process may
    /// listen there), the others share its port (also when port 0 was asked for).
    func bindPublic(_ address: SocketAddress, count: Int) throws(LibeventError) -> [ListeningSocket] {
        var sockets = [try ListeningSocket.bind(address)]
        do {
            while sockets.count < count { sockets.append(try ListeningSocket.bind(sockets[0].address, joining: true)) }
        } catch {
            for socket in sockets { socket.close() }
            throw error
        }
        return sockets
    }

    /// The public socket systemd passed, one descriptor of it per loop.
    private static func inheritedSockets(_ descriptor: Int32, count: Int) throws(LibeventError) -> [ListeningSocket] {
        let socket = try ListeningSocket.inherited(fd: descriptor)
        var sockets = [socket]
        while sockets.count < count { sockets.append(try socket.duplicate()) }
        return sockets
    }

    /// Runs `setUp` on a new thread, then that thread's loop until it is stopped; waits until
    /// `setUp` is done and returns what it made (or throws what it threw).
    private func startThread<T>(name: String, _ setUp: @escaping @Sendable () throws -> (T, EventLoop)) throws -> T {
        let started = DispatchSemaphore(value: 0)
        let outcome = StartOutcome<T>()
        let stopped = stoppedThreads
        let thread = Thread {
            do {
                let (value, loop) = try setUp()
                outcome.result = .success(value)
                started.signal()
                loop.run()
                stopped.signal()
            } catch {
                outcome.result = .failure(error)
                started.signal()
            }
        }
        thread.name = name
        thread.start()
        started.wait()
        threads.append(thread)
        return try outcome.result!.get()
    }

    /// SIGINT or SIGTERM: stop accepting everywhere, let exchanges finish within the grace period.
    private func beginDraining(signal: Int32) {
        switch lifecycle {
        case .running: break
        case .draining:
            logger.notice("second signal: stopping now")
            stopAll()
            return
        case .starting, .stopping, .stopped: return
        }
        lifecycle = .draining
        workers[0].metrics.drains.increment()
        logger.notice("draining", metadata: ["signal": "\(signal)", "grace": "\(settings.server.shutdownGrace.configText)"])
        publishLoop?.stopAccepting()
        drainingWorkers = workers.count
        let mainLoop = workers[0].loop
        for worker in workers {
            worker.loop.execute { [unowned self] in
                worker.beginDraining {
                    mainLoop.execute { [unowned self] in self.workerDrained() }
                }
            }
        }
        let timer = LoopTimer(loop: mainLoop) { [unowned self] in
            self.logger.warning("grace period over: closing remaining connections")
            self.stopAll()
        }
        timer.schedule(after: settings.server.shutdownGrace)
        graceTimer = timer
    }

    /// Fires on loop 0 each time a loop has drained.
    private func workerDrained() {
        drainingWorkers -= 1
        if drainingWorkers == 0 { stopAll() }
    }

    /// Stops every loop. The signal watchers stay until the process ends: without them a signal
    /// would meet the default disposition and kill a Herald that is already on its way out.
    private func stopAll() {
        lifecycle = .stopping
        graceTimer = nil
        expiryTimer = nil
        publishLoop?.stop()
        for worker in workers.dropFirst() {
            worker.loop.execute {
                worker.closeAll()
                worker.loop.stop()
            }
        }
        workers[0].closeAll()
        workers[0].loop.stop()
    }
}

/// Carries a loop thread's start-up result back to the starting thread; the semaphore orders
/// the write before the read.
private final class StartOutcome<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

/// The publish listener's loop, run by a thread of its own.
final class PublishLoop: @unchecked Sendable {
    // @unchecked: `listener` and `service` are touched only on `loop`'s thread (start-up runs
    // there too), through `execute` hand-offs.
    let loop: EventLoop
    let service: PublishService
    private var listener: Listener?
    /// Redis mode's engine, run by this loop.
    let engine: ClusterEngine?
    /// The address served; set at start-up, before other threads read it.
    private(set) var address: SocketAddress?

    init(loop: EventLoop, service: PublishService, engine: ClusterEngine?) {
        self.loop = loop
        self.service = service
        self.engine = engine
    }

    /// Serves `socket`; the listener before it closes once the new one accepts.
    func listen(adopting socket: ListeningSocket) throws(LibeventError) {
        let service = service
        let listener = try Listener(loop: loop, adopting: socket) { connection in
            _ = PublishConnection(connection: connection, service: service)
        }
        self.listener?.close()
        self.listener = listener
        address = listener.address
    }

    /// A reload: the publish API follows `settings`, and `socket`, when given, replaces the listener.
    func apply(_ settings: HeraldSettings, socket: ListeningSocket?, logger: Logger) {
        loop.execute { [self] in
            service.apply(settings)
            engine?.events = settings.events
            guard let socket else { return }
            do {
                try listen(adopting: socket)
            } catch {
                logger.error("reload: cannot accept on \(socket.address): \(error); the old publish listener stays")
            }
        }
    }

    /// Stops accepting publishers; those connected may go on until `stop()`.
    func stopAccepting() {
        loop.execute { [self] in
            listener?.close()
            listener = nil
        }
    }

    /// Ends the loop (its open connections go with the process).
    func stop() {
        loop.execute { [self] in
            engine?.stop()
            listener?.close()
            listener = nil
            service.accessLog.flush()
            loop.stop()
        }
    }
}

extension HeraldServer: @unchecked Sendable {}
