// Socket events in, bytes moved: which side spoke decides what the machine hears.

import HTTP1
import LibeventIO
import Proxy

extension ProxyConnection {
    // MARK: Moving bytes

    /// Moves a body's data from `source`'s input to `target`'s output, without copying it,
    /// re-framing it with `encoding`; returns whether the body is complete and the data moved.
    func pump(from source: Connection, to target: Connection, body: inout BodyReader,
              encoding: BodyEncoding) throws(HTTPParseError) -> (finished: Bool, dataBytes: Int) {
        var moved = 0
        let finished = try body.read(from: source) { source, count in
            if let prefix = encoding.prefix(count: count) { target.write(prefix) }
            source.moveInput(to: target, count: count)
            if let suffix = encoding.suffix { target.write(suffix) }
            moved += count
        }
        if finished, let end = encoding.end { target.write(end) }
        return (finished, moved)
    }

    /// Copies tunnel bytes from `source` to `target`, pausing `source` above the high watermark.
    func tunnel(from source: Connection, to target: Connection) {
        source.moveInput(to: target, count: source.inputCount)
        if target.outputCount > Watermarks.high {
            source.setReading(false)
            if source === downstream { readingPausedDownstream = true } else { readingPausedUpstream = true }
        }
    }

    // MARK: ConnectionDelegate

    func connectionDidRead(_ connection: Connection) {
        if connection === downstream {
            switch machine.phase {
            case .awaitingHead: readRequestHead()
            case .exchanging: streamRequestBody()
            case .tunnel: if let upstream { tunnel(from: downstream, to: upstream) }
            case .closing: break
            }
        } else if connection === upstream {
            switch machine.upstreamInput {
            case .responseHead: readResponseHead()
            case .body, .gripBody: streamResponseBody()
            case .none:
                // A tunnel's upstream still flushing what the client sent before it left: its answer goes nowhere.
                guard machine.phase == .tunnel else { return connection.consumeInput(connection.inputCount) }
                tunnel(from: connection, to: downstream)
            }
        }
    }

    func connectionDidFlush(_ connection: Connection) {
        guard let upstream else { return }
        if connection === downstream, readingPausedUpstream {
            readingPausedUpstream = false
            switch machine.phase {
            case .exchanging:
                upstream.setReading(true)
                streamResponseBody()
            case .tunnel:
                upstream.setReading(true)
                tunnel(from: upstream, to: downstream)
            default: break
            }
        } else if connection !== downstream, readingPausedDownstream {
            readingPausedDownstream = false
            downstream.setReading(true)
            switch machine.phase {
            case .exchanging: streamRequestBody()
            case .tunnel: tunnel(from: downstream, to: upstream)
            default: break
            }
        }
    }

    func connectionDidConnect(_ connection: Connection) {
        // The connect timeout no longer applies; upstream.timeout (a timer) guards the response head.
        connection.setTimeouts(read: nil, write: nil)
    }

    func connection(_ connection: Connection, didEndWith reason: ConnectionEnd) {
        if connection === downstream {
            let action = machine.downstreamEnded()
            if case .abandon = action { logger.debug("client went away", metadata: ["reason": "\(reason)"]) }
            perform(action)
        } else {
            upstreamEnded(connection, reason)
        }
    }

    func connectionDidClose(_ connection: Connection) {
        if connection === downstream {
            upstreamTimer?.disarm()
            headTimer.disarm()
            worker.connectionClosed(self)
        }
    }

    private func upstreamEnded(_ connection: Connection, _ reason: ConnectionEnd) {
        guard connection === upstream else { return connection.close() }
        let receivedNothing = connection.inputCount == 0
        // A close-delimited body or a GRIP body: what came before the end is part of it.
        if machine.readsUntilUpstreamEnds {
            streamResponseBody()
            guard connection === upstream else { return }
        }
        let end: ForwardingStateMachine.UpstreamEnd = switch reason {
        case .connectFailed: .connectFailed
        case .timeout: .timedOut
        default: .closed
        }
        let action = machine.upstreamEnded(end, receivedNothing: receivedNothing, detail: reason.description,
                                           target: "\(self.worker.settings.upstream.url)")
        if case .none = action {
            connection.close()
            upstream = nil
            return
        }
        perform(action)
    }
}
