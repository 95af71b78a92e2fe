import HeraldConfig
import LibeventIO
import Logging

/// SIGHUP: re-read proxy.conf and change what runs, without closing a stream or a request in
/// flight. On loop 0's thread.
///
/// Order: read and check the file (an invalid one is refused, every problem logged, nothing
/// changes); resolve the upstream and bind every listener that moves (a failure refuses the
/// whole reload and closes what was bound); then hand the settings to the hub, the publish loop
/// and every worker, each of which starts accepting on its new socket before closing its old one.
/// `server.threads` and `[redis]` wait for a restart.
extension HeraldServer {
    func reload() {
        guard lifecycle == .running else { return }
        guard let reloading else {
            logger.warning("SIGHUP: this server was started without a configuration to reload")
            return
        }
        let new: HeraldSettings
        do {
            new = try reloading.read()
        } catch {
            for line in "\(error)".split(separator: "\n") { logger.error("reload refused: \(line)") }
            logger.error("reload refused: the running settings stay")
            workers[0].metrics.reloads(.failed).increment()
            return
        }
        let plan = SettingsReload(from: settings, to: new)
        for key in plan.keptUntilRestart { logger.warning("reload: \(key) changes on restart only; the running value stays") }
        let settings = plan.effective
        let publicSockets: [ListeningSocket]?
        let publishSocket: ListeningSocket?
        let upstreamAddress: SocketAddress
        do {
            upstreamAddress = try SocketAddress.resolve(host: settings.upstream.url.host, port: settings.upstream.url.port)
            publicSockets = plan.movesPublicListener
                ? try bindPublic(try SocketAddress.resolve(host: settings.server.listen.host, port: settings.server.listen.port),
                                 count: workers.count)
                : nil
            do {
                publishSocket = plan.movesPublishListener
                    ? try ListeningSocket.bind(try SocketAddress.resolve(host: settings.publish.listen.host, port: settings.publish.listen.port))
                    : nil
            } catch {
                for socket in publicSockets ?? [] { socket.close() }
                throw error
            }
        } catch {
            logger.error("reload refused: \(error); the running settings stay")
            workers[0].metrics.reloads(.failed).increment()
            return
        }

        self.settings = settings
        reloading.applyLog(settings.log)
        hub?.change(limits: Self.hubLimits(settings))
        handOff?.maxPending.store(settings.limits.maxPendingEvents, ordering: .relaxed)
        publishLoop?.apply(settings, socket: publishSocket, logger: logger)
        for (index, worker) in workers.enumerated() {
            let socket = publicSockets?[index]
            worker.loop.execute {
                worker.apply(settings, upstreamAddress: upstreamAddress, listener: socket)
            }
        }
        var metadata: Logger.Metadata = ["changed": "\(plan.changedSections.isEmpty ? "nothing" : plan.changedSections.joined(separator: ","))"]
        if let publicSockets { metadata["public"] = "\(publicSockets[0].address)" }
        if let publishSocket { metadata["publish"] = "\(publishSocket.address)" }
        logger.notice("reloaded", metadata: metadata)
        workers[0].metrics.reloads(.ok).increment()
    }
}
