import EventStream
import Fanout
import Foundation
import HeraldConfig
import HTTP1
import Publishing

/// The publish listener's routes: what each request gets, apart from reading and writing.
///
/// `POST /publish/<channel>` and `POST /publish` publish (`POST /publish/` with JSON too, where
/// Pushpin's publishers post; both JSON routes take Pushpin's `{"items": […]}` format as well); `GET` and `DELETE /channels/<channel>`
/// inspect and close; `/healthz` and `/metrics` serve operations; a POST to the path of a
/// `[[publish.routes]]` publishes a webhook in its sender's own format. All but /healthz need the
/// bearer token when one is configured.
final class PublishAPI: Sendable {
    struct Response {
        var status: Int
        var contentType = "application/json"
        var body: [UInt8]
        var extraFields: [(String, String)] = []

        static func text(_ status: Int, _ reason: String, extra: [(String, String)] = []) -> Response {
            Response(status: status, contentType: "text/plain; charset=utf-8", body: Array((reason + "\n").utf8), extraFields: extra)
        }

        static func json(_ status: Int, _ results: [PublishResult]) -> Response {
            Response(status: status, body: PublishResult.json(results))
        }

        static func json(_ status: Int, _ result: PublishResult) -> Response {
            Response(status: status, body: result.json)
        }

        static func json(_ status: Int, _ value: Any) -> Response {
            let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return Response(status: status, body: Array(data))
        }
    }

    private let hub: Hub
    private let handOff: LoopHandOff
    private let metrics: HeraldMetrics
    private let token: [UInt8]
    /// `[[publish.routes]]` by path.
    private let routes: [String: WebhookRoute]

    init(hub: Hub, handOff: LoopHandOff, metrics: HeraldMetrics, settings: PublishSettings) {
        self.hub = hub
        self.handOff = handOff
        self.metrics = metrics
        token = Array(settings.token.utf8)
        routes = Dictionary(settings.routes.map { ($0.path, $0.webhook) }, uniquingKeysWith: { first, _ in first })
    }

    func respond(to head: HTTPRequestHead, body: [UInt8]) -> Response {
        let (pathPart, query) = QueryString.split(target: head.targetString)
        let path = String(pathPart)
        if path == "/healthz" {
            return Response.text(200, "ok")
        }
        guard authorized(head) else {
            return .text(401, "missing or wrong bearer token", extra: [("WWW-Authenticate", "Bearer")])
        }
        if head.method == "POST", let route = routes[path] {
            return publish(route, head: head, body: body)
        }
        switch (head.method, path) {
        case ("GET", "/metrics"):
            let totals = hub.totals
            return Response(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
                            body: metrics.exposition(subscribers: totals.subscribers, channels: totals.channels))
        case ("POST", _) where path == "/publish" || (path == "/publish/" && isJSON(head)):
            // `/publish/` is where Pushpin's publishers post; without JSON it is a raw publish to "".
            guard isJSON(head) else {
                return .text(415, "expected Content-Type: application/json (or POST /publish/<channel> with the data as body)")
            }
            do {
                let parsed = try PublishRequest.parseJSON(body)
                if PushpinPublish.isPushpinFormat(parsed) {
                    do {
                        return .json(202, publish(try PushpinPublish.items(parsed)))
                    } catch {
                        return .text(400, error.reason)
                    }
                }
                return .json(202, publish(try PublishRequest.json(parsed)))
            } catch {
                return .text(error.status, error.reason)
            }
        case ("POST", _) where path.hasPrefix("/publish/"):
            do {
                let request = try PublishRequest.raw(channel: String(path.dropFirst("/publish/".count)), query: query, body: body)
                return .json(202, publish([request])[0])
            } catch {
                return .text(error.status, error.reason)
            }
        case ("GET", _) where path.hasPrefix("/channels/"), ("DELETE", _) where path.hasPrefix("/channels/"):
            let channel: String
            do {
                channel = try ChannelName.decode(path.dropFirst("/channels/".count))
            } catch {
                return .text(400, error.reason)
            }
            let stats = hub.stats(channel: channel) ?? ChannelStats(subscribers: 0, lastEventID: nil, eventsHeld: 0)
            if head.method == "DELETE" {
                handOff.closeStreams(of: channel)
                return .json(202, ["channel": channel, "subscribers": stats.subscribers])
            }
            return .json(200, [
                "channel": channel, "subscribers": stats.subscribers,
                "last_event_id": stats.lastEventID.map { $0 as Any } ?? NSNull(), "events_held": stats.eventsHeld,
            ] as [String: Any])
        default:
            let known = ["/metrics", "/publish"].contains(path) || path.hasPrefix("/publish/") || path.hasPrefix("/channels/")
                || routes[path] != nil
            return known ? .text(405, "method not allowed here") : .text(404, "not found")
        }
    }

    /// Publishes every request (already validated, so all or none), then hands the events to the loops.
    private func publish(_ requests: [PublishRequest]) -> [PublishResult] {
        let now = ContinuousClock.now
        var results: [PublishResult] = []
        var delivered: [PublishedEvent] = []
        for request in requests {
            let events = hub.publish(request.event, to: request.channels, at: now)
            for event in events {
                let subscribers = hub.stats(channel: event.channel)?.subscribers ?? 0
                results.append(PublishResult(channel: event.channel, id: event.id, subscribers: subscribers))
            }
            delivered += events
        }
        metrics.eventsPublished.increment(by: requests.count)
        handOff.deliver(delivered)
        return results
    }

    /// Publishes the event a route makes of a webhook, as `POST /publish/<channel>` would.
    private func publish(_ route: WebhookRoute, head: HTTPRequestHead, body: [UInt8]) -> Response {
        do {
            let made = try route.event(body: body, headerValues: { head.fields.values($0) })
            return .json(202, publish([PublishRequest(event: made.event, channels: [made.channel])])[0])
        } catch {
            return .text(error.status, error.reason)
        }
    }

    /// Publishes items of Pushpin's format (validated, so all or none): raw content for GRIP streams.
    private func publish(_ items: [PushpinItem]) -> [PublishResult] {
        let now = ContinuousClock.now
        var results: [PublishResult] = []
        var delivered: [PublishedEvent] = []
        for item in items {
            let event = hub.publish(rawContent: item.content, id: item.id, to: item.channel, at: now)
            let subscribers = hub.stats(channel: event.channel)?.subscribers ?? 0
            results.append(PublishResult(channel: event.channel, id: event.id, subscribers: subscribers))
            delivered.append(event)
        }
        metrics.eventsPublished.increment(by: items.count)
        handOff.deliver(delivered)
        return results
    }

    private func isJSON(_ head: HTTPRequestHead) -> Bool {
        head.fields.firstString("content-type")?.lowercased().hasPrefix("application/json") ?? false
    }

    /// Compares in constant time, so the token cannot be guessed byte by byte from timings.
    private func authorized(_ head: HTTPRequestHead) -> Bool {
        guard !token.isEmpty else { return true }
        guard let value = head.fields.first("authorization") else { return false }
        let expected = Array("Bearer ".utf8) + token
        guard value.count == expected.count else { return false }
        return zip(value, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
