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
    private var publishListener: Listener?
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

        let mainLoop = try EventLoop()
        let mainWorker = LoopWorker(loop: mainLoop, index: 0, loopCount: loopCount, settings: settings, upstreamAddress: upstreamAddress,
                                    hub: hub, metrics: metrics, logger: logger)
        workers.append(mainWorker)
        // Bind loop 0 first: when port 0 was asked for, the other loops share the port it got.
        let boundPublic = try mainWorker.listen(on: publicAddress)
        for index in 1..<max(loopCount, 1) {
            workers.append(try startLoopThread(index: index, loopCount: loopCount, address: boundPublic,
                                               upstreamAddress: upstreamAddress, hub: hub, metrics: metrics))
        }
        let api = PublishAPI(hub: hub, handOff: LoopHandOff(workers: workers), metrics: metrics, settings: settings.publish)
        let limits = mainWorker.limits, maxBody = settings.publish.maxBodyBytes, idle = server.idleTimeout
        let publish = try Listener(loop: mainLoop, address: publishAddress) { connection in
            _ = PublishConnection(connection: connection, api: api, limits: limits, maxBodyBytes: maxBody, idleTimeout: idle)
        }
        // Expired history goes, and channels left with nothing: memory follows what is in use.
        let sweep = LoopTimer(loop: mainLoop, repeating: true) { hub.sweep(at: .now) }
        sweep.schedule(after: .seconds(30))
        sweepTimer = sweep
        publishListener = publish
        for signal in [SIGINT, SIGTERM] {
            signalWatchers.append(try SignalWatcher(loop: mainLoop, signal: signal) { [unowned self] in
                self.beginDraining(signal: signal)
            })
        }

        lifecycle = .running
        logger.notice("listening public=\(boundPublic) publish=\(publish.address)", metadata: [
            "upstream": "\(settings.upstream.url)", "loops": "\(workers.count)",
        ])
        mainLoop.run()
        for _ in 1..<workers.count { stoppedThreads.wait() }
        lifecycle = .stopped
        logger.notice("stopped")
    }

    /// Creates loop `index` on a thread of its own, binds its listener there, and waits until it
    /// is serving (or has failed to bind, which is thrown here).
    private func startLoopThread(index: Int, loopCount: Int, address: SocketAddress, upstreamAddress: SocketAddress,
                                 hub: Hub, metrics: HeraldMetrics) throws -> LoopWorker {
        let started = DispatchSemaphore(value: 0)
        let outcome = StartOutcome()
        let settings = settings, logger = logger, stopped = stoppedThreads
        let thread = Thread {
            do {
                let loop = try EventLoop()
                let worker = LoopWorker(loop: loop, index: index, loopCount: loopCount, settings: settings, upstreamAddress: upstreamAddress,
                                        hub: hub, metrics: metrics, logger: logger)
                _ = try worker.listen(on: address)
                outcome.result = .success(worker)
                started.signal()
                loop.run()
                stopped.signal()
            } catch {
                outcome.result = .failure(error)
                started.signal()
            }
        }
        thread.name = "herald-loop-\(index)"
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
        logger.notice("draining", metadata: ["signal": "\(signal)", "grace": "\(settings.server.shutdownGrace)"])
        publishListener?.close()
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
private final class StartOutcome: @unchecked Sendable {
    var result: Result<LoopWorker, any Error>?
}

extension HeraldServer: @unchecked Sendable {}
