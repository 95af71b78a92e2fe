// The first phase of a connection when `server.proxy_protocol` is on: the balancer's PROXY
// protocol header is read before anything else, its source becomes the connection's client (then
// `server.trusted_proxies` applies on top, as in nginx), and the connection goes on as any other.
//
// Invariant: no byte of the connection is seen as HTTP before a whole, valid header was drained.

import LibeventIO
import Logging
import Proxy

/// Reads one connection's PROXY protocol header, then hands the connection to a `ProxyConnection`.
///
/// Events: downstream read → more needed (wait), a header (hand over), or an error (close);
/// header timer (`server.header_timeout`) → close; downstream end → close.
final class ProxyProtocolReception: ConnectionDelegate {
    /// The longest header: v2's fixed 16 bytes and a length field's largest block of addresses and TLVs.
    static let maxHeaderBytes = 16 + 65_535

    private let downstream: Connection
    private let worker: LoopWorker
    private let headerTimer: DeadlineTimer
    /// Still waiting for the header: neither handed over nor closed.
    private(set) var isReading = true

    init(downstream: Connection, worker: LoopWorker) {
        self.downstream = downstream
        self.worker = worker
        headerTimer = DeadlineTimer(loop: worker.loop)
        headerTimer.handler = { [unowned self] in self.refuse("no PROXY protocol header within \(self.worker.settings.server.headerTimeout)") }
        downstream.attach(self)
        // A header and a request head behind it; more is not read until the header is handled.
        downstream.setInputHighWatermark(Self.maxHeaderBytes + 16 * 1024)
        headerTimer.arm(after: worker.settings.server.headerTimeout)
        if downstream.inputCount > 0 { readHeader() }
    }

    /// Closes the connection (draining, or the loop stopping).
    func close() {
        downstream.close()
    }

    private func readHeader() {
        let parsed = downstream.withInput(upTo: Self.maxHeaderBytes) { bytes in
            Result { () throws(ProxyProtocolError) in try ProxyProtocolHeader.parse(bytes) }
        }
        switch parsed {
        case .success(nil):
            return
        case .success(let header?):
            headerTimer.disarm()
            isReading = false
            downstream.consumeInput(header.length)
            if let source = header.sourceAddress { downstream.peerHost = source }
            worker.receivedProxyHeader(self, downstream: downstream)
        case .failure(let error):
            refuse(error.description)
        }
    }

    private func refuse(_ reason: String) {
        var logger = worker.logger
        logger[metadataKey: "peer"] = "\(downstream.peerHost)"
        logger.debug("connection closed", metadata: ["reason": "\(reason)"])
        headerTimer.disarm()
        downstream.close()
    }

    // MARK: ConnectionDelegate

    /// Fires when bytes arrive before the header is complete.
    func connectionDidRead(_ connection: Connection) { readHeader() }

    /// Nothing is written before the header is read.
    func connectionDidFlush(_ connection: Connection) {}

    /// Fires when the peer goes before its header was read.
    func connection(_ connection: Connection, didEndWith reason: ConnectionEnd) { refuse("\(reason)") }

    /// Fires once the connection is closed here (never after the hand-over: the new owner hears it).
    func connectionDidClose(_ connection: Connection) {
        isReading = false
        headerTimer.disarm()
        worker.proxyReceptionClosed(self)
    }
}
