// The running server: one event loop per thread, each with its own SO_REUSEPORT listener.
//
// Lifecycle: starting → running → draining → stopped. Loop 0 runs on the caller's thread and owns
// the lifecycle, the signal watchers and the publish listener; the other loops are reached only
// through `EventLoop.execute`. Start-up goes in dependency order (resolve, bind every listener,
// then report ready); shutdown in reverse (stop accepting, drain exchanges, stop loops).

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
        case starting, running, draining, stopped
    }

    private let settings: HeraldSettings
    private let logger: Logger
    public private(set) var lifecycle: Lifecycle = .starting
    private var workers: [LoopWorker] = []
    private var threads: [Thread] = []
    private var publishLoop: PublishLoop?
    private var signalWatchers: [SignalWatcher] = []
    private var graceTimer: LoopTimer?
    private var sweepTimer: LoopTimer?
    private var drainingWorkers = 0
    private let stoppedThreads = DispatchSemaphore(value: 0)

    public init(settings: HeraldSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// Binds every listener, serves until SIGINT or SIGTERM has drained the server, then returns.
    /// Throws before serving anything when an address cannot be resolved or bound.
    public func run() throws {
        SignalWatcher.ignoreBrokenPipe()
        ProcessTuning.keepFreeHeapTop(upTo: 4 * 1024 * 1024)
        ProcessTuning.growDescriptorTable()
        let server = settings.server
        let upstreamAddress = try SocketAddress.resolve(host: settings.upstream.url.host, port: settings.upstream.url.port)
        let publicAddress = try SocketAddress.resolve(host: server.listen.host, port: server.listen.port)
        let publishAddress = try SocketAddress.resolve(host: settings.publish.listen.host, port: settings.publish.listen.port)
        let loopCount = server.threads == 0 ? ProcessInfo.processInfo.activeProcessorCount : server.threads

        let hub = Hub(limits: HubLimits(
            historySize: settings.events.historySize, historyTTL: settings.events.historyTTL,
            maxSubscribers: settings.limits.maxSubscribers, maxSubscribersPerIP: settings.limits.maxSubscribersPerIP),
            instance: String(UInt64(Date().timeIntervalSince1970 * 1000), radix: 36))
        let metrics = HeraldMetrics()
        // Redis mode: streams wait until the engine follows their channels.
        let interest = settings.redis == nil ? nil : ChannelInterest()
        let health = ServiceHealth()

        let mainLoop = try EventLoop()
        let mainWorker = LoopWorker(loop: mainLoop, index: 0, loopCount: loopCount, settings: settings, upstreamAddress: upstreamAddress,
                                    hub: hub, interest: interest, health: health, metrics: metrics, logger: logger)
        workers.append(mainWorker)
        // Bind loop 0 first: when port 0 was asked for, the other loops share the port it got.
        let boundPublic = try mainWorker.listen(on: publicAddress)
        let settings = settings, logger = logger
        for index in 1..<max(loopCount, 1) {
            workers.append(try startThread(name: "herald-loop-\(index)") {
                let loop = try EventLoop()
                let worker = LoopWorker(loop: loop, index: index, loopCount: loopCount, settings: settings,
                                        upstreamAddress: upstreamAddress, hub: hub, interest: interest, health: health, metrics: metrics, logger: logger)
                _ = try worker.listen(on: boundPublic, joining: true)
                return (worker, loop)
            })
        }
        // Publishing has a loop of its own: a publisher is answered at once, never after a pass
        // over thousands of subscribers, so publishes keep arriving and are delivered in batches.
        let handOff = LoopHandOff(workers: workers)
        let limits = mainWorker.limits, maxBody = settings.publish.maxBodyBytes, idle = server.idleTimeout
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
            let api = PublishAPI(hub: hub, store: store, metrics: metrics, settings: settings.publish)
            let accessLog = PublishAccessLog(format: settings.log.access, loop: loop)
            let listener = try Listener(loop: loop, address: publishAddress) { connection in
                _ = PublishConnection(connection: connection, api: api, limits: limits, maxBodyBytes: maxBody, idleTimeout: idle,
                                      accessLog: accessLog)
            }
            engine?.start()
            return (PublishLoop(loop: loop, listener: listener, engine: engine, accessLog: accessLog), loop)
        }
        // Expired history goes, and channels left with nothing: memory follows what is in use.
        let sweep = LoopTimer(loop: mainLoop, repeating: true) { hub.sweep(at: .now) }
        sweep.schedule(after: .seconds(30))
        sweepTimer = sweep
        publishLoop = publish
        for signal in [SIGINT, SIGTERM] {
            signalWatchers.append(try SignalWatcher(loop: mainLoop, signal: signal) { [unowned self] in
                self.beginDraining(signal: signal)
            })
        }

        lifecycle = .running
        var metadata: Logger.Metadata = ["upstream": "\(settings.upstream.url)", "loops": "\(workers.count)"]
        if let redis = settings.redis { metadata["redis"] = "\(redis.urls.map(\.description).joined(separator: ","))" }
        logger.notice("listening public=\(boundPublic) publish=\(publish.listener.address)", metadata: metadata)
        mainLoop.run()
        for _ in threads { stoppedThreads.wait() }
        lifecycle = .stopped
        logger.notice("stopped")
    }

    /// Creates loop `index` on a thread of its own, binds its listener there, and waits until it
    /// is serving (or has failed to bind, which is thrown here).
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
        guard lifecycle == .running else {
            logger.notice("second signal: stopping now")
            stopAll()
            return
        }
        lifecycle = .draining
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

    private func stopAll() {
        graceTimer = nil
        sweepTimer = nil
        publishLoop?.stop()
        signalWatchers.removeAll()
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
private final class PublishLoop: @unchecked Sendable {
    // @unchecked: `listener` is touched only on `loop`'s thread, through `stop()`'s hand-off.
    let loop: EventLoop
    let listener: Listener
    /// Redis mode's engine, run by this loop.
    let engine: ClusterEngine?
    let accessLog: PublishAccessLog

    init(loop: EventLoop, listener: Listener, engine: ClusterEngine?, accessLog: PublishAccessLog) {
        self.loop = loop
        self.listener = listener
        self.engine = engine
        self.accessLog = accessLog
    }

    /// Stops accepting publishers; those connected may go on until `stop()`.
    func stopAccepting() {
        loop.execute { [self] in listener.close() }
    }

    /// Ends the loop (its open connections go with the process).
    func stop() {
        loop.execute { [self] in
            engine?.stop()
            listener.close()
            accessLog.flush()
            loop.stop()
        }
    }
}

extension HeraldServer: @unchecked Sendable {}
