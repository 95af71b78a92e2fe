// One auth request to the app, on a pooled or new upstream connection, until its answer (or its
// failure) is known: `AuthorizationStateMachine` decides, this class only moves bytes and timers.
//
// Bounds: the connect is bounded by `upstream.connect_timeout` (502), the whole answer by
// `upstream.timeout` (504), the body kept by `RelayedResponse.maxBodyBytes`.

import HTTP1
import LibeventIO
import Proxy

final class AuthorizationExchange: ConnectionDelegate {
    typealias Outcome = AuthorizationStateMachine.Outcome

    private unowned let worker: LoopWorker
    private let request: AuthorizationRequest
    private var machine: AuthorizationStateMachine
    private var upstream: Connection?
    /// Where `upstream` came from and goes back to (a reload may replace the worker's meanwhile).
    private let pool: UpstreamPool
    /// True once the connection is open (a pooled one is): an end before that is a failed connect.
    private var connected = false
    private var timer: LoopTimer?
    private var completion: ((Outcome) -> Void)?

    init(request: AuthorizationRequest, worker: LoopWorker) {
        self.request = request
        self.worker = worker
        pool = worker.pool
        machine = AuthorizationStateMachine(pooled: false, limits: worker.limits)
    }

    /// Sends the request; `completion` hears the outcome once, on the loop (perhaps before this
    /// returns, when no connection can even be started), unless `cancel()` comes first.
    func begin(_ completion: @escaping (Outcome) -> Void) {
        self.completion = completion
        let pooled = pool.takeIdle()
        machine = AuthorizationStateMachine(pooled: pooled != nil, limits: worker.limits)
        if let pooled {
            send(on: pooled, connected: true)
        } else {
            connectAndSend()
        }
        guard self.completion != nil, timer == nil else { return }
        let timer = LoopTimer(loop: worker.loop) { [unowned self] in self.perform(self.machine.timedOut()) }
        timer.schedule(after: worker.settings.upstream.timeout)
        self.timer = timer
    }

    /// The subscriber went away: the answer no longer matters.
    func cancel() {
        completion = nil
        timer?.cancel()
        timer = nil
        upstream?.close()
        upstream = nil
    }

    private func connectAndSend() {
        do {
            send(on: try pool.connect(), connected: false)
        } catch {
            perform(.finish(.failed(.upstreamRefused(error.description)), reusable: false))
        }
    }

    private func send(on connection: Connection, connected: Bool) {
        upstream = connection
        self.connected = connected
        connection.attach(self)
        connection.write(request.bytes)
    }

    private func perform(_ action: AuthorizationStateMachine.Action) {
        switch action {
        case .none:
            break
        case .retry:
            upstream?.close()
            upstream = nil
            connectAndSend()
        case .finish(let outcome, let reusable):
            timer?.cancel()
            timer = nil
            if let upstream {
                self.upstream = nil
                if reusable { pool.put(upstream) } else { upstream.close() }
            }
            let completion = self.completion
            self.completion = nil
            completion?(outcome)
        }
    }

    // MARK: ConnectionDelegate

    func connectionDidRead(_ connection: Connection) {
        while connection === upstream, connection.inputCount > 0 {
            let (consumed, action) = connection.withInput(upTo: machine.wantedBytes) { machine.received($0) }
            connection.consumeInput(consumed)
            perform(action)
            if consumed == 0 || action != .none { return }
        }
    }

    func connectionDidFlush(_ connection: Connection) {}

    func connectionDidConnect(_ connection: Connection) {
        connected = true
        // The connect timeout no longer applies; the timer (upstream.timeout) bounds the answer.
        connection.setTimeouts(read: nil, write: nil)
    }

    func connection(_ connection: Connection, didEndWith reason: ConnectionEnd) {
        guard connection === upstream else {
            connection.close()
            return
        }
        connectionDidRead(connection)
        guard connection === upstream else { return }
        let detail = connected ? "connection \(reason) before a complete answer"
            : "cannot connect to \(worker.settings.upstream.url): \(reason)"
        perform(machine.ended(detail, receivedNothing: connection.inputCount == 0 && connected))
    }
}
