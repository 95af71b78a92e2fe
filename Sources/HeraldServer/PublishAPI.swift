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
/// `[[publish.routes]]` publishes a webhook in its sender's own format. Who may use which is
/// `PublishAuthorization`'s rule: a signed webhook publishes without the bearer token, everything
/// else but /healthz needs the token when one is configured.
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
    /// nil when no signing secret is configured: signatures are not checked.
    private let verifier: WebhookSignatureVerifier?
    private let requireSignature: Bool
    private let listenerIsLoopback: Bool

    init(hub: Hub, handOff: LoopHandOff, metrics: HeraldMetrics, settings: PublishSettings) {
        self.hub = hub
        self.handOff = handOff
        self.metrics = metrics
        token = Array(settings.token.utf8)
        routes = Dictionary(settings.routes.map { ($0.path, $0.webhook) }, uniquingKeysWith: { first, _ in first })
        let secrets = settings.allSigningSecrets
        verifier = secrets.isEmpty ? nil : WebhookSignatureVerifier(secrets: secrets, tolerance: settings.signatureTolerance)
        requireSignature = settings.requireSignature
        listenerIsLoopback = settings.listen.isLoopback
    }

    func respond(to head: HTTPRequestHead, body: [UInt8]) -> Response {
        let (pathPart, query) = QueryString.split(target: head.targetString)
        let path = String(pathPart)
        // Every POST is a publish, whatever its path, so each publish route is checked here,
        // once, before its body is interpreted.
        let route: PublishAuthorization.Route = path == "/healthz" ? .health : head.method == "POST" ? .publish : .other
        let signature = route == .publish ? verifier?.verify(signatureHeaders(head), body: body, now: Int64(Date().timeIntervalSince1970)) : nil
        switch PublishAuthorization.verdict(route: route, signature: signature, requireSignature: requireSignature,
                                            bearer: bearer(head), listenerIsLoopback: listenerIsLoopback) {
        case .allowed: break
        case .signatureRefused(let reason):
            metrics.signaturesRefused.increment()
            return .json(401, ["error": reason])
        case .bearerRefused: return .text(401, "missing or wrong bearer token", extra: [("WWW-Authenticate", "Bearer")])
        case .tokenNeeded: return .text(403, "this route needs a bearer token (publish.token): the publish listener is not loopback")
        }
        // A signed webhook's message id names the events that name none, so a redelivery is a duplicate.
        var webhookID: String?
        if case .valid(let id)? = signature { webhookID = id }
        if !routes.isEmpty, head.method == "POST", let route = routes[path] {
            return publish(route, head: head, body: body, webhookID: webhookID)
        }
        switch (head.method, path) {
        case (_, "/healthz"):
            return Response.text(200, "ok")
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
                        return .json(202, publish(named(try PushpinPublish.items(parsed), by: webhookID)))
                    } catch {
                        return .text(400, error.reason)
                    }
                }
                return .json(202, publish(named(try PublishRequest.json(parsed), by: webhookID)))
            } catch {
                return .text(error.status, error.reason)
            }
        case ("POST", _) where path.hasPrefix("/publish/"):
            do {
                let request = try PublishRequest.raw(channel: String(path.dropFirst("/publish/".count)), query: query, body: body)
                return .json(202, publish(named([request], by: webhookID))[0])
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

    /// Publishes every request (already validated, so all or none), then hands the new events to
    /// the loops; a channel that already holds a request's id answers a duplicate.
    private func publish(_ requests: [PublishRequest]) -> [PublishResult] {
        let now = ContinuousClock.now
        var results: [PublishResult] = []
        var delivered: [PublishedEvent] = []
        var stored = 0
        for request in requests {
            let outcomes = hub.publish(request.event, to: request.channels, at: now)
            for outcome in outcomes {
                results.append(result(of: outcome))
                if let event = outcome.event { delivered.append(event) }
            }
            if outcomes.contains(where: { !$0.isDuplicate }) { stored += 1 }
        }
        finish(stored: stored, delivered)
        return results
    }

    /// Publishes the event a route makes of a webhook, as `POST /publish/<channel>` would.
    private func publish(_ route: WebhookRoute, head: HTTPRequestHead, body: [UInt8], webhookID: String?) -> Response {
        do {
            let made = try route.event(body: body, headerValues: { head.fields.values($0) })
            return .json(202, publish(named([PublishRequest(event: made.event, channels: [made.channel])], by: webhookID))[0])
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
            let outcome = hub.publish(rawContent: item.content, id: item.id, to: item.channel, at: now)
            results.append(result(of: outcome))
            if let event = outcome.event { delivered.append(event) }
        }
        finish(stored: delivered.count, delivered)
        return results
    }

    private func result(of outcome: PublishOutcome) -> PublishResult {
        if outcome.isDuplicate { metrics.duplicatePublishes.increment() }
        let subscribers = hub.stats(channel: outcome.channel)?.subscribers ?? 0
        return PublishResult(channel: outcome.channel, id: outcome.id, subscribers: subscribers, duplicate: outcome.isDuplicate)
    }

    private func finish(stored: Int, _ delivered: [PublishedEvent]) {
        metrics.eventsPublished.increment(by: stored)
        if !delivered.isEmpty { handOff.deliver(delivered) }
    }

    /// Gives the requests without an id the signed webhook's id (`WebhookEventID`).
    private func named(_ requests: [PublishRequest], by webhookID: String?) -> [PublishRequest] {
        guard let webhookID else { return requests }
        var requests = requests
        for index in requests.indices where requests[index].event.id.isEmpty {
            requests[index].event.id = WebhookEventID.id(forItem: index, of: requests.count, webhookID: webhookID)
        }
        return requests
    }

    private func named(_ items: [PushpinItem], by webhookID: String?) -> [PushpinItem] {
        guard let webhookID else { return items }
        var items = items
        for index in items.indices where items[index].id.isEmpty {
            items[index].id = WebhookEventID.id(forItem: index, of: items.count, webhookID: webhookID)
        }
        return items
    }

    private func signatureHeaders(_ head: HTTPRequestHead) -> SignatureHeaders {
        SignatureHeaders(webhookID: head.fields.firstString("webhook-id"), webhookTimestamp: head.fields.firstString("webhook-timestamp"),
                         webhookSignature: head.fields.firstString("webhook-signature"),
                         hubSignature256: head.fields.firstString("x-hub-signature-256"))
    }

    private func isJSON(_ head: HTTPRequestHead) -> Bool {
        head.fields.firstString("content-type")?.lowercased().hasPrefix("application/json") ?? false
    }

    /// Compares in constant time, so the token cannot be guessed byte by byte from timings.
    private func bearer(_ head: HTTPRequestHead) -> PublishAuthorization.Bearer {
        guard !token.isEmpty else { return .notConfigured }
        guard let value = head.fields.first("authorization") else { return .missingOrWrong }
        let expected = Array("Bearer ".utf8) + token
        guard value.count == expected.count else { return .missingOrWrong }
        return zip(value, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0 ? .valid : .missingOrWrong
    }
}
