import HTTP1
import LibeventIO
import Proxy

/// A connection on the publish listener. For now it answers `GET /healthz`; publishing arrives
/// with the events hub. Requests with a body are refused and the connection closed.
final class PublishConnection: ConnectionDelegate {
    private let connection: Connection
    private let limits: HTTPLimits

    init(connection: Connection, limits: HTTPLimits) {
        self.connection = connection
        self.limits = limits
        connection.attach(self)
    }

    func connectionDidRead(_ connection: Connection) {
        let limits = limits
        do throws(HTTPParseError) {
            while true {
                let scan = try connection.withInput(upTo: limits.maxHeadBytes + 1) { bytes throws(HTTPParseError) in
                    try HTTPHeadParser.scanRequestHead(bytes, limits: limits)
                }
                guard case .complete(let length) = scan else { return }
                let head = try connection.withInput(upTo: length) { bytes throws(HTTPParseError) in
                    try HTTPHeadParser.parseRequestHead(bytes, limits: limits)
                }
                connection.drainInput(length)
                guard try head.bodyFraming() == .none else {
                    throw HTTPParseError(.malformed, "request bodies are not accepted here yet")
                }
                respond(to: head)
                if !head.wantsKeepAlive {
                    connection.closeWhenFlushed()
                    return
                }
            }
        } catch {
            connection.write(ProxyError(error).response())
            connection.closeWhenFlushed()
        }
    }

    private func respond(to head: HTTPRequestHead) {
        let (status, body) = head.targetString == "/healthz" && (head.method == "GET" || head.method == "HEAD")
            ? (200, "ok\n") : (404, "not found\n")
        var response = HTTPResponseHead(status: status, reason: status == 200 ? "OK" : "Not Found")
        response.fields.append("Content-Type", "text/plain; charset=utf-8")
        response.fields.append("Content-Length", String(body.utf8.count))
        response.fields.append("Cache-Control", "no-store")
        connection.write(response.serialized())
        if head.method != "HEAD" { connection.write(body) }
    }

    func connectionDidDrain(_ connection: Connection) {}

    func connection(_ connection: Connection, didEndWith reason: ConnectionEnd) {
        connection.close()
    }
}
